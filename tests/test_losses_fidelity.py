"""The training losses against DeepMind's own functions (alphafold-colabfold), values
and gradients, in float64 on both sides (jax in x64 mode), on a real structure (PDB
3A4R chain A) and a perturbed copy of it as the "prediction"."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from reference import residue_constants as rc
from reference.fape import all_atom_fape, backbone_fape, fape
from reference.geometry import Rigid, quat_to_rot, rot_to_quat
from reference.ground_truth import (
    atom37_to_atom14,
    atom37_to_frames,
    atom37_to_torsion_angles,
    make_ground_truth,
    read_pdb_chain,
)
from reference.lddt import lddt
from reference.losses import distogram_loss, masked_msa_loss, plddt_loss
from reference.symmetry import find_optimal_renaming, rename_symmetric_atoms
from reference.torsion_loss import torsion_angle_loss

PDB = "data/structures/3a4r_A.pdb"
TIGHT = dict(rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def af(haiku):
    """DeepMind's modules, with jax in x64 mode for this module's tests."""
    import haiku as hk
    import jax
    from alphafold.model import all_atom, folding, modules, r3
    from alphafold.model import lddt as af_lddt

    with jax.enable_x64(True):
        yield types.SimpleNamespace(
            jax=jax,
            hk=hk,
            jnp=jax.numpy,
            all_atom=all_atom,
            folding=folding,
            lddt=af_lddt,
            modules=modules,
            r3=r3,
        )


@pytest.fixture(scope="module")
def structure():
    from pathlib import Path

    return read_pdb_chain(Path(__file__).resolve().parents[1] / PDB)


def _random_rotations(g: torch.Generator, *shape) -> torch.Tensor:
    return quat_to_rot(torch.randn(*shape, 4, generator=g, dtype=torch.float64))


@pytest.fixture(scope="module")
def prediction(structure):
    """The true atoms moved by a global rigid motion, with noise (σ 1.5 Å), some
    Asp/Glu/Phe/Tyr groups written in the other naming, and 3 layers of frames."""
    g = torch.Generator().manual_seed(3)
    aatype = structure["aatype"]
    pos = structure["atom37_positions"] + 1.5 * torch.randn(
        structure["atom37_positions"].shape, generator=g, dtype=torch.float64
    )
    R = _random_rotations(g)
    pos = pos @ R.T + torch.tensor([3.0, -20.0, 7.0], dtype=torch.float64)
    atom14 = atom37_to_atom14(aatype, pos, structure["atom37_mask"])
    swap = torch.rand(aatype.shape, generator=g) < 0.5
    atom14_pos = torch.where(
        swap[:, None, None], atom14["alt_positions"], atom14["positions"]
    )
    frames = atom37_to_frames(aatype, pos, structure["atom37_mask"])["frames"]
    layers = torch.stack(
        [
            Rigid(
                frames.rot @ _random_rotations(g, *frames.shape) * (k < 2)
                + frames.rot * (k == 2),
                frames.trans
                + 4
                * (2 - k)
                * torch.randn(frames.trans.shape, generator=g, dtype=torch.float64),
            ).to_tensor_4x4()
            for k in range(3)
        ]
    )
    alpha_u = torch.randn(3, len(aatype), 7, 2, generator=g, dtype=torch.float64)
    return {
        "atom14_positions": atom14_pos,
        "group_frames": layers[-1],
        "backbone_frames": layers[..., 0, :, :],
        "alpha_unnormalized": alpha_u,
        "alpha": alpha_u / alpha_u.norm(dim=-1, keepdim=True),
    }


@pytest.fixture(scope="module")
def truth(structure):
    return make_ground_truth(
        structure["aatype"], structure["atom37_positions"], structure["atom37_mask"]
    )


def _np(x):
    return x.detach().numpy()


def _grad(fn, *inputs):
    """The value of ``fn(*inputs)`` and its gradient with respect to each input."""
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    value = fn(*leaves)
    return value.detach(), torch.autograd.grad(value.sum(), leaves)


def _close(ours, theirs, **tol):
    np.testing.assert_allclose(_np(ours), np.asarray(theirs), **(tol or TIGHT))


# --- ground truth -------------------------------------------------------------------
def test_frames_torsions_and_renamed_atoms_match(af, structure):
    jnp = af.jnp
    aatype, pos, mask = (
        structure[k] for k in ("aatype", "atom37_positions", "atom37_mask")
    )
    theirs = af.all_atom.atom37_to_frames(
        jnp.asarray(aatype.numpy()), jnp.asarray(pos.numpy()), jnp.asarray(mask.numpy())
    )
    ours = atom37_to_frames(aatype, pos, mask)
    exists = np.asarray(theirs["rigidgroups_gt_exists"])
    _close(ours["frames_mask"], exists)
    sel = exists > 0
    for key, frames in (
        ("rigidgroups_gt_frames", "frames"),
        ("rigidgroups_alt_gt_frames", "alt_frames"),
    ):
        flat = np.asarray(theirs[key])
        rot, trans = flat[..., :9].reshape(*flat.shape[:-1], 3, 3), flat[..., 9:]
        _close(ours[frames].rot[sel], rot[sel], atol=1e-13, rtol=0)
        _close(ours[frames].trans[sel], trans[sel], atol=1e-13, rtol=0)
    theirs = af.all_atom.atom37_to_torsion_angles(
        jnp.asarray(aatype.numpy())[None],
        jnp.asarray(pos.numpy())[None],
        jnp.asarray(mask.numpy())[None],
    )
    ours = atom37_to_torsion_angles(aatype, pos, mask)
    tmask = np.asarray(theirs["torsion_angles_mask"][0])
    _close(ours["torsion_mask"], tmask)
    sel = tmask > 0
    for key, name in (
        ("torsion_angles_sin_cos", "alpha"),
        ("alt_torsion_angles_sin_cos", "alt_alpha"),
    ):
        _close(ours[name][sel], np.asarray(theirs[key][0])[sel], atol=1e-13, rtol=0)
    atom14 = atom37_to_atom14(aatype, pos, mask)
    # AF2's renaming matrices: alt[i, b] = sum_a atom14[i, a] M[aatype_i][a, b]
    M = np.asarray(af.all_atom.RENAMING_MATRICES)[aatype.numpy()]
    _close(
        atom14["alt_positions"], np.einsum("nac,nab->nbc", _np(atom14["positions"]), M)
    )
    _close(atom14["alt_mask"], np.einsum("na,nab->nb", _np(atom14["mask"]), M))
    assert sorted(set(aatype[atom14["is_ambiguous"].sum(-1) > 0].tolist())) == [
        rc.restype_order[a] for a in "DEFY" if a in structure["sequence"]
    ]


# --- FAPE ----------------------------------------------------------------------------
def _af_fape(af, clamp):
    r3 = af.r3

    def f(pred_frames, true_frames, frames_mask, pred_pos, true_pos, pos_mask):
        return af.all_atom.frame_aligned_point_error(
            r3.rigids_from_tensor4x4(pred_frames),
            r3.rigids_from_tensor4x4(true_frames),
            frames_mask,
            r3.vecs_from_tensor(pred_pos),
            r3.vecs_from_tensor(true_pos),
            pos_mask,
            length_scale=10.0,
            l1_clamp_distance=clamp,
        )

    return f


@pytest.mark.parametrize("clamp", [10.0, None])
def test_fape_value_and_gradient(af, truth, prediction, clamp):
    pred_frames = prediction["backbone_frames"][0]
    pred_pos = prediction["atom14_positions"].flatten(0, 1)
    inputs = (
        pred_frames,
        truth["frames"][:, 0],
        truth["frames_mask"][:, 0],
        pred_pos,
        truth["atom14_positions"].flatten(0, 1),
        truth["atom14_mask"].flatten(0, 1),
    )
    value, (g_frames, _, _, g_pos, _, _) = _grad(
        lambda *x: fape(*x, d_clamp=clamp), *inputs
    )
    f = _af_fape(af, clamp)
    arrays = [af.jnp.asarray(_np(x)) for x in inputs]
    _close(value, f(*arrays))
    theirs = af.jax.grad(f, argnums=(0, 3))(*arrays)
    _close(g_frames, theirs[0])
    _close(g_pos, theirs[1])


def test_backbone_fape_is_backbone_loss(af, truth, prediction):
    from ml_collections import ConfigDict

    frames = prediction["backbone_frames"]

    def affine(t):  # [*, 4, 4] -> AF2's quaternion affine [*, 7]
        return af.jnp.asarray(
            _np(torch.cat([rot_to_quat(t[..., :3, :3]), t[..., :3, 3]], -1))
        )

    config = ConfigDict({"fape": {"clamp_distance": 10.0, "loss_unit_distance": 10.0}})
    for use_clamped in (1.0, 0.0):
        ret = {"loss": 0.0}
        batch = {
            "backbone_affine_tensor": affine(truth["frames"][:, 0]),
            "backbone_affine_mask": af.jnp.asarray(_np(truth["frames_mask"][:, 0])),
            "use_clamped_fape": use_clamped,
        }
        af.folding.backbone_loss(ret, batch, {"traj": affine(frames)}, config)
        # AF2 rebuilds the frames from quaternions: relative differences up to 2.3e-9
        # measured, hence rtol 1e-8.
        ours = backbone_fape(
            frames, truth["frames"][:, 0], truth["frames_mask"][:, 0], use_clamped
        )
        _close(ours, ret["loss"], rtol=1e-8, atol=1e-12)


def test_all_atom_fape_is_sidechain_loss(af, truth, prediction):
    from ml_collections import ConfigDict

    renamed = rename_symmetric_atoms(prediction["atom14_positions"], truth)
    inputs = (
        prediction["group_frames"],
        prediction["atom14_positions"],
        renamed["frames"],
        truth["frames_mask"],
        renamed["atom14_positions"],
        renamed["atom14_mask"],
    )
    value, grads = _grad(all_atom_fape, *inputs)
    r3, jnp = af.r3, af.jnp

    def flat12(t):
        return jnp.concatenate(
            [t[..., :3, :3].reshape(*t.shape[:-2], 9), t[..., :3, 3]], -1
        )

    def loss(pred_frames, pred_pos):
        batch = {
            "rigidgroups_gt_frames": flat12(jnp.asarray(_np(truth["frames"]))),
            "rigidgroups_alt_gt_frames": flat12(jnp.asarray(_np(truth["alt_frames"]))),
            "rigidgroups_gt_exists": jnp.asarray(_np(truth["frames_mask"])),
        }
        value = {
            "alt_naming_is_better": jnp.asarray(_np(renamed["alt_is_better"])),
            "renamed_atom14_gt_positions": jnp.asarray(
                _np(renamed["atom14_positions"])
            ),
            "renamed_atom14_gt_exists": jnp.asarray(_np(renamed["atom14_mask"])),
            "sidechains": {
                "frames": r3.rigids_from_tensor4x4(pred_frames[None]),
                "atom_pos": r3.vecs_from_tensor(pred_pos[None]),
            },
        }
        config = ConfigDict(
            {"sidechain": {"atom_clamp_distance": 10.0, "length_scale": 10.0}}
        )
        return af.folding.sidechain_loss(batch, value, config)["loss"]

    arrays = [jnp.asarray(_np(x)) for x in inputs[:2]]
    _close(value, loss(*arrays))
    theirs = af.jax.grad(loss, argnums=(0, 1))(*arrays)
    _close(grads[0], theirs[0])
    _close(grads[1], theirs[1])


# --- renaming, torsions, lDDT ---------------------------------------------------
def test_find_optimal_renaming(af, structure, truth, prediction):
    ours = find_optimal_renaming(
        prediction["atom14_positions"],
        truth["atom14_positions"],
        truth["atom14_alt_positions"],
        truth["atom14_mask"],
        truth["atom14_ambiguous"],
    )
    exists = atom37_to_atom14(
        structure["aatype"], structure["atom37_positions"], structure["atom37_mask"]
    )["mask"]
    theirs = af.all_atom.find_optimal_renaming(
        *(
            af.jnp.asarray(_np(x))
            for x in (
                truth["atom14_positions"],
                truth["atom14_alt_positions"],
                truth["atom14_ambiguous"],
                truth["atom14_mask"],
                prediction["atom14_positions"],
                exists,
            )
        )
    )
    _close(ours, theirs)
    assert 0 < ours.sum() < truth["atom14_ambiguous"].amax(-1).sum()


def test_torsion_angle_loss_is_supervised_chi_loss(af, structure, truth, prediction):
    from ml_collections import ConfigDict

    # The true chi as AF2 stores it (radians); our (sin, cos) of the same angle.
    chi = torch.atan2(truth["alpha"][..., 3:, 0], truth["alpha"][..., 3:, 1])
    unit = torch.cat(
        [truth["alpha"][..., :3, :], torch.stack([chi.sin(), chi.cos()], -1)], -2
    )
    periodic = torch.as_tensor(rc.chi_pi_periodic, dtype=torch.float64)[
        structure["aatype"]
    ]
    alt = (
        unit
        * torch.cat([torch.ones_like(periodic[:, :3]), 1 - 2 * periodic], -1)[..., None]
    )
    chi_mask = truth["torsion_mask"] * torch.tensor(
        [0, 0, 0, 1, 1, 1, 1.0], dtype=torch.float64
    )
    inputs = (prediction["alpha"], prediction["alpha_unnormalized"])
    value, grads = _grad(
        lambda a, u: torsion_angle_loss(a, u, unit, alt, chi_mask, truth["seq_mask"]),
        *inputs,
    )
    jnp = af.jnp

    def loss(angles, unnormalized):
        ret = {"loss": 0.0}
        batch = {
            "seq_mask": jnp.asarray(_np(truth["seq_mask"])),
            "chi_mask": jnp.asarray(_np(truth["torsion_mask"][:, 3:])),
            "chi_angles": jnp.asarray(_np(chi)),
            "aatype": jnp.asarray(structure["aatype"].numpy()),
        }
        value = {
            "sidechains": {
                "angles_sin_cos": angles,
                "unnormalized_angles_sin_cos": unnormalized,
            }
        }
        config = ConfigDict({"chi_weight": 1.0, "angle_norm_weight": 0.02})
        af.folding.supervised_chi_loss(ret, batch, value, config)
        return ret["loss"]

    arrays = [jnp.asarray(_np(x)) for x in inputs]
    _close(value, loss(*arrays))
    theirs = af.jax.grad(loss, argnums=(0, 1))(*arrays)
    _close(grads[0], theirs[0])
    _close(grads[1], theirs[1])


@pytest.mark.parametrize("per_residue", [True, False])
def test_lddt(af, truth, prediction, per_residue):
    pred_ca = prediction["backbone_frames"][-1][:, :3, 3]
    ours = lddt(
        pred_ca, truth["ca_positions"], truth["ca_mask"], per_residue=per_residue
    )
    theirs = af.lddt.lddt(
        af.jnp.asarray(_np(pred_ca))[None],
        af.jnp.asarray(_np(truth["ca_positions"]))[None],
        af.jnp.asarray(_np(truth["ca_mask"]))[None, :, None],
        cutoff=15.0,
        per_residue=per_residue,
    )[0]
    _close(ours, theirs)
    assert 0.2 < float(ours.mean()) < 0.95


# --- the heads' losses -------------------------------------------------------
def test_distogram_loss(af, truth):
    g = torch.Generator().manual_seed(5)
    n = truth["aatype"].shape[0]
    logits = torch.randn(n, n, 64, generator=g, dtype=torch.float64)
    mask = truth["pseudo_beta_mask"].clone()
    mask[-3:] = 0  # padding
    value, (grad,) = _grad(
        lambda x: distogram_loss(x, truth["pseudo_beta"], mask), logits
    )
    jnp = af.jnp
    batch = {
        "pseudo_beta": jnp.asarray(_np(truth["pseudo_beta"])),
        "pseudo_beta_mask": jnp.asarray(_np(mask)),
    }
    edges = jnp.linspace(2.3125, 21.6875, 63)

    def loss(x):
        return af.modules._distogram_log_loss(x, edges, batch, 64)["loss"]

    _close(value, loss(jnp.asarray(_np(logits))))
    _close(grad, af.jax.grad(loss)(jnp.asarray(_np(logits))))


def test_masked_msa_loss(af):
    from ml_collections import ConfigDict

    g = torch.Generator().manual_seed(6)
    logits = torch.randn(5, 7, 23, generator=g, dtype=torch.float64)
    true_msa = torch.randint(0, 22, (5, 7), generator=g)
    bert_mask = (torch.rand(5, 7, generator=g) < 0.3).double()
    value, (grad,) = _grad(lambda x: masked_msa_loss(x, true_msa, bert_mask), logits)
    jnp = af.jnp
    batch = {
        "true_msa": jnp.asarray(true_msa.numpy()),
        "bert_mask": jnp.asarray(_np(bert_mask)),
    }

    def loss(x):
        def f():
            head = af.modules.MaskedMsaHead(
                ConfigDict({"num_output": 23}), ConfigDict({"multimer_mode": False})
            )
            return head.loss({"logits": x}, batch)["loss"]

        return af.hk.transform(f).apply({}, None)

    _close(value, loss(jnp.asarray(_np(logits))))
    _close(grad, af.jax.grad(loss)(jnp.asarray(_np(logits))))


def test_plddt_loss(af, structure, truth, prediction):
    from ml_collections import ConfigDict

    g = torch.Generator().manual_seed(7)
    n = truth["aatype"].shape[0]
    logits = torch.randn(n, 50, generator=g, dtype=torch.float64)
    pred_ca = prediction["backbone_frames"][-1][:, :3, 3]
    value, (grad,) = _grad(
        lambda x: plddt_loss(x, pred_ca, truth["ca_positions"], truth["ca_mask"]),
        logits,
    )
    jnp = af.jnp
    pred37 = torch.zeros(n, 37, 3, dtype=torch.float64)
    pred37[:, 1] = pred_ca
    batch = {
        "all_atom_positions": jnp.asarray(_np(structure["atom37_positions"])),
        "all_atom_mask": jnp.asarray(_np(structure["atom37_mask"])),
    }

    def loss(x):
        value = {
            "structure_module": {"final_atom_positions": jnp.asarray(_np(pred37))},
            "predicted_lddt": {"logits": x},
        }

        def f():
            config = ConfigDict({"num_bins": 50, "filter_by_resolution": False})
            return af.modules.PredictedLDDTHead(config, None).loss(value, batch)["loss"]

        return af.hk.transform(f).apply({}, None)

    # AF2 sums the residue mask in float32, where its + 1e-8 is lost: 1.3e-10
    # relative, hence rtol 1e-9.
    _close(value, loss(jnp.asarray(_np(logits))), rtol=1e-9, atol=1e-12)
    _close(grad, af.jax.grad(loss)(jnp.asarray(_np(logits))), rtol=1e-9, atol=1e-12)
