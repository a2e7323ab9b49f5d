"""Embedders (SI Alg. 3, 4, 5, 32 and Alg. 2 line 15): properties and haiku fidelity."""

import numpy as np
import pytest
import torch

from reference.embedders import (
    ExtraMsaEmbedder,
    InputEmbedder,
    RecyclingEmbedder,
    extra_msa_feat,
)
from reference.weights import load_params

L, N_CLUST, N_EXTRA = 11, 5, 7
GLY, CA, CB = 7, 1, 3


def features(seed=0, zeros_prev=False):
    """Random inputs of one pass in AF2's processed-feature layout (no pass dim)."""
    rng = np.random.default_rng(seed)
    aatype = rng.integers(0, 21, L).astype(np.int32)
    aatype[[2, 5]] = GLY
    target_feat = np.concatenate([np.zeros((L, 1)), np.eye(21)[aatype]], -1).astype(
        np.float32
    )
    residue_index = np.cumsum(rng.integers(1, 30, L)).astype(
        np.int32
    )  # gaps > 32 occur
    prev_pos = 8 * rng.standard_normal((L, 37, 3))
    return dict(
        target_feat=target_feat,
        msa_feat=rng.standard_normal((N_CLUST, L, 49)),
        seq_mask=np.ones(L),
        aatype=aatype,
        residue_index=residue_index,
        msa_mask=np.ones((N_CLUST, L)),
        extra_msa=rng.integers(0, 22, (N_EXTRA, L)).astype(np.int32),
        extra_has_deletion=(rng.random((N_EXTRA, L)) < 0.3).astype(np.float32),
        extra_deletion_value=rng.random((N_EXTRA, L)),
        extra_msa_mask=np.ones((N_EXTRA, L)),
        prev_pos=np.zeros_like(prev_pos) if zeros_prev else prev_pos,
        prev_msa_first_row=np.zeros((L, 256))
        if zeros_prev
        else rng.standard_normal((L, 256)),
        prev_pair=np.zeros((L, L, 128))
        if zeros_prev
        else rng.standard_normal((L, L, 128)),
    )


def pseudo_beta(aatype, x):
    return torch.where((aatype == GLY)[:, None], x[:, CA], x[:, CB])


# --- properties ---------------------------------------------------------------------
def test_relpos_clips_to_65_bins():
    emb = InputEmbedder().double()
    ri = torch.tensor([0, 1, 40, 100])
    torch.nn.init.eye_(
        emb.linear_relpos.weight
    )  # c_z = 128 > 65: identity on the first 65
    torch.nn.init.zeros_(emb.linear_relpos.bias)
    p = emb.relpos(ri)[..., :65]
    assert p.shape == (4, 4, 65)
    bins = p.argmax(-1)  # bin of i - j, shifted by 32
    assert bins[0, 1] == 31 and bins[1, 0] == 33 and bins[0, 0] == 32
    assert bins[0, 2] == 0 and bins[3, 0] == 64  # clipped at -32 and +32
    assert torch.all(p.sum(-1) == 1)


def test_recycling_bins_are_strict_and_open_ended():
    emb = RecyclingEmbedder().double()
    # distances: 0, exactly on the first edge (3.25), inside bin 0, beyond the last edge
    x = torch.tensor(
        [[0.0, 0, 0], [3.25, 0, 0], [0, 4.0, 0], [0, 0, 50.0]], dtype=torch.float64
    )
    d = emb.distance_bins(x)
    assert d.shape == (4, 4, 15)
    assert d[0, 0].sum() == 0 and d[0, 1].sum() == 0  # zero and on-edge: no bin
    assert d[0, 2].argmax() == 0 and d[0, 2].sum() == 1
    assert d[0, 3].argmax() == 14 and d[0, 3].sum() == 1


def test_recycling_embedder_adds_terms_on_the_first_pass():
    emb = RecyclingEmbedder(c_m=7, c_z=5).double()
    for p in emb.parameters():
        torch.nn.init.normal_(p)
    m_1, z = emb(
        torch.zeros(3, 7, dtype=torch.float64),
        torch.zeros(3, 3, 5, dtype=torch.float64),
        torch.zeros(3, 3, dtype=torch.float64),
    )
    assert torch.allclose(m_1, emb.layer_norm_m.bias.expand(3, 7))
    assert torch.allclose(
        z, (emb.linear_d.bias + emb.layer_norm_z.bias).expand(3, 3, 5)
    )


def test_embedders_batched_equals_unbatched_float64():
    f = [features(s) for s in (1, 2)]
    emb, rec, ext = (
        InputEmbedder().double(),
        RecyclingEmbedder().double(),
        ExtraMsaEmbedder().double(),
    )

    def run(b):
        t = {k: torch.as_tensor(np.asarray(v)) for k, v in b.items()}
        t = {k: v.double() if v.is_floating_point() else v for k, v in t.items()}
        m, z = emb(t["target_feat"], t["residue_index"], t["msa_feat"])
        x = t["prev_pos"][..., CB, :]
        m_1, dz = rec(t["prev_msa_first_row"], t["prev_pair"], x)
        e = ext(t["extra_msa"], t["extra_has_deletion"], t["extra_deletion_value"])
        return m, z + dz, m_1, e

    single = [run(b) for b in f]
    batched = run({k: np.stack([b[k] for b in f]) for k in f[0]})
    for i in range(2):
        for ours, ref in zip(batched, single[i]):
            assert ours.dtype == torch.float64
            torch.testing.assert_close(ours[i], ref)


def test_extra_msa_feat_channels():
    f = extra_msa_feat(
        torch.tensor([[0, 21]]), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.0]])
    )
    assert f.shape == (1, 2, 25)
    assert (
        f[0, 0, 0] == 1 and f[0, 1, 21] == 1 and f[0, 0, 23] == 1 and f[0, 0, 24] == 0.5
    )


# --- fidelity: DeepMind's EmbeddingsAndEvoformer with its stacks bypassed ---
def _embed_only(batch):
    """haiku EmbeddingsAndEvoformer, with every EvoformerIteration made the identity, so
    its outputs are the embedded MSA and pair representations."""
    import haiku as hk
    from alphafold.model import modules
    from haiku_utils import model_config

    cfg = model_config(num_evoformer=1, num_extra=1)

    def identity(next_f, args, kwargs, context):
        if (
            isinstance(context.module, modules.EvoformerIteration)
            and context.method_name == "__call__"
        ):
            return kwargs["activations"] if "activations" in kwargs else args[0]
        return next_f(*args, **kwargs)

    with hk.intercept_methods(identity):
        evo = modules.EmbeddingsAndEvoformer(
            cfg.model.embeddings_and_evoformer, cfg.model.global_config
        )
        out = evo(batch, is_training=False)
    return out, modules.create_extra_msa_feature(batch)


@pytest.mark.crosscheck
@pytest.mark.parametrize("zeros_prev", [True, False], ids=["first_pass", "later_pass"])
def test_embedders_match_haiku(haiku, zeros_prev):
    b = features(seed=3, zeros_prev=zeros_prev)
    flat, out = haiku.run_haiku(_embed_only, b)
    scope = "evoformer"
    emb, rec, ext = InputEmbedder(), RecyclingEmbedder(), ExtraMsaEmbedder()
    used = set()
    for module in (emb, rec, ext):
        used |= load_params(module, flat, scope, strict=False)
    # Every embedder array is used exactly once; the rest is the stacks' final Linear.
    assert sorted(set(flat) - used) == [
        f"{scope}/single_activations//bias",
        f"{scope}/single_activations//weights",
    ]

    def ours(to):
        t = {k: to(v) for k, v in b.items()}
        m, z = emb(t["target_feat"], t["residue_index"], t["msa_feat"])
        x_beta = pseudo_beta(t["aatype"], t["prev_pos"])
        m_1, dz = rec(t["prev_msa_first_row"], t["prev_pair"], x_beta)
        m = torch.cat([m[:1] + m_1, m[1:]])
        extra = (t["extra_msa"], t["extra_has_deletion"], t["extra_deletion_value"])
        return z + dz, m, m[0], extra_msa_feat(*extra), ext(*extra)

    def theirs(out):
        reps, extra_feat = out
        w, bias = (
            flat[f"{scope}/extra_msa_activations//{n}"] for n in ("weights", "bias")
        )
        return (
            *(reps[k] for k in ("pair", "msa", "msa_first_row")),
            extra_feat,  # AF2's own feature builder, then its Linear's weights
            extra_feat @ np.asarray(w, extra_feat.dtype) + bias,
        )

    haiku.assert_matches(
        torch.nn.ModuleList([emb, rec, ext]), ours, haiku.Both(*map(theirs, out))
    )
