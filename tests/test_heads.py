"""Output heads and confidence functions: properties, batching, and DeepMind's code."""

import numpy as np
import pytest
import torch

from reference.heads import (
    DistogramHead,
    ExperimentallyResolvedHead,
    MaskedMsaHead,
    PredictedAlignedErrorHead,
    PredictedLDDTHead,
    compute_plddt,
    compute_predicted_aligned_error,
    compute_ptm,
    distogram_bin_edges,
    pae_bin_centers,
)
from reference.weights import load_params

N_SEQ, N_RES, C_S, C_Z, C_M, C = 5, 9, 13, 11, 15, 17


def _logits(*shape, seed=0, scale=3.0):
    return torch.tensor(scale * np.random.default_rng(seed).standard_normal(shape))


# --- tier 1 -----------------------------------------------------------------------
def test_plddt_range_and_extremes():
    plddt = compute_plddt(_logits(2, N_RES, 50))
    assert plddt.shape == (2, N_RES) and (plddt > 0).all() and (plddt < 100).all()
    sure = torch.full((50,), -1e4, dtype=torch.float64)
    sure[-1] = 0
    torch.testing.assert_close(
        compute_plddt(sure), torch.tensor(99.0, dtype=torch.float64)
    )
    torch.testing.assert_close(compute_plddt(torch.zeros(50)), torch.tensor(50.0))


def test_bins():
    edges = distogram_bin_edges()
    assert edges.shape == (63,) and edges[0] == 2.3125 and edges[-1] == 21.6875
    centers = pae_bin_centers(dtype=torch.float64)
    assert centers.shape == (64,)
    torch.testing.assert_close(
        centers[[0, 1, -2, -1]], torch.tensor([0.25, 0.75, 31.25, 31.75]).double()
    )


def test_distogram_is_symmetric_and_batched():
    head = DistogramHead(C_Z, 64).double()
    z = torch.randn(2, N_RES, N_RES, C_Z).double()
    logits = head(z)
    torch.testing.assert_close(logits, logits.transpose(-2, -3))
    torch.testing.assert_close(head(z[1]), logits[1])


def test_ptm_ignores_residues_with_zero_weight():
    logits = _logits(N_RES, N_RES, 64, seed=1)
    mask = torch.tensor([1, 1, 0, 1, 1, 1, 0, 1, 1]).double()
    keep = mask.bool()
    full = compute_ptm(logits, mask)
    alone = compute_ptm(logits[keep][:, keep])
    torch.testing.assert_close(full, alone)
    assert 0 < float(full) < 1


def test_ptm_and_pae_batch_dims():
    logits = _logits(2, 3, N_RES, N_RES, 64, seed=2)
    w = torch.ones(2, 3, N_RES).double()
    w[0, 1, 4:] = 0
    ptm = compute_ptm(logits, w)
    assert ptm.shape == (2, 3)
    torch.testing.assert_close(ptm[0, 1], compute_ptm(logits[0, 1], w[0, 1]))
    pae = compute_predicted_aligned_error(logits)
    assert pae.shape == (2, 3, N_RES, N_RES)
    torch.testing.assert_close(pae[1, 2], compute_predicted_aligned_error(logits[1, 2]))


def test_certain_small_error_gives_the_tm_term_of_that_error():
    n = 101
    logits = torch.full((n, n, 64), -1e4, dtype=torch.float64)
    logits[..., 0] = 0  # every error in the first bin (0.25 Å)
    d0 = 1.24 * (n - 15) ** (1 / 3) - 1.8
    assert (
        abs(float(compute_ptm(logits)) - 1 / (1 + (0.25 / d0) ** 2)) < 1e-9
    )  # up to the 1e-8 guard
    torch.testing.assert_close(
        compute_predicted_aligned_error(logits), torch.full((n, n), 0.25).double()
    )


# --- tier 2: DeepMind's code --------------------------------------------------------
def test_confidence_functions_match_alphafold():
    pytest.importorskip("alphafold.common.confidence")
    from alphafold.common import confidence

    plddt_logits = _logits(N_RES, 50, seed=3).float()
    np.testing.assert_allclose(
        compute_plddt(plddt_logits).numpy(),
        confidence.compute_plddt(plddt_logits.numpy()),
        atol=1e-4,
    )
    pae_logits = _logits(N_RES, N_RES, 64, seed=4).float()
    breaks = np.linspace(0.0, 31.0, 63)
    theirs = confidence.compute_predicted_aligned_error(pae_logits.numpy(), breaks)
    np.testing.assert_allclose(
        compute_predicted_aligned_error(pae_logits).numpy(),
        theirs["predicted_aligned_error"],
        atol=1e-4,
    )
    assert float(pae_bin_centers()[-1]) == theirs["max_predicted_aligned_error"]
    for w in (
        np.ones(N_RES, np.float32),
        np.array([1, 1, 0, 1, 1, 1, 0, 1, 0.5], np.float32),
    ):
        theirs = confidence.predicted_tm_score(
            pae_logits.numpy(), breaks, residue_weights=w
        )
        ours = compute_ptm(pae_logits, torch.tensor(w))
        assert abs(float(ours) - float(theirs)) < 1e-6


def _run_head(haiku, head_cls, name, reps):
    cfg = haiku.model_config()
    gc = cfg.model.global_config
    head_cfg = cfg.model.heads[name]
    if name == "predicted_lddt":
        head_cfg.num_channels = C

    def fn(reps):
        return head_cls(head_cfg, gc)(reps, None, is_training=False)

    return haiku.run_haiku(fn, reps)


@pytest.mark.parametrize(
    "name, af2_class, ours, rep, shape",
    [
        (
            "predicted_lddt",
            "PredictedLDDTHead",
            lambda: PredictedLDDTHead(C_S, C, 50),
            "structure_module",
            (N_RES, C_S),
        ),
        (
            "distogram",
            "DistogramHead",
            lambda: DistogramHead(C_Z, 64),
            "pair",
            (N_RES, N_RES, C_Z),
        ),
        (
            "masked_msa",
            "MaskedMsaHead",
            lambda: MaskedMsaHead(C_M, 23),
            "msa",
            (N_SEQ, N_RES, C_M),
        ),
        (
            "experimentally_resolved",
            "ExperimentallyResolvedHead",
            lambda: ExperimentallyResolvedHead(C_S, 37),
            "single",
            (N_RES, C_S),
        ),
        (
            "predicted_aligned_error",
            "PredictedAlignedErrorHead",
            lambda: PredictedAlignedErrorHead(C_Z, 64),
            "pair",
            (N_RES, N_RES, C_Z),
        ),
    ],
)
def test_head_matches_haiku(haiku, name, af2_class, ours, rep, shape):
    from alphafold.model import modules

    x = np.random.default_rng(5).standard_normal(shape)
    flat, out = _run_head(haiku, getattr(modules, af2_class), name, {rep: x})
    scope = {"predicted_aligned_error": "predicted_aligned_error_head"}.get(
        name, f"{name}_head"
    )
    head = ours()
    load_params(head, flat, scope)
    logits = haiku.Both(*(o["logits"] for o in out))
    haiku.assert_matches(head, lambda t: head(t(x)), logits)
    if name == "distogram":
        edges = distogram_bin_edges(dtype=torch.float64)
        assert haiku.max_abs_diff(edges, out.f64["bin_edges"]) < 1e-12
    if name == "predicted_aligned_error":
        centers = pae_bin_centers(dtype=torch.float64)
        assert haiku.max_abs_diff(centers[:-1] - 0.25, out.f64["breaks"]) < 1e-12
