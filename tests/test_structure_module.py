"""BackboneUpdate, AngleResnet and StructureModule: shapes, masks, batching, weight
sharing, and DeepMind's haiku modules."""

import numpy as np
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


# --- tier 2: DeepMind's haiku modules ---------------------------------------------------
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


def test_backbone_update_matches_haiku(haiku):
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

    flat, out = haiku.run_haiku(fn, s, quat, trans)
    ours = BackboneUpdate(C_S)
    load_params(ours, flat, "")

    def composed(t):
        new = Rigid(quat_to_rot(t(quat)), t(trans)).compose(ours(t(s)))
        return new.rot, new.trans

    def theirs(affine):  # AF2's (quaternion, translation) as (rotation, translation)
        return quat_to_rot(torch.from_numpy(affine[:, :4])), affine[:, 4:]

    haiku.assert_matches(ours, composed, haiku.Both(*map(theirs, out)))


def test_angle_resnet_matches_haiku(haiku):
    from alphafold.model import folding

    c, gc = _sm_config(haiku)
    rng = np.random.default_rng(5)
    s, s0 = rng.standard_normal((N_RES, C_S)), rng.standard_normal((N_RES, C_S))
    aatype = _aatype(rng)

    def fn(s, s0, aatype):
        affine = folding.generate_new_affine(np.ones((N_RES, 1), np.float32))
        out = folding.MultiRigidSidechain(c.sidechain, gc)(affine, [s, s0], aatype)
        return out["unnormalized_angles_sin_cos"], out["angles_sin_cos"]

    flat, out = haiku.run_haiku(fn, s, s0, aatype)
    ours = AngleResnet(C_S, C_RES)
    load_params(ours, flat, "rigid_sidechain")
    haiku.assert_matches(ours, lambda t: ours(t(s), t(s0)), out)


def _sm_case(haiku):
    """DeepMind's StructureModule as a function of (s, z, batch), and those inputs."""
    from alphafold.model import folding

    c, gc = _sm_config(haiku)
    rng = np.random.default_rng(6)
    s = rng.standard_normal((N_RES, C_S))
    z = rng.standard_normal((N_RES, N_RES, C_Z))
    aatype = _aatype(rng)
    batch = _batch(aatype, _seq_mask(rng, N_RES))

    def fn(s, z, batch):
        out = folding.StructureModule(c, gc)(
            {"single": s, "pair": z}, batch, is_training=False
        )
        sc = out["sidechains"]
        keys = (
            "traj",
            "final_atom14_positions",
            "final_atom14_mask",
            "final_atom_positions",
            "final_atom_mask",
        )
        return {k: out[k] for k in keys} | {
            "single": out["representations"]["structure_module"],
            "angles": sc["angles_sin_cos"],
            "unnormalized_angles": sc["unnormalized_angles_sin_cos"],
        }

    return fn, s, z, aatype, batch


def test_structure_module_matches_haiku(haiku):
    fn, s, z, aatype, batch = _sm_case(haiku)
    flat, theirs = haiku.run_haiku(fn, s, z, batch)
    assert all(k.startswith("structure_module/") for k in flat)
    ours = StructureModule(**SIZES)
    load_params(ours, flat, "structure_module")
    keys = (
        "single",
        "angles",
        "unnormalized_angles",
        "final_atom14_positions",
        "final_atom_positions",
    )

    def run(t):
        out = ours(t(s), t(z), t(aatype), t(batch["seq_mask"]))
        frames = out["frames"]
        return frames[..., :3, :3], frames[..., :3, 3], *(out[k] for k in keys)

    def pick(out):  # AF2's trajectory holds (quaternion, translation in Å)
        traj = torch.from_numpy(out["traj"])
        return quat_to_rot(traj[..., :4]), traj[..., 4:], *(out[k] for k in keys)

    haiku.assert_matches(ours, run, haiku.Both(*map(pick, theirs)))
    got = ours.float()(*map(haiku.t32, (s, z, aatype, batch["seq_mask"])))
    for key in ("final_atom14_mask", "final_atom_mask"):
        assert haiku.max_abs_diff(got[key], theirs.f32[key]) == 0, key


def test_structure_module_gradient_matches_haiku(haiku):
    """The gradient of the atom positions reaches the last layer's rotations, as in
    AF2, whose atoms are built before the stop-gradient (float64)."""
    import haiku as hk
    import jax
    import jax.numpy as jnp

    fn, s, z, aatype, batch = _sm_case(haiku)
    flat = haiku.random_params(
        jax.eval_shape(hk.transform(fn).init, jax.random.PRNGKey(0), s, z, batch)
    )
    with haiku.float64():
        params, z64, batch64 = haiku.cast((haiku.unflatten(flat), z, batch), np.float64)

        def atoms_sum(s):
            out = hk.transform(fn).apply(params, jax.random.PRNGKey(0), s, z64, batch64)
            return jnp.sum(out["final_atom_positions"])

        grad = np.asarray(jax.grad(atoms_sum)(np.asarray(s, np.float64)))
    ours = StructureModule(**SIZES).double()
    load_params(ours, flat, "structure_module")
    s = torch.from_numpy(s).requires_grad_(True)
    out = ours(
        s,
        torch.from_numpy(z),
        torch.from_numpy(aatype),
        torch.from_numpy(batch["seq_mask"]).double(),
    )
    out["final_atom_positions"].sum().backward()
    assert np.abs(grad).max() > 1  # the atoms depend on s
    assert haiku.max_abs_diff(s.grad, grad) < haiku.ATOL_FLOAT64
