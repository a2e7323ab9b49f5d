"""InvariantPointAttention: invariance, masks, batching, and DeepMind's haiku module."""

import numpy as np
import pytest
import torch
from ml_collections import ConfigDict

from reference.geometry import Rigid, quat_to_rot
from reference.ipa import InvariantPointAttention
from reference.weights import load_params

B, N_RES, C_S, C_Z, C, H, P_Q, P_V = 6, 9, 13, 11, 5, 2, 4, 7


def _ipa() -> InvariantPointAttention:
    return InvariantPointAttention(C_S, C_Z, C, H, P_Q, P_V)


def _random_rigid(*shape, scale=3.0, generator=None) -> Rigid:
    q = torch.randn(*shape, 4, generator=generator, dtype=torch.float64)
    return Rigid(
        quat_to_rot(q),
        scale * torch.randn(*shape, 3, generator=generator, dtype=torch.float64),
    )


def _inputs(*batch):
    s = torch.randn(*batch, N_RES, C_S, dtype=torch.float64)
    z = torch.randn(*batch, N_RES, N_RES, C_Z, dtype=torch.float64)
    mask = (torch.rand(*batch, N_RES) > 0.3).double()
    mask[..., 0] = 1
    return s, z, _random_rigid(*batch, N_RES), mask


def _noisy(module):
    """Non-default parameters everywhere (the default head weights are all equal)."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return module


def test_ipa_shape_and_parameter_names():
    ipa = _ipa()
    s, z, r, mask = _inputs()
    assert ipa.double()(s, z, r, mask).shape == (N_RES, C_S)
    names = {n: tuple(p.shape) for n, p in ipa.named_parameters()}
    assert names["head_weights"] == (H,)
    assert names["linear_out.weight"] == (C_S, H * (C + C_Z + 4 * P_V))


def test_ipa_invariant_under_global_rigid_motion():
    ipa = _noisy(_ipa().double())
    s, z, r, mask = _inputs()
    g = _random_rigid(scale=10.0)  # one motion for all residues
    moved = Rigid(g.rot.expand(N_RES, 3, 3), g.trans.expand(N_RES, 3)).compose(r)
    torch.testing.assert_close(ipa(s, z, moved, mask), ipa(s, z, r, mask))


def test_ipa_not_invariant_under_a_per_residue_motion():
    """The frames do matter: moving one residue changes the output."""
    ipa = _noisy(_ipa().double())
    s, z, r, mask = _inputs()
    mask[:] = 1
    trans = r.trans.clone()
    trans[2] += 5.0
    assert not torch.allclose(ipa(s, z, Rigid(r.rot, trans), mask), ipa(s, z, r, mask))


def test_ipa_masked_residues_are_ignored():
    ipa = _noisy(_ipa().double())
    s, z, r, mask = _inputs()
    out = ipa(s, z, r, mask)
    keep = mask.bool()
    pad = 1 - mask
    s2 = s + 10 * pad[:, None] * torch.randn_like(s)
    z2 = z + 10 * pad[None, :, None] * torch.randn_like(z)
    trans2 = r.trans + 10 * pad[:, None] * torch.randn_like(r.trans)
    out2 = ipa(s2, z2, Rigid(r.rot, trans2), mask)
    torch.testing.assert_close(out2[keep], out[keep])
    # Equal to running on the kept residues alone.
    idx = keep.nonzero()[:, 0]
    alone = ipa(s[idx], z[idx][:, idx], r[idx], mask[idx])
    torch.testing.assert_close(alone, out[keep])


def test_ipa_batch_dims():
    ipa = _noisy(_ipa().double())
    s, z, r, mask = _inputs(2, 3)
    out = ipa(s, z, r, mask)
    assert out.shape == (2, 3, N_RES, C_S)
    torch.testing.assert_close(out[1, 2], ipa(s[1, 2], z[1, 2], r[1, 2], mask[1, 2]))


# Measured max |ours - haiku| with haiku in float64 (same parameters and inputs):
# 2.7e-15 for ours in float64 (rounding alike), 2.7e-6 in float32 (float32 rounding).
# The bounds leave a factor of about 100 and 10; a real mistake differs by 1e-2 and
# more.
BOUNDS = {torch.float64: 3e-13, torch.float32: 3e-5}


@pytest.fixture(scope="module")
def ipa_run(haiku):
    """DeepMind's InvariantPointAttention in float64 (jax in x64 mode)."""
    from alphafold.model import folding, quat_affine

    rng = np.random.default_rng(3)
    s = rng.standard_normal((N_RES, C_S))
    z = rng.standard_normal((N_RES, N_RES, C_Z))
    quat = rng.standard_normal((N_RES, 4))
    quat /= np.linalg.norm(quat, axis=-1, keepdims=True)
    trans = 3 * rng.standard_normal((N_RES, 3))
    mask = (rng.random(N_RES) > 0.3).astype(np.float64)
    mask[0] = 1
    cfg = ConfigDict(
        {
            "num_head": H,
            "num_scalar_qk": C,
            "num_scalar_v": C,
            "num_point_qk": P_Q,
            "num_point_v": P_V,
            "num_channel": C_S,
        }
    )
    gc = haiku.model_config().model.global_config

    def fn(s, z, mask, quat, trans):
        affine = quat_affine.QuatAffine(quat, trans, unstack_inputs=True)
        ipa = folding.InvariantPointAttention(cfg, gc)
        return ipa(inputs_1d=s, inputs_2d=z, mask=mask[:, None], affine=affine)

    with haiku.x64():
        flat, out = haiku.run_haiku(fn, s, z, mask, quat, trans, dtype=np.float64)
    assert out.dtype == np.float64
    return flat, (s, z, mask, quat, trans), out


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_ipa_matches_haiku(haiku, ipa_run, dtype):
    flat, inputs, out = ipa_run
    s, z, mask, quat, trans = (torch.from_numpy(x).to(dtype) for x in inputs)
    ours = _ipa().to(dtype)
    load_params(ours, flat, "invariant_point_attention")
    got = ours(s, z, Rigid(quat_to_rot(quat), trans), mask)
    assert haiku.max_abs_diff(got, out) < BOUNDS[dtype]
