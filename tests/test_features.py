"""MSA features: equal to AF2's data pipeline step by step; random steps checked
structurally and statistically."""

import math

import numpy as np
import pytest
import torch

from reference.a3m import parse_a3m, read_a3m
from reference.features import (
    AATYPE_LOOKUP,
    build_features,
    deduplicate_msa,
    deletion_value,
    encode,
    extra_msa_feat,
    hhblits_profile,
    make_msa_feat,
    make_msa_features,
    make_sequence_features,
    pad_rows,
    target_feat,
)
from reference.msa_clustering import (
    bert_probabilities,
    crop_extra_indices,
    make_masked_msa,
    nearest_neighbor_clusters,
    sample_categorical,
    sample_msa_indices,
    summarize_clusters,
)

TAUTOMERASE = "tautomerase_2op8.a3m"
SMALL = """#6\t1
>query
MKVLAG
>a
MKaVLAG
>b
M-VLbbAG
>c
MKVLAGxx
>a-again
MKVLAG
>d
XBZUOJ
"""


def g(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def af2():
    """AF2's data modules (the installed fork runs its TF transforms in numpy)."""
    pytest.importorskip("alphafold.model.tf.data_transforms")
    from alphafold.common import residue_constants
    from alphafold.data import parsers, pipeline
    from alphafold.model.tf import data_transforms, np_backend

    return dict(
        rc=residue_constants,
        parsers=parsers,
        pipeline=pipeline,
        dt=data_transforms,
        tf=np_backend,
    )


def af2_raw_msa(af2, a3m):
    """AF2's raw MSA features of a parsed alignment, remapped to AF order."""
    msa = af2["parsers"].Msa(a3m.sequences, a3m.deletion_matrix, a3m.descriptions)
    raw = af2["pipeline"].make_msa_features([msa])
    order = np.array(af2["rc"].MAP_HHBLITS_AATYPE_TO_OUR_AATYPE)
    return order[raw["msa"]], raw["deletion_matrix_int"]


@pytest.fixture(scope="module")
def tautomerase(shared_data):
    return read_a3m(shared_data / TAUTOMERASE)


# --- encoding, deduplication, raw MSA features --------------------------------------


def test_encode_af_order_and_synonyms():
    msa = encode(["ARNDCQEGHILKMFPSTWYV", "X-BZUOJAAAAAAAAAAAAA"])
    assert msa[0].tolist() == list(range(20))
    # B -> D, Z -> E, U -> C, O and J -> X in MSA rows, as AF2's HHblits table does
    assert msa[1, :7].tolist() == [20, 21, 3, 6, 4, 20, 20]
    assert encode(["BZUOX"], AATYPE_LOOKUP)[0].tolist() == [20] * 5
    with pytest.raises(ValueError, match="not allowed"):
        encode(["A-C"], AATYPE_LOOKUP)
    with pytest.raises(ValueError, match="unequal"):
        encode(["AC", "A"])


def test_small_msa_equals_af2(af2):
    a3m = parse_a3m(SMALL)
    msa, deletions = af2_raw_msa(af2, a3m)
    ours = make_msa_features(a3m, deduplicate=False)
    assert ours["msa"].dtype == torch.long
    assert np.array_equal(ours["msa"].numpy(), msa)
    assert np.array_equal(ours["deletion_matrix"].numpy(), deletions)


def test_deduplicate_keeps_first_occurrence():
    a3m = deduplicate_msa(parse_a3m(SMALL))
    # 'a-again' equals the query; 'a' and 'c' equal it once insertions are removed
    assert a3m.descriptions == ["query", "b", "d"]
    assert a3m.deletion_matrix[1] == [0, 0, 0, 0, 2, 0]


def test_real_msa_features_equal_af2(af2, tautomerase):
    """AF2's upstream make_msa_features deduplicates; the installed (ColabFold) fork
    has those lines commented out, so compare without dedup, then with dedup
    against the fork's rows filtered by first occurrence."""
    msa, deletions = af2_raw_msa(af2, tautomerase)
    ours = make_msa_features(tautomerase, deduplicate=False)
    assert np.array_equal(ours["msa"].numpy(), msa)
    assert np.array_equal(ours["deletion_matrix"].numpy(), deletions)
    first = {}
    for i, s in enumerate(tautomerase.sequences):
        first.setdefault(s, i)
    keep = sorted(first.values())
    deduped = make_msa_features(tautomerase)
    assert 0 < len(keep) < len(tautomerase)
    assert np.array_equal(deduped["msa"].numpy(), msa[keep])
    assert np.array_equal(deduped["deletion_matrix"].numpy(), deletions[keep])


def test_sequence_features_equal_af2(af2):
    sequence = "MKVLAGXBW"
    theirs = af2["pipeline"].make_sequence_features(sequence, "q", len(sequence))
    ours = make_sequence_features(sequence)
    assert ours["aatype"].tolist() == theirs["aatype"].argmax(-1).tolist()
    assert ours["residue_index"].tolist() == theirs["residue_index"].tolist()
    assert ours["seq_mask"].tolist() == [1.0] * len(sequence)


def test_target_feat_equals_af2(af2):
    aatype = torch.tensor([0, 19, 20, 7, 3])
    protein = {
        "aatype": aatype.numpy(),
        "between_segment_residues": np.zeros(5, np.int32),
        "msa": np.zeros((1, 5), np.int32),
        "deletion_matrix": np.zeros((1, 5), np.float32),
    }
    theirs = af2["dt"].make_msa_feat()(protein)["target_feat"]
    ours = target_feat(aatype)
    assert ours.shape == (5, 22) and np.array_equal(ours.numpy(), theirs)
    assert target_feat(aatype[None].expand(3, 5), torch.float64).shape == (3, 5, 22)


def test_profile_equals_af2(af2, tautomerase):
    msa = make_msa_features(tautomerase)["msa"]
    theirs = af2["dt"].make_hhblits_profile({"msa": msa.numpy().astype(np.int32)})
    ours = hhblits_profile(msa)
    assert np.array_equal(ours.numpy(), theirs["hhblits_profile"])
    assert torch.allclose(ours.sum(-1), torch.ones(59))


def test_deletion_value_figures():
    d = torch.tensor([0.0, 1, 2, 3, 5, 8])
    expected = torch.tensor([0, 0.2048, 0.3743, 0.5, 0.6560, 0.7716])
    assert torch.allclose(deletion_value(d), expected, atol=1e-4)


def test_pad_rows():
    x = torch.arange(6).reshape(2, 3)
    assert pad_rows(x, 4).tolist() == [[0, 1, 2], [3, 4, 5], [0, 0, 0], [0, 0, 0]]
    assert pad_rows(x, 2).equal(x)


# --- the deterministic steps, fed AF2's own random choices --------------------------


@pytest.fixture(scope="module")
def af2_steps(af2, tautomerase):
    """Run AF2's ensembled transforms one by one (fork's philox RNG, seed 7) and keep
    the intermediate dicts, so each of our steps can take AF2's inputs."""
    dt, tf = af2["dt"], af2["tf"]
    from alphafold.model import config

    msa, deletions = af2_raw_msa(af2, tautomerase)
    p = {"msa": msa.astype(np.int32), "deletion_matrix": deletions.astype(np.float32)}
    p = dt.make_msa_mask(p)
    p = dt.make_hhblits_profile(p)
    tf.set_random_seed(7)
    p = dt.sample_msa(64, keep_extra=True)(p)
    cfg = config.model_config("model_3_ptm").data.common.masked_msa
    p = dt.make_masked_msa(cfg, 0.15)(p)
    after_bert = dict(p)
    p = dt.nearest_neighbor_clusters()(p)
    p = dt.summarize_clusters()(p)
    after_clusters = dict(p)
    p = dt.crop_extra_msa(200)(p)
    p["aatype"] = p["true_msa"][0]
    p["between_segment_residues"] = np.zeros(msa.shape[1], np.int32)
    p = dt.make_msa_feat()(p)
    return after_bert, after_clusters, p


def t(x):
    return torch.from_numpy(np.array(x))


def test_nearest_neighbor_clusters_equal_af2(af2_steps):
    p, q, _ = af2_steps
    ours = nearest_neighbor_clusters(
        t(p["msa"]).long(),
        t(p["msa_mask"]),
        t(p["extra_msa"]).long(),
        t(p["extra_msa_mask"]),
    )
    assert (t(p["msa"]) == 22).any()  # BERT output, mask tokens included
    assert np.array_equal(ours.numpy(), q["extra_cluster_assignment"])


def test_nearest_neighbor_rule_by_hand():
    """Gap and mask-token agreement count 0, X counts, masks apply, ties go first."""
    centres = torch.tensor([[0, 21, 22, 20], [1, 21, 22, 20], [0, 5, 5, 5]])
    mask = torch.ones(3, 4)
    extra = torch.tensor([[0, 21, 21, 20], [2, 21, 21, 21], [1, 5, 5, 5], [1, 5, 5, 5]])
    extra_mask = torch.ones(4, 4)
    extra_mask[3, 1:] = 0
    assignment = nearest_neighbor_clusters(centres, mask, extra, extra_mask)
    # row 0: 2 matches with centre 0 (A, X) vs 1 with centre 2 -> 0
    # row 1: no match anywhere -> 0 (first); row 2: 3 matches with 2;
    # row 3: only its first column is unmasked, R -> centre 1
    assert assignment.tolist() == [0, 0, 2, 1]
    empty = nearest_neighbor_clusters(centres, mask, extra[:0], extra_mask[:0])
    assert empty.shape == (0,)


def test_summarize_clusters_equals_af2(af2_steps):
    p, q, _ = af2_steps
    profile, deletion_mean = summarize_clusters(
        t(p["msa"]).long(),
        t(p["msa_mask"]),
        t(p["deletion_matrix"]),
        t(p["extra_msa"]).long(),
        t(p["extra_msa_mask"]),
        t(p["extra_deletion_matrix"]),
        t(q["extra_cluster_assignment"]).long(),
    )
    assert np.array_equal(profile.numpy(), q["cluster_profile"])
    assert np.array_equal(deletion_mean.numpy(), q["cluster_deletion_mean"])
    assert torch.allclose(profile.sum(-1), torch.ones(()), atol=1e-5)


def test_summarize_clusters_float64_and_empty():
    msa = torch.tensor([[0, 21], [3, 22]])
    mask = torch.ones(2, 2, dtype=torch.float64)
    dels = torch.tensor([[0.0, 2.0], [1.0, 0.0]], dtype=torch.float64)
    profile, mean = summarize_clusters(
        msa, mask, dels, msa[:0], mask[:0], dels[:0], torch.zeros(0, dtype=torch.long)
    )
    assert profile.dtype == torch.float64
    assert torch.equal(profile.argmax(-1), msa)
    assert torch.allclose(mean, dels, atol=1e-5)


def test_msa_feat_equals_af2(af2_steps):
    _, _, p = af2_steps
    ours = make_msa_feat(
        t(p["msa"]).long(),
        t(p["deletion_matrix"]),
        t(p["cluster_profile"]),
        t(p["cluster_deletion_mean"]),
    )
    theirs = t(p["msa_feat"])
    assert ours.shape == theirs.shape == (64, 59, 49)
    exact = [*range(0, 24), *range(25, 48)]  # one-hots, has_deletion, profile
    assert torch.equal(ours[..., exact], theirs[..., exact])
    assert (ours - theirs).abs().max() < 1e-6  # atan: float32 round-off only
    assert torch.allclose(
        deletion_value(t(p["extra_deletion_matrix"])),
        t(p["extra_deletion_value"]),
        atol=1e-6,
    )


def test_extra_msa_feat_layout():
    extra = torch.tensor([[0, 21], [20, 5]])
    has = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    value = torch.tensor([[0.0, 0.2], [0.5, 0.0]])
    feat = extra_msa_feat(extra, has, value)
    assert feat.shape == (2, 2, 25)
    assert feat[0, 1, 21] == 1 and feat[1, 0, 20] == 1 and feat[..., :23].sum() == 4
    assert torch.equal(feat[..., 23], has) and torch.equal(feat[..., 24], value)


# --- random steps: structure and statistics -----------------------------------------


def test_sample_msa_indices():
    clusters, extra = sample_msa_indices(100, 30, g(1))
    assert clusters[0] == 0 and len(clusters) == 30 and len(extra) == 70
    assert sorted(torch.cat([clusters, extra]).tolist()) == list(range(100))
    again, _ = sample_msa_indices(100, 30, g(1))
    other, _ = sample_msa_indices(100, 30, g(2))
    assert torch.equal(clusters, again) and not torch.equal(clusters, other)
    few, none = sample_msa_indices(5, 512, g())
    assert sorted(few.tolist()) == list(range(5)) and few[0] == 0 and len(none) == 0
    assert sample_msa_indices(1, 512, g())[0].tolist() == [0]


def test_sample_msa_indices_uniform():
    """Every non-query row is picked with probability (N_clust - 1) / (N_seq - 1)."""
    gen = g(3)
    counts = torch.zeros(21)
    for _ in range(2000):
        counts[sample_msa_indices(21, 6, gen)[0]] += 1
    assert counts[0] == 2000
    assert (counts[1:] / 2000 - 5 / 20).abs().max() < 0.04


def test_crop_extra_indices():
    keep = crop_extra_indices(50, 20, g())
    assert len(keep) == 20 and len(set(keep.tolist())) == 20 and keep.max() < 50
    assert len(crop_extra_indices(5, 20, g())) == 5


def test_bert_probabilities():
    msa = torch.tensor([[0, 21]])
    profile = torch.zeros(2, 22)
    profile[:, 1] = 1
    probs = bert_probabilities(msa, profile)
    assert probs.shape == (1, 2, 23)
    assert torch.allclose(probs.sum(-1), torch.ones(1, 2))
    assert math.isclose(probs[0, 0, 0], 0.1 * 0.05 + 0.1, abs_tol=1e-7)
    assert math.isclose(probs[0, 0, 1], 0.1 * 0.05 + 0.1, abs_tol=1e-7)
    assert math.isclose(probs[0, 1, 21], 0.1, abs_tol=1e-7)  # gap kept
    assert probs[0, 1, 20] == 0  # uniform is over the 20 amino acids only
    assert math.isclose(probs[0, 0, 22], 0.7, abs_tol=1e-7)


def test_sample_categorical():
    probs = torch.tensor([0.2, 0.0, 0.5, 0.3])
    u = torch.tensor([0.0, 0.1999, 0.2, 0.6999, 0.7, 0.9999999, 1.0])
    assert sample_categorical(probs.expand(7, 4), u).tolist() == [0, 0, 2, 2, 3, 3, 3]


def test_masked_msa_statistics():
    """15% of positions chosen; of those 70% mask token, and a known share unchanged."""
    num_seq, num_res = 400, 50
    gen = g(5)
    msa = torch.randint(0, 22, (num_seq, num_res), generator=gen)
    profile = hhblits_profile(msa)
    bert_msa, bert_mask = make_masked_msa(msa, profile, gen)
    chosen = bert_mask.bool()
    assert bert_msa.shape == msa.shape and bert_mask.dtype == torch.float32
    assert torch.equal(bert_msa[~chosen], msa[~chosen])
    fraction = chosen.float().mean()
    assert abs(fraction - 0.15) < 0.01
    replaced = bert_msa[chosen]
    assert abs((replaced == 22).float().mean() - 0.7) < 0.02
    # unchanged: 10% "same" + uniform and profile draws that hit the same class
    expected_same = (
        bert_probabilities(msa, profile)[chosen].gather(-1, msa[chosen][:, None]).mean()
    )
    assert abs((replaced == msa[chosen]).float().mean() - expected_same) < 0.02
    # the replacements follow bert_probabilities: 23 class frequencies within 0.01
    expected = bert_probabilities(msa, profile)[chosen].mean(0)
    observed = torch.bincount(replaced, minlength=23) / len(replaced)
    assert (observed - expected).abs().max() < 0.01
    again, _ = make_masked_msa(msa, profile, g(9))
    assert not torch.equal(again, bert_msa)
    assert torch.equal(make_masked_msa(msa, profile, g(9))[0], again)
    # the draws do not depend on the float dtype
    assert torch.equal(make_masked_msa(msa, profile.double(), g(9))[0], again)


# --- the whole pipeline --------------------------------------------------------------


KEYS = {  # trailing dims after [P]: per residue (N_res first) or per row (c/e first)
    "target_feat": (22,),
    "msa_feat": ("c", 49),
    "msa_mask": ("c",),
    "seq_mask": (),
    "residue_index": (),
    "aatype": (),
    "extra_msa": ("e",),
    "extra_has_deletion": ("e",),
    "extra_deletion_value": ("e",),
    "extra_msa_mask": ("e",),
}


def test_build_features_small_msa_padding():
    a3m = parse_a3m(SMALL)
    f = build_features(
        a3m, num_recycle=2, max_msa_clusters=4, max_extra_msa=5, generator=g()
    )
    assert set(f) == set(KEYS)
    for key, dims in KEYS.items():
        shape = [{"c": 4, "e": 5}.get(d, d) for d in dims]
        per_residue = key not in ("msa_feat", "msa_mask") and "extra" not in key
        expected = (3, 6, *shape) if per_residue else (3, shape[0], 6, *shape[1:])
        assert f[key].shape == expected, key
    assert f["aatype"].dtype == f["extra_msa"].dtype == torch.long
    # 3 unique rows (dedup): 3 clusters + 1 padded cluster row (all zero), no extra
    assert f["msa_mask"][:, :3].min() == 1 and f["msa_mask"][:, 3].max() == 0
    assert f["msa_feat"][:, 3].abs().max() == 0
    assert f["extra_msa_mask"].max() == 0 and f["extra_msa"].max() == 0
    assert f["residue_index"][0].tolist() == list(range(6))
    assert torch.equal(f["target_feat"][0], target_feat(f["aatype"][0]))
    # without dedup: 6 rows = 3 clusters + 3 extra; 2 padded extra rows: 'A', mask 0
    f = build_features(
        a3m,
        num_recycle=0,
        max_msa_clusters=3,
        max_extra_msa=5,
        generator=g(),
        deduplicate=False,
    )
    assert f["extra_msa_mask"][0, :3].min() == 1
    assert f["extra_msa_mask"][0, 3:].max() == 0
    assert (f["extra_msa"][0, 3:] == 0).all()
    assert f["extra_deletion_value"][0, 3:].max() == 0


def test_build_features_reads_a_path(shared_data):
    path = str(shared_data / TAUTOMERASE)
    f = build_features(path, num_recycle=0, max_msa_clusters=4, max_extra_msa=4)
    assert f["msa_feat"].shape == (1, 4, 59, 49)


def test_build_features_real_msa(tautomerase):
    sizes = dict(num_recycle=1, max_msa_clusters=32, max_extra_msa=64)
    f = build_features(tautomerase, **sizes, generator=g(11))
    assert f["msa_feat"].shape == (2, 32, 59, 49)
    assert f["msa_mask"].min() == 1 and f["extra_msa_mask"].min() == 1
    # independent samples per pass; same seed, same features
    assert not torch.equal(f["msa_feat"][0], f["msa_feat"][1])
    again = build_features(tautomerase, **sizes, generator=g(11))
    assert all(torch.equal(f[k], again[k]) for k in f)
    # the query is row 0; with BERT a few of its positions differ from aatype
    query = f["msa_feat"][:, 0, :, :21].argmax(-1)
    differ = (query != f["aatype"]).float().mean()
    assert 0 < differ < 0.4
    # profiles sum to 1; 10.5% of cluster positions are mask tokens on average
    assert torch.allclose(f["msa_feat"][..., 25:48].sum(-1), torch.ones(()), atol=1e-5)
    assert abs(f["msa_feat"][..., 22].mean() - 0.105) < 0.02
    as_float64 = build_features(
        tautomerase,
        num_recycle=0,
        max_msa_clusters=8,
        max_extra_msa=8,
        generator=g(),
        dtype=torch.float64,
    )
    assert as_float64["msa_feat"].dtype == torch.float64


def test_build_features_matches_af2_layout(af2, tautomerase):
    """AF2's own pipeline on the same MSA: same keys, shapes and masks, and the same
    statistics of its random steps (the RNG streams differ)."""
    from alphafold.model import config, features

    cfg = config.model_config("model_3_ptm")
    cfg.data.common.num_recycle = 1
    cfg.data.common.max_extra_msa = 256
    cfg.data.eval.max_msa_clusters = 128
    msa, deletions = af2_raw_msa(af2, tautomerase)
    hhblits_order = np.argsort(af2["rc"].MAP_HHBLITS_AATYPE_TO_OUR_AATYPE)
    raw = af2["pipeline"].make_sequence_features(tautomerase.query, "q", 59)
    raw.update(
        msa=hhblits_order[msa].astype(np.int32),
        deletion_matrix_int=deletions,
        num_alignments=np.full(59, len(msa), np.int32),
    )
    theirs = features.np_example_to_features(raw, cfg, random_seed=0)
    ours = build_features(
        tautomerase,
        num_recycle=1,
        max_msa_clusters=128,
        max_extra_msa=256,
        generator=g(),
        deduplicate=False,
    )
    for key in KEYS:
        assert tuple(ours[key].shape) == theirs[key].shape, key
    for key in (
        "aatype",
        "residue_index",
        "seq_mask",
        "target_feat",
        "msa_mask",
        "extra_msa_mask",
    ):
        assert np.array_equal(ours[key].numpy(), theirs[key]), key
    for channel, tol in ((22, 0.02), (21, 0.03), (23, 0.03)):
        a = ours["msa_feat"][..., channel].mean()
        b = theirs["msa_feat"][..., channel].mean()
        assert abs(a - b) < tol, (channel, a, b)


def test_one_pass_equals_af2_given_its_choices(af2, tautomerase, monkeypatch):
    """AF2's whole pipeline (one pass) and our ``sample_msa_features`` agree exactly
    once ours is fed AF2's random choices: its two shuffles (recorded) and its BERT
    output (read back from its msa_feat). This checks the order of the steps: BERT
    before clustering, clustering over all extra rows before the crop, padding."""
    from alphafold.model import config
    from alphafold.model import features as af2_features

    from reference import features as ours_module

    shuffles = []
    original = af2["tf"].random_shuffle

    def recording_shuffle(value, seed=None, name=None):
        shuffles.append(np.asarray(original(value, seed=seed, name=name)))
        return shuffles[-1]

    monkeypatch.setattr(af2["tf"], "random_shuffle", recording_shuffle)
    num_clusters, num_extra = 96, 300
    cfg = config.model_config("model_3_ptm")
    cfg.data.common.num_recycle = 0
    cfg.data.common.max_extra_msa = num_extra
    cfg.data.eval.max_msa_clusters = num_clusters
    msa, deletions = af2_raw_msa(af2, tautomerase)
    raw = af2["pipeline"].make_sequence_features(tautomerase.query, "q", 59)
    hhblits_order = np.argsort(af2["rc"].MAP_HHBLITS_AATYPE_TO_OUR_AATYPE)
    raw.update(
        msa=hhblits_order[msa].astype(np.int32),
        deletion_matrix_int=deletions,
        num_alignments=np.full(59, len(msa), np.int32),
    )
    processed = af2_features.np_example_to_features(raw, cfg, random_seed=5)
    theirs = {k: v[0] for k, v in processed.items()}
    assert len(shuffles) == 2

    order = torch.from_numpy(np.concatenate([[0], shuffles[0]])).long()
    bert_msa = t(theirs["msa_feat"][:, :, :23]).argmax(-1)
    monkeypatch.setattr(
        ours_module,
        "sample_msa_indices",
        lambda *_: (order[:num_clusters], order[num_clusters:]),
    )
    monkeypatch.setattr(
        ours_module, "make_masked_msa", lambda *_: (bert_msa, t(theirs["bert_mask"]))
    )
    monkeypatch.setattr(
        ours_module,
        "crop_extra_indices",
        lambda *_: torch.from_numpy(shuffles[1][:num_extra]).long(),
    )
    ours = ours_module.sample_msa_features(
        t(msa).long(),
        t(deletions).float(),
        hhblits_profile(t(msa).long()),
        g(),
        num_clusters,
        num_extra,
    )
    assert torch.equal(
        bert_msa,
        t(theirs["true_msa"]).long().where(t(theirs["bert_mask"]) == 0, bert_msa),
    )  # BERT changed only masked positions
    for key in ("msa_mask", "extra_msa", "extra_has_deletion", "extra_msa_mask"):
        assert np.array_equal(ours[key].numpy(), theirs[key]), key
    exact = [*range(0, 24), *range(25, 48)]
    assert torch.equal(ours["msa_feat"][..., exact], t(theirs["msa_feat"])[..., exact])
    assert (ours["msa_feat"] - t(theirs["msa_feat"])).abs().max() < 1e-6
    value = ours["extra_deletion_value"] - t(theirs["extra_deletion_value"])
    assert value.abs().max() < 1e-6
