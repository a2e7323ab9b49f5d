"""BackboneUpdate, AngleResnet and StructureModule: shapes, masks, batching, weight
sharing, and DeepMind's haiku modules."""

import os

import numpy as np
import pytest
import torch

from reference.geometry import Rigid, quat_to_rot
from reference.structure_module import AngleResnet, BackboneUpdate, StructureModule
from reference.weights import load_params

# Odd toy sizes, none equal to another or to 3, 4, 7, 8, 14, 37.
N_RES, C_S, C_Z, C_IPA, H, P_Q, P_V, C_RES, N_LAYER = 23, 13, 11, 5, 2, 6, 9, 17, 8
SIZES = {
    "c_s": C_S,
    "c_z": C_Z,
    "c_ipa": C_IPA,
    "N_head": H,
    "N_query_points": P_Q,
    "N_point_values": P_V,
    "c_resnet": C_RES,
    "N_layer": N_LAYER,
}


def _aatype(rng) -> np.ndarray:
    """Every residue type (X included) once, then glycine and X again."""
    return np.concatenate([rng.permutation(21), [7, 20]]).astype(np.int32)


def _seq_mask(rng, *shape) -> np.ndarray:
    mask = (rng.random(shape) > 0.25).astype(np.float32)
    mask[..., 0] = 1
    return mask


def _noisy(module):
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return module


def _sm_inputs(*batch, seed=0):
    rng = np.random.default_rng(seed)
    s = torch.tensor(rng.standard_normal((*batch, N_RES, C_S)))
    z = torch.tensor(rng.standard_normal((*batch, N_RES, N_RES, C_Z)))
    aatype = torch.tensor(
        np.stack([_aatype(rng) for _ in range(int(np.prod(batch)))]).reshape(
            *batch, N_RES
        )
    ).long()
    return s, z, aatype, torch.tensor(_seq_mask(rng, *batch, N_RES)).double()


# --- tier 1 -----------------------------------------------------------------------
def test_backbone_update_identity_when_linear_is_zero():
    bu = BackboneUpdate(C_S).double()
    with torch.no_grad():
        bu.linear.weight.zero_()
        bu.linear.bias.zero_()
    r = bu(torch.randn(N_RES, C_S, dtype=torch.float64))
    torch.testing.assert_close(
        r.rot, torch.eye(3, dtype=torch.float64).expand(N_RES, 3, 3)
    )
    torch.testing.assert_close(r.trans, torch.zeros(N_RES, 3, dtype=torch.float64))


def test_angle_resnet_unit_vectors_and_batch():
    ar = _noisy(AngleResnet(C_S, C_RES).double())
    s, s0 = torch.randn(2, N_RES, C_S).double(), torch.randn(2, N_RES, C_S).double()
    raw, alpha = ar(s, s0)
    assert raw.shape == alpha.shape == (2, N_RES, 7, 2)
    torch.testing.assert_close(alpha.norm(dim=-1), torch.ones(2, N_RES, 7).double())
    torch.testing.assert_close(ar(s[1], s0[1])[1], alpha[1])


def test_structure_module_outputs_and_one_shared_layer():
    sm = StructureModule(**SIZES).double()
    s, z, aatype, mask = _sm_inputs()
    out = sm(s, z, aatype, mask)
    shapes = {k: tuple(v.shape) for k, v in out.items()}
    assert shapes == {
        "frames": (N_LAYER, N_RES, 4, 4),
        "angles": (N_LAYER, N_RES, 7, 2),
        "unnormalized_angles": (N_LAYER, N_RES, 7, 2),
        "single": (N_RES, C_S),
        "final_atom14_positions": (N_RES, 14, 3),
        "final_atom14_mask": (N_RES, 14),
        "final_atom_positions": (N_RES, 37, 3),
        "final_atom_mask": (N_RES, 37),
    }
    # One set of weights, whatever N_layer is.
    n_params = sum(p.numel() for p in sm.parameters())
    assert n_params == sum(
        p.numel() for p in StructureModule(**{**SIZES, "N_layer": 1}).parameters()
    )
    # CA sits at the origin of the last layer's frame (X has no atoms).
    known = aatype != 20
    ca = out["final_atom14_positions"][known, 1]
    torch.testing.assert_close(ca, out["frames"][-1, known, :3, 3])
    # Atoms the residue lacks are zero.
    assert (out["final_atom_positions"][out["final_atom_mask"] == 0] == 0).all()


def test_structure_module_masked_residues_do_not_affect_the_others():
    sm = _noisy(StructureModule(**SIZES).double())
    s, z, aatype, mask = _sm_inputs(seed=1)
    out = sm(s, z, aatype, mask)
    pad = 1 - mask
    s2 = s + 10 * pad[:, None] * torch.randn_like(s)
    z2 = z + 10 * (pad[:, None, None] + pad[None, :, None]).clamp(
        max=1
    ) * torch.randn_like(z)
    out2 = sm(s2, z2, aatype, mask)
    keep = mask.bool()
    for key in ("frames", "angles"):
        torch.testing.assert_close(out2[key][:, keep], out[key][:, keep])
    torch.testing.assert_close(
        out2["final_atom_positions"][keep], out["final_atom_positions"][keep]
    )


def test_structure_module_batch_dims():
    sm = _noisy(StructureModule(**SIZES).double())
    s, z, aatype, mask = _sm_inputs(2, 1, seed=2)
    out = sm(s, z, aatype, mask)
    one = sm(s[1, 0], z[1, 0], aatype[1, 0], mask[1, 0])
    assert out["frames"].shape == (N_LAYER, 2, 1, N_RES, 4, 4)
    torch.testing.assert_close(out["frames"][:, 1, 0], one["frames"])
    for key in (
        "single",
        "final_atom14_positions",
        "final_atom_positions",
        "final_atom_mask",
    ):
        torch.testing.assert_close(out[key][1, 0], one[key])


# --- tier 2: DeepMind's haiku modules -------------------------------------------------
# Measured max |ours - haiku| (haiku in float64; ours in float64 or float32, the same
# parameters and inputs), and the bounds: about 100 times the float64 figures
# (rounding alike on both sides), about 10 times the float32 ones (float32 rounding,
# grown over 8 layers). Any real mistake differs by 1e-2 and more. Lengths in Å.
#   measured float64: backbone update 5.6e-16; angles 4.1e-15 (angle ResNet alone);
#   structure module rot 1.6e-14, trans 2.7e-13, angles 2.0e-14, single 1.5e-14,
#   atoms 2.8e-13, gradient of the atoms' sum 1.3e-12.
#   measured float32: backbone update 3.5e-7; angles 1.5e-6 (angle ResNet alone);
#   structure module rot 4.5e-6, trans 7.0e-5, angles 4.2e-6, single 3.3e-6, atoms
#   6.8e-5.
ANGSTROM = ("frames trans", "final_atom14_positions", "final_atom_positions")
BOUNDS = {
    torch.float64: {
        "backbone update rot": 1e-13,
        "backbone update trans": 1e-13,
        "unnormalized angles": 1e-13,
        "angles": 1e-12,
        "frames rot": 1e-12,
        "unnormalized_angles": 1e-12,
        "single": 1e-12,
        "gradient": 1e-10,
    }
    | dict.fromkeys(ANGSTROM, 3e-11),
    torch.float32: {
        "backbone update rot": 4e-6,
        "backbone update trans": 4e-6,
        "unnormalized angles": 2e-5,
        "angles": 5e-5,
        "frames rot": 5e-5,
        "unnormalized_angles": 5e-5,
        "single": 5e-5,
    }
    | dict.fromkeys(ANGSTROM, 7e-4),
}


def _t(x, dtype) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x)).to(dtype)


def _within(haiku, name: str, ours, theirs, dtype) -> None:
    diff = haiku.max_abs_diff(ours, theirs)
    if os.environ.get("MEASURE"):
        print(f"MEASURED {name} {dtype} {diff:.3g}")
        return
    assert diff < BOUNDS[dtype][name], (name, diff)


def _sm_config(haiku):
    cfg = haiku.model_config()
    c = cfg.model.heads.structure_module
    c.num_channel, c.num_head, c.num_scalar_qk, c.num_scalar_v = C_S, H, C_IPA, C_IPA
    c.num_point_qk, c.num_point_v, c.num_layer = P_Q, P_V, N_LAYER
    c.sidechain.num_channel = C_RES
    return c, cfg.model.global_config


def _batch(aatype, seq_mask):
    from alphafold.model.tf import data_transforms

    batch = data_transforms.make_atom14_masks({"aatype": aatype})
    batch = {k: np.asarray(v) for k, v in batch.items()}
    batch["seq_mask"] = seq_mask
    return batch


@pytest.fixture(scope="module")
def backbone_update_run(haiku):
    """DeepMind's quat_affine pre-composition with a haiku Linear, float64."""
    from alphafold.model import common_modules, quat_affine

    rng = np.random.default_rng(4)
    s = rng.standard_normal((N_RES, C_S))
    quat = rng.standard_normal((N_RES, 4))
    quat /= np.linalg.norm(quat, axis=-1, keepdims=True)
    trans = rng.standard_normal((N_RES, 3))

    def fn(s, quat, trans):
        affine = quat_affine.QuatAffine(quat, trans, unstack_inputs=True)
        update = common_modules.Linear(6, name="affine_update")(s)
        return affine.pre_compose(update).to_tensor()

    with haiku.x64():
        flat, out = haiku.run_haiku(fn, s, quat, trans, dtype=np.float64)
    assert out.dtype == np.float64
    return flat, (s, quat, trans), out


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_backbone_update_matches_haiku(haiku, backbone_update_run, dtype):
    flat, (s, quat, trans), out = backbone_update_run
    ours = BackboneUpdate(C_S).to(dtype)
    load_params(ours, flat, "")
    new = Rigid(quat_to_rot(_t(quat, dtype)), _t(trans, dtype)).compose(
        ours(_t(s, dtype))
    )
    rot = quat_to_rot(haiku.t64(out[:, :4]))
    _within(haiku, "backbone update rot", new.rot, rot, dtype)
    _within(haiku, "backbone update trans", new.trans, out[:, 4:], dtype)


@pytest.fixture(scope="module")
def angle_resnet_run(haiku):
    """DeepMind's MultiRigidSidechain (its angle ResNet), float64."""
    from alphafold.model import folding

    c, gc = _sm_config(haiku)
    rng = np.random.default_rng(5)
    s, s0 = rng.standard_normal((N_RES, C_S)), rng.standard_normal((N_RES, C_S))
    aatype = _aatype(rng)

    def fn(s, s0, aatype):
        affine = folding.generate_new_affine(jnp.ones((N_RES, 1)))
        out = folding.MultiRigidSidechain(c.sidechain, gc)(affine, [s, s0], aatype)
        return out["unnormalized_angles_sin_cos"], out["angles_sin_cos"]

    import jax.numpy as jnp

    with haiku.x64():
        flat, out = haiku.run_haiku(fn, s, s0, aatype, dtype=np.float64)
    assert out[0].dtype == np.float64
    return flat, (s, s0), out


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_angle_resnet_matches_haiku(haiku, angle_resnet_run, dtype):
    flat, (s, s0), (raw, alpha) = angle_resnet_run
    ours = AngleResnet(C_S, C_RES).to(dtype)
    load_params(ours, flat, "rigid_sidechain")
    got_raw, got_alpha = ours(_t(s, dtype), _t(s0, dtype))
    _within(haiku, "unnormalized angles", got_raw, raw, dtype)
    _within(haiku, "angles", got_alpha, alpha, dtype)


SM_KEYS = (
    "traj",
    "final_atom14_positions",
    "final_atom14_mask",
    "final_atom_positions",
    "final_atom_mask",
)


def _sm_fn(haiku):
    """A function of (s, z, batch) that runs DeepMind's StructureModule."""
    from alphafold.model import folding

    c, gc = _sm_config(haiku)

    def fn(s, z, batch):
        out = folding.StructureModule(c, gc)(
            {"single": s, "pair": z}, batch, is_training=False
        )
        sc = out["sidechains"]
        return {k: out[k] for k in SM_KEYS} | {
            "single": out["representations"]["structure_module"],
            "angles": sc["angles_sin_cos"],
            "unnormalized_angles": sc["unnormalized_angles_sin_cos"],
        }

    return fn


@pytest.fixture(scope="module")
def structure_module_run(haiku):
    """DeepMind's StructureModule, float64: parameters, inputs, outputs, and the
    gradient of the sum of its atom37 positions with respect to its input single
    representation (the atoms are built before the rotations' stop-gradient)."""
    import haiku as hk
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(6)
    s = rng.standard_normal((N_RES, C_S))
    z = rng.standard_normal((N_RES, N_RES, C_Z))
    aatype = _aatype(rng)
    batch = _batch(aatype, _seq_mask(rng, N_RES).astype(np.float64))
    fn = _sm_fn(haiku)
    with haiku.x64():
        flat, out = haiku.run_haiku(fn, s, z, batch, dtype=np.float64)
        apply = hk.transform(fn).apply
        params = haiku.unflatten(flat)
        batch64 = {
            k: v.astype(np.float64) if v.dtype.kind == "f" else v
            for k, v in batch.items()
        }

        def atoms_sum(s):
            out = apply(params, jax.random.PRNGKey(0), s, z, batch64)
            return jnp.sum(out["final_atom_positions"])

        grad = np.asarray(jax.grad(atoms_sum)(s))
    assert out["single"].dtype == grad.dtype == np.float64
    assert all(k.startswith("structure_module/") for k in flat)
    return flat, (s, z, aatype, batch["seq_mask"]), out, grad


def _our_structure_module(flat, dtype) -> StructureModule:
    ours = StructureModule(**SIZES).to(dtype)
    load_params(ours, flat, "structure_module")
    return ours


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_structure_module_matches_haiku(haiku, structure_module_run, dtype):
    """Every layer's frames and angles, s and the atoms. In float32 only the real
    residues: a padded residue's logits all carry AF2's -1e5, where float32 keeps
    about two decimals, so its attention is rounding noise (in AF2 alike), and so are
    its frames (1e-2 Å after one layer)."""
    flat, (s, z, aatype, seq_mask), theirs, _ = structure_module_run
    ours = _our_structure_module(flat, dtype)
    got = ours(
        _t(s, dtype),
        _t(z, dtype),
        torch.from_numpy(aatype).long(),
        _t(seq_mask, dtype),
    )
    real = torch.ones(N_RES, dtype=torch.bool)
    if dtype == torch.float32:
        real = torch.from_numpy(seq_mask > 0)
    traj = haiku.t64(theirs["traj"])[:, real]
    frames = got["frames"][:, real]
    _within(haiku, "frames rot", frames[..., :3, :3], quat_to_rot(traj[..., :4]), dtype)
    _within(haiku, "frames trans", frames[..., :3, 3], traj[..., 4:], dtype)
    for key in ("angles", "unnormalized_angles"):
        _within(haiku, key, got[key][:, real], theirs[key][:, real], dtype)
    for key in ("single", "final_atom14_positions", "final_atom_positions"):
        _within(haiku, key, got[key][real], theirs[key][real], dtype)
    for key in ("final_atom14_mask", "final_atom_mask"):
        assert haiku.max_abs_diff(got[key], theirs[key]) == 0, key


def test_structure_module_gradient_matches_haiku(haiku, structure_module_run):
    """The gradient of the atom positions reaches the last layer's rotations, as in
    AF2 (whose atoms are built before the stop-gradient); float64."""
    flat, (s, z, aatype, seq_mask), _, grad = structure_module_run
    ours = _our_structure_module(flat, torch.float64)
    s = torch.from_numpy(s).requires_grad_(True)
    out = ours(
        s,
        torch.from_numpy(z),
        torch.from_numpy(aatype).long(),
        _t(seq_mask, torch.float64),
    )
    out["final_atom_positions"].sum().backward()
    _within(haiku, "gradient", s.grad, grad, torch.float64)
