"""Each embedder alone against DeepMind's haiku model, in float64 (SI Alg. 3-5, 32 and
Alg. 2, line 15).

``tests/test_embedders.py`` compares the sum of the three embedders. Here every one is
compared on its own with DeepMind's ``EmbeddingsAndEvoformer``, whose Evoformer and
extra-MSA iterations are made the identity and whose other embedding layers are
silenced (their outputs replaced by zeros), so its MSA and pair outputs are exactly
the one embedder's: relpos, the input embedder, the recycling embedder on a first
and on a later pass, and the extra-MSA embedder (the output of its layer). The
pseudo-β atoms and the distance bins are compared with DeepMind's functions, on
positions with distances exactly on bin edges and below the first edge.

Both sides run in float64 with the same random parameters (noise on every array);
they then agree to about 1e-15 (see ``ATOL``), and a wrong sign, a missing bias or a
bin off by one differs by 1e-2 and more.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reference.embedders import (
    ExtraMsaEmbedder,
    InputEmbedder,
    RecyclingEmbedder,
    pseudo_beta,
)
from reference.weights import load_params

pytestmark = pytest.mark.crosscheck

L, N_CLUST, N_EXTRA, C_M, C_Z = 11, 5, 7, 256, 128
GLY = 7
# Pseudo-β x-coordinates (Å): multiples of 1/4, so squared distances are exact. 12
# pairs lie exactly on edges of linspace(3.25, 20.75, 15) (3.25, 4.5, 5.75, 8.25, 9.5,
# 17, 18.25, 20.75 Å), 6 below the first edge, 11 beyond the last. Only on edges that
# jax computes exactly: its float64 linspace gives 7, 10.75 to 15.75 and 19.5 Å 1 to
# 4e-15 low (torch's and numpy's are exact), which moves a distance on such an edge
# into the bin above; its float32 linspace gives 15.75 Å 1e-6 high.
AXIS = [0.0, 1.5, 3.25, 8.25, 20.75, 40.0, 17.0, 12.5, 11.25, 15.0, 25.25]
# Measured float64 |ours - haiku|: at most 1.8e-15 (these inputs, noise 0.1). 500
# times that still separates any real mistake (>= 1e-2 here) from rounding.
ATOL = 1e-12
INPUT = ("preprocess_1d", "preprocess_msa", "left_single", "right_single")
RELPOS = ("pair_activiations",)  # sic: AF2's spelling
RECYCLING = ("prev_pos_linear", "prev_msa_first_row_norm", "prev_pair_norm")
EXTRA = "extra_msa_activations"
LAYERS = INPUT + RELPOS + RECYCLING + (EXTRA,)


def batch(first_pass: bool, seed: int = 0) -> dict[str, np.ndarray]:
    """One pass's features in AF2's layout, float64: glycines, a gap of 41 in
    ``residue_index``, padded extra rows, pseudo-β atoms on the x-axis at ``AXIS``
    (zeros on the first pass)."""
    rng = np.random.default_rng(seed)
    aatype = rng.integers(0, 21, L)
    aatype[[2, 5]] = GLY
    pos = 10 * rng.standard_normal((L, 37, 3))
    is_gly = aatype == GLY
    # glycine's pseudo-β atom is CA (atom37 slot 1), every other residue's CB (slot 3)
    pos[is_gly, 1], pos[~is_gly, 3] = 0.0, 0.0
    pos[is_gly, 1, 0], pos[~is_gly, 3, 0] = (
        np.array(AXIS)[is_gly],
        np.array(AXIS)[~is_gly],
    )
    extra_msa = rng.integers(0, 22, (N_EXTRA, L))
    counts = rng.integers(0, 4, (N_EXTRA, L)).astype(np.float64)
    extra_msa[-2:], counts[-2:] = 0, 0.0  # padded rows, as AF2 pads them
    extra_mask = np.ones((N_EXTRA, L))
    extra_mask[-2:] = 0.0

    def previous(*shape):
        return np.zeros(shape) if first_pass else rng.standard_normal(shape)

    return dict(
        aatype=aatype.astype(np.int32),
        residue_index=np.array([0, 1, 2, 3, 4, 45, 46, 47, 50, 51, 52], np.int32),
        seq_mask=np.ones(L),
        target_feat=np.concatenate([np.zeros((L, 1)), np.eye(21)[aatype]], -1),
        msa_feat=rng.standard_normal((N_CLUST, L, 49)),
        msa_mask=np.ones((N_CLUST, L)),
        extra_msa=extra_msa.astype(np.int32),
        extra_has_deletion=np.clip(counts, 0, 1),
        extra_deletion_value=np.arctan(counts / 3) * 2 / np.pi,
        extra_msa_mask=extra_mask,
        prev_pos=np.zeros_like(pos) if first_pass else pos,
        prev_msa_first_row=previous(L, C_M),
        prev_pair=previous(L, L, C_Z),
    )


def _embed(features, keep: tuple[str, ...]):
    """DeepMind's embeddings with identity iterations and only the layers ``keep``:
    ``(msa, pair, extra)``, extra = the output of ``extra_msa_activations``."""
    import haiku as hk
    import jax.numpy as jnp
    from alphafold.model import modules
    from haiku_utils import model_config

    cfg = model_config(num_evoformer=1, num_extra=1)
    recorded = {}

    def intercept(next_f, args, kwargs, context):
        if context.method_name != "__call__":
            return next_f(*args, **kwargs)
        if isinstance(context.module, modules.EvoformerIteration):
            return kwargs["activations"] if "activations" in kwargs else args[0]
        out = next_f(*args, **kwargs)
        name = context.module.module_name.rsplit("/", 1)[-1]
        if name == EXTRA:
            recorded[EXTRA] = out
        if name in LAYERS and name not in keep:
            out = jnp.zeros_like(out)
        return out

    with hk.intercept_methods(intercept):
        out = modules.EmbeddingsAndEvoformer(
            cfg.model.embeddings_and_evoformer, cfg.model.global_config
        )(features, is_training=False)
    return out["msa"], out["pair"], recorded[EXTRA]


# (features, layers kept) of every haiku run the tests compare with
RUNS = {
    "relpos": (False, RELPOS),
    "input": (False, INPUT + RELPOS),
    "recycling, first pass": (True, RECYCLING),
    "recycling, later pass": (False, RECYCLING),
    "extra": (False, ()),
}


@pytest.fixture(scope="module")
def haiku_runs(haiku):
    """``(flat float64 params, outputs)`` in one float64 block: ``outputs[run]`` =
    ``(msa, pair, extra)`` of every run of ``RUNS``, all with the same random
    parameters; ``outputs["bins", first_pass]`` = ``(x, dgram)``, DeepMind's
    pseudo-β atoms and distance bins of that pass."""
    import haiku as hk
    import jax
    from alphafold.model import modules

    t = hk.transform(_embed)
    key = jax.random.PRNGKey(0)
    apply = jax.jit(t.apply, static_argnums=3)  # faster than op by op, even per run
    outs = {}
    with haiku.float64():
        shapes = jax.eval_shape(t.init, key, batch(False), ())
        params = haiku.cast(haiku.random_params(shapes), np.float64)
        for name, (first_pass, keep) in RUNS.items():
            out = apply(haiku.unflatten(params), key, batch(first_pass), keep)
            outs[name] = [np.asarray(x, np.float64) for x in out]
        for first_pass in (True, False):
            f = batch(first_pass)
            x = modules.pseudo_beta_fn(f["aatype"], f["prev_pos"], None)
            dgram = modules.dgram_from_positions(x, 15, 3.25, 20.75)
            outs["bins", first_pass] = [np.array(a, np.float64) for a in (x, dgram)]
    return params, outs


def ours(cls, params, **kwargs):
    module = cls(**kwargs).double()
    load_params(module, params, "evoformer", strict=False)
    return module


def tensors(features):
    return {k: torch.from_numpy(np.asarray(v)) for k, v in features.items()}


def assert_close(got: torch.Tensor, want: np.ndarray, what: str):
    assert got.dtype == torch.float64 and tuple(got.shape) == want.shape, what
    diff = float(np.abs(got.detach().numpy() - want).max())
    assert diff <= ATOL, f"{what}: float64 max |ours - haiku| = {diff:.3g} > {ATOL:g}"


@pytest.mark.parametrize("first_pass", [True, False], ids=["first_pass", "later_pass"])
def test_pseudo_beta_and_distance_bins_match_haiku(haiku_runs, first_pass):
    x_af2, dgram = haiku_runs[1]["bins", first_pass]
    t = tensors(batch(first_pass))
    x = pseudo_beta(t["aatype"], t["prev_pos"])
    assert torch.equal(x, torch.from_numpy(x_af2))
    bins = RecyclingEmbedder().double().distance_bins(x)
    assert torch.equal(bins, torch.from_numpy(dgram))
    if first_pass:
        assert not bins.any()
    else:  # the inputs hold what a mistake would bin differently
        d = (x[:, None] - x[None]).norm(dim=-1)
        edges = torch.linspace(3.25, 20.75, 15, dtype=torch.float64)
        on_edge = (d[..., None] == edges).any(-1)
        assert on_edge.sum() == 2 * 12 and not bins[on_edge].any()
        assert not bins[(d > 0) & (d < 3.25)].any() and bins[d > 20.75][:, -1].all()


def test_relpos_matches_haiku(haiku_runs):
    f = batch(first_pass=False)
    params, outs = haiku_runs
    _, pair, _ = outs["relpos"]
    emb = ours(InputEmbedder, params)
    assert_close(emb.relpos(tensors(f)["residue_index"]), pair, "relpos")


def test_input_embedder_matches_haiku(haiku_runs):
    f = batch(first_pass=False)
    params, outs = haiku_runs
    msa, pair, _ = outs["input"]
    t = tensors(f)
    m, z = ours(InputEmbedder, params)(
        t["target_feat"], t["residue_index"], t["msa_feat"]
    )
    assert_close(m, msa, "m")
    assert_close(z, pair, "z")


@pytest.mark.parametrize("first_pass", [True, False], ids=["first_pass", "later_pass"])
def test_recycling_embedder_matches_haiku(haiku_runs, first_pass):
    f = batch(first_pass)
    params, outs = haiku_runs
    msa, pair, _ = outs[f"recycling, {'first' if first_pass else 'later'} pass"]
    t = tensors(f)
    x = pseudo_beta(t["aatype"], t["prev_pos"])
    m_1, z = ours(RecyclingEmbedder, params)(t["prev_msa_first_row"], t["prev_pair"], x)
    assert_close(m_1, msa[0], "m_1")
    assert not msa[1:].any()  # the recycled row goes to the first MSA row only
    assert_close(z, pair, "z")


def test_extra_msa_embedder_matches_haiku(haiku_runs):
    f = batch(first_pass=False)
    params, outs = haiku_runs
    _, _, extra = outs["extra"]
    t = tensors(f)
    e = ours(ExtraMsaEmbedder, params)(
        t["extra_msa"], t["extra_has_deletion"], t["extra_deletion_value"]
    )
    assert_close(e, extra, "e")
