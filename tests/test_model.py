"""The full model (SI Alg. 2): recycling, pass slicing, chunking, precision, and
fidelity to DeepMind's haiku model (the trunk, then the whole model with recycling)."""

import numpy as np
import pytest
import torch

from reference.config import model_config, tiny_config
from reference.model import FEATURE_RANKS, AlphaFold, to_tensors
from reference.weights import load_params

L, N_CLUST, N_EXTRA, PASSES = 13, 5, 7, 2


def synthetic_features(seed=0, passes=PASSES, pad_rows=True):
    """Processed features in AF2's layout with a leading pass dimension; the last
    cluster row and the last three extra rows are padding (mask 0, 'A' class)."""
    rng = np.random.default_rng(seed)
    aatype = rng.integers(0, 21, L)
    aatype[[1, 6]] = 7  # glycines take Cα in the recycled distogram
    msa_mask = np.ones((N_CLUST, L), np.float32)
    extra_mask = np.ones((N_EXTRA, L), np.float32)
    if pad_rows:
        msa_mask[-1], extra_mask[-3:] = 0, 0
    msa_feat = (
        rng.random((passes, N_CLUST, L, 49)).astype(np.float32) * msa_mask[..., None]
    )
    extra_msa = rng.integers(0, 22, (passes, N_EXTRA, L)) * (extra_mask > 0)
    f = {
        "aatype": aatype,
        "residue_index": np.arange(L),
        "seq_mask": np.ones(L, np.float32),
        "target_feat": np.concatenate([np.zeros((L, 1)), np.eye(21)[aatype]], -1),
        "msa_feat": msa_feat,
        "msa_mask": msa_mask,
        "extra_msa": extra_msa,
        "extra_has_deletion": (rng.random((passes, N_EXTRA, L)) < 0.2) * extra_mask,
        "extra_deletion_value": rng.random((passes, N_EXTRA, L)) * extra_mask,
        "extra_msa_mask": extra_mask,
    }
    same = (
        "aatype",
        "residue_index",
        "seq_mask",
        "target_feat",
        "msa_mask",
        "extra_msa_mask",
    )
    f = {
        k: np.broadcast_to(v, (passes,) + v.shape) if k in same else v
        for k, v in f.items()
    }
    return to_tensors(f)


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    model = AlphaFold(tiny_config()).eval()
    with torch.no_grad():
        for (
            p
        ) in model.parameters():  # plain init leaves constants; make every value count
            p.add_(0.05 * torch.randn_like(p))
    return model


# --- tier 1 -------------------------------------------------------------------------
def test_forward_outputs(tiny_model):
    with torch.no_grad():
        out = tiny_model(synthetic_features(), num_recycle=1)
    assert out["final_atom_positions"].shape == (L, 37, 3)
    assert out["final_atom_mask"].shape == (L, 37)
    assert (
        out["plddt"].shape == (L,)
        and 0 <= out["plddt"].min()
        and out["plddt"].max() <= 100
    )
    assert out["distogram_logits"].shape == (L, L, 64)
    assert out["predicted_aligned_error"].shape == (L, L) and out["ptm"].shape == ()
    c = tiny_model.config
    assert out["single"].shape == (L, c.c_s) and out["pair"].shape == (L, L, c.c_z)
    assert out["msa_first_row"].shape == (L, c.c_m)
    assert torch.isfinite(out["final_atom_positions"]).all()
    # atoms a residue lacks are zero
    assert (out["final_atom_positions"][out["final_atom_mask"] == 0] == 0).all()


def test_recycling_loop_equals_passes_by_hand(tiny_model):
    """forward = forward_pass on slice 0 from zeros, then slice 1 from its outputs."""
    f = synthetic_features()
    with torch.no_grad():
        out = tiny_model(f, num_recycle=1)
        first = tiny_model.forward_pass({k: v[0] for k, v in f.items()})
        zeros = tiny_model.initial_prev({k: v[0] for k, v in f.items()})
        assert torch.equal(
            tiny_model.forward_pass({k: v[0] for k, v in f.items()}, zeros)["pair"],
            first["pair"],
        )
        second = tiny_model.forward_pass({k: v[1] for k, v in f.items()}, first["prev"])
    for k in ("final_atom_positions", "plddt", "pair"):
        torch.testing.assert_close(out[k], second[k], rtol=0, atol=0)
    assert not torch.allclose(
        first["pair"], second["pair"]
    )  # recycling changes the result


def test_last_pass_outputs_freed_during_the_next_pass(tiny_model):
    """Only ``prev`` survives a pass: its logits are gone when the next one runs."""
    import weakref

    logits, alive = [], []
    hooks = [
        tiny_model.heads.register_forward_hook(
            lambda _m, _a, out: logits.append(weakref.ref(out["distogram_logits"]))
        ),
        tiny_model.evoformer.register_forward_pre_hook(
            lambda *_: alive.append([r() is not None for r in logits])
        ),
    ]
    try:
        with torch.no_grad():
            tiny_model(synthetic_features(), num_recycle=1)
    finally:
        for h in hooks:
            h.remove()
    assert alive == [[], [False]]


def test_pass_slicing(tiny_model):
    f = synthetic_features(passes=3)
    assert torch.equal(AlphaFold.pass_features(f, 2, 3)["msa_feat"], f["msa_feat"][2])
    one = {k: v[0] for k, v in f.items()}  # no pass dim: every pass reads the same
    assert AlphaFold.pass_features(one, 1, 2)["msa_feat"] is one["msa_feat"]
    with pytest.raises(ValueError, match="3 passes"):
        AlphaFold.pass_features(synthetic_features(passes=2), 0, 3)


def test_chunked_equals_unchunked(tiny_model):
    f = {k: v[0] for k, v in synthetic_features().items()}
    with torch.no_grad():
        ref = tiny_model.forward_pass(f)
        tiny_model.config = tiny_model.config.replace(chunk_size=4)
        try:
            chunked = tiny_model.forward_pass(f)
        finally:
            tiny_model.config = tiny_model.config.replace(chunk_size=None)
    for k in ("pair", "single", "final_atom_positions", "plddt"):
        torch.testing.assert_close(chunked[k], ref[k], rtol=1e-4, atol=1e-4)


def test_bf16_trunk_keeps_fp32_outputs(tiny_model):
    f = {k: v[0] for k, v in synthetic_features().items()}
    with torch.no_grad():
        ref = tiny_model.forward_pass(f)
        tiny_model.config = tiny_model.config.replace(precision="bf16")
        try:
            low = tiny_model.forward_pass(f)
        finally:
            tiny_model.config = tiny_model.config.replace(precision="fp32")
    for k in ("pair", "final_atom_positions", "plddt"):
        assert low[k].dtype == torch.float32
    assert not torch.equal(low["pair"], ref["pair"])  # bf16 really ran
    assert (low["plddt"] - ref["plddt"]).abs().max() < 5


def test_float64(tiny_model):
    model = AlphaFold(tiny_config()).double()
    model.load_state_dict(tiny_model.state_dict())
    f = {
        k: v[0].double() if v.is_floating_point() else v[0]
        for k, v in synthetic_features().items()
    }
    with torch.no_grad():
        out = model.forward_pass(f)
    assert out["final_atom_positions"].dtype == torch.float64


# --- fidelity: DeepMind's trunk (embedders, extra-MSA stack, 2 blocks) ---
@pytest.mark.crosscheck
def test_trunk_matches_haiku(haiku):
    from alphafold.model import modules

    cfg = haiku.model_config("model_3_ptm", num_evoformer=2, num_extra=1)
    f = {k: v[1].numpy() for k, v in synthetic_features(seed=4).items()}  # pass 1
    f["seq_mask"] = f["seq_mask"].copy()
    f["seq_mask"][-1] = 0  # a masked residue, masked everywhere
    for k in ("msa_mask", "extra_msa_mask"):
        f[k] = f[k] * f["seq_mask"]
    rng = np.random.default_rng(5)
    prev = {
        "prev_pos": 10 * rng.standard_normal((L, 37, 3)),
        "prev_msa_first_row": rng.standard_normal((L, 256)),
        "prev_pair": rng.standard_normal((L, L, 128)),
    }

    def fn(batch):
        evo = modules.EmbeddingsAndEvoformer(
            cfg.model.embeddings_and_evoformer, cfg.model.global_config
        )
        return evo(batch, is_training=False)

    from af2_full_model import run_jitted

    batch = {
        k: np.asarray(v, np.float32)
        if np.asarray(v).dtype.kind == "f"
        else np.asarray(v, np.int32)
        for k, v in {**f, **prev}.items()
    }
    flat, out = run_jitted(fn, batch)
    model = AlphaFold(model_config("model_3_ptm", N_evoformer_block=2, N_extra_block=1))
    used = set()  # the trunk's parts, all in AF2's "evoformer" scope
    for part in (
        "input_embedder",
        "recycling_embedder",
        "extra_msa_embedder",
        "extra_msa_stack",
        "evoformer",
    ):
        used |= load_params(model.get_submodule(part), flat, "evoformer", strict=False)
    w, b = (f"evoformer/single_activations//{n}" for n in ("weights", "bias"))
    with torch.no_grad():
        model.linear_single.weight.copy_(haiku.t32(flat[w]).T)
        model.linear_single.bias.copy_(haiku.t32(flat[b]))
    assert used | {w, b} == set(flat)  # every array of the trunk used
    keys = ("single", "pair", "msa_first_row", "msa")

    def ours(t):
        f = {k: t(v) for k, v in batch.items()}
        rep = model.embed_and_evoform(f, f)
        return [rep[k] for k in keys]

    their = haiku.Both(*([o[k] for k in keys] for o in out))
    haiku.assert_matches(model, ours, their)


# --- fidelity: the whole model, 2 recycles, loaded from a params_model_*.npz ---------
@pytest.fixture(scope="module")
def af2_case(haiku, tmp_path_factory):
    """haiku model_3_ptm (2 Evoformer blocks, 1 extra-MSA block) with random parameters
    saved as an npz, features of a real MSA made once by AF2's pipeline; run once."""
    from af2_full_model import make_case

    return make_case(tmp_path_factory.mktemp("af2_params"))


@pytest.mark.crosscheck
def test_full_model_matches_haiku(af2_case, haiku):
    from af2_full_model import NUM_RECYCLE

    model = AlphaFold.from_params(af2_case["path"])  # sizes read from the file
    c = model.config
    assert (c.N_evoformer_block, c.N_extra_block, c.ptm) == (2, 1, True)
    features = af2_case["features"]
    assert (features["extra_msa_mask"][0].sum(-1) == 0).any()  # padded extra rows
    h = af2_case["haiku"]
    mask = model(to_tensors(features), num_recycle=NUM_RECYCLE)["final_atom_mask"]
    assert torch.equal(mask, haiku.t32(h.f32["structure_module"]["final_atom_mask"]))

    def theirs(h):
        rep = h["representations"]
        return (
            h["structure_module"]["final_atom_positions"],
            h["plddt"],
            h["predicted_aligned_error"],
            h["ptm"],
            h["distogram"]["logits"],
            *(rep[k] for k in ("single", "pair", "msa_first_row")),
        )

    def ours(t):
        out = model({k: t(features[k]) for k in FEATURE_RANKS}, num_recycle=NUM_RECYCLE)
        return tuple(
            out[k]
            for k in (
                "final_atom_positions",
                "plddt",
                "predicted_aligned_error",
                "ptm",
                "distogram_logits",
                "single",
                "pair",
                "msa_first_row",
            )
        )

    haiku.assert_matches(model, ours, haiku.Both(*map(theirs, h)))
