"""All-atom construction (SI Alg. 24, 25): against AF2's all_atom; ideal geometry."""

import numpy as np
import pytest
import torch

from reference import residue_constants as rc
from reference.all_atom import (
    atom14_to_atom37,
    frames_to_atom14_pos,
    make_atom14_masks,
    make_rot_x,
    pseudo_beta,
    torsion_angles_to_frames,
)
from reference.geometry import Rigid, quat_to_rot

# every residue type (X included), then a few random ones; an odd length
AATYPE = np.concatenate([np.arange(21), np.random.default_rng(0).integers(0, 21, 8)])
N_RES = len(AATYPE)


def _inputs(seed: int, dtype=torch.float32, batch=()):
    g = torch.Generator().manual_seed(seed)
    rot = quat_to_rot(torch.randn(*batch, N_RES, 4, generator=g, dtype=dtype))
    trans = 10 * torch.randn(*batch, N_RES, 3, generator=g, dtype=dtype)
    alpha = torch.randn(*batch, N_RES, 7, 2, generator=g, dtype=dtype)
    alpha = alpha / alpha.norm(dim=-1, keepdim=True)
    aatype = torch.tensor(AATYPE).expand(*batch, N_RES)
    return Rigid(rot, trans), alpha, aatype


@pytest.fixture(scope="module")
def af2():
    hint = "pip install -e '.[crosscheck]'"
    pytest.importorskip("alphafold.model.all_atom", reason=hint)
    import jax.numpy as jnp
    from alphafold.model import all_atom, modules, r3

    return all_atom, modules, r3, jnp


def _to_r3(r3, jnp, T: Rigid):
    R, t = T.rot.numpy(), T.trans.numpy()
    rot = r3.Rots(*[jnp.asarray(R[..., i, j]) for i in range(3) for j in range(3)])
    return r3.Rigids(rot, r3.Vecs(*[jnp.asarray(t[..., i]) for i in range(3)]))


def test_make_rot_x():
    theta = torch.linspace(-3, 3, 7, dtype=torch.float64)
    T = make_rot_x(torch.stack([theta.sin(), theta.cos()], dim=-1))
    y = T.apply(torch.tensor([0.3, 1.0, 0.0], dtype=torch.float64))
    assert torch.allclose(y[:, 0], torch.full_like(theta, 0.3))
    assert torch.allclose(torch.atan2(y[:, 2], y[:, 1]), theta)


def test_frames_and_atoms_match_af2(af2):
    all_atom, _, r3, jnp = af2
    bb, alpha, aatype = _inputs(0)
    frames = torsion_angles_to_frames(bb, alpha, aatype)
    x14 = frames_to_atom14_pos(frames, aatype)
    assert frames.shape == (N_RES, 8) and x14.shape == (N_RES, 14, 3)

    want = all_atom.torsion_angles_to_frames(
        jnp.asarray(AATYPE), _to_r3(r3, jnp, bb), jnp.asarray(alpha.numpy())
    )
    flat12 = np.asarray(r3.rigids_to_tensor_flat12(want))  # [N, 8, 9 rot + 3 trans]
    ours = torch.cat([frames.rot.flatten(-2), frames.trans], dim=-1).numpy()
    assert np.abs(ours - flat12).max() < 1e-5
    want_x = all_atom.frames_and_literature_positions_to_atom14_pos(
        jnp.asarray(AATYPE), want
    )
    want_x = np.asarray(r3.vecs_to_tensor(want_x))
    assert np.abs(x14.numpy() - want_x).max() < 1e-5
    assert np.abs(want_x).max() > 1  # not a trivial comparison

    batch = make_atom14_masks(aatype)
    want37 = all_atom.atom14_to_atom37(
        jnp.asarray(want_x), {k: jnp.asarray(v.numpy()) for k, v in batch.items()}
    )
    x37 = atom14_to_atom37(x14, aatype)
    assert x37.shape == (N_RES, 37, 3)
    assert np.abs(x37.numpy() - np.asarray(want37)).max() < 1e-5
    # 2-D data too (e.g. a mask or per-atom scalar)
    m37 = atom14_to_atom37(batch["atom14_atom_exists"], aatype)
    assert torch.equal(m37, batch["atom37_atom_exists"])


def test_pseudo_beta_matches_af2(af2):
    _, modules, _, jnp = af2
    x37 = torch.randn(N_RES, 37, 3)
    want = modules.pseudo_beta_fn(jnp.asarray(AATYPE), jnp.asarray(x37.numpy()), None)
    got = pseudo_beta(torch.tensor(AATYPE), x37)
    assert np.array_equal(got.numpy(), np.asarray(want))
    gly = AATYPE == rc.restype_order["G"]
    assert torch.equal(got[gly], x37[gly, 1]) and torch.equal(got[~gly], x37[~gly, 3])


def test_batched_equals_unbatched_float64():
    bb, alpha, aatype = _inputs(1, torch.float64, batch=(3,))
    x14 = frames_to_atom14_pos(torsion_angles_to_frames(bb, alpha, aatype), aatype)
    assert x14.dtype == torch.float64 and x14.shape == (3, N_RES, 14, 3)
    x37 = atom14_to_atom37(x14, aatype)
    for b in range(3):
        f = torsion_angles_to_frames(bb[b], alpha[b], aatype[b])
        one = frames_to_atom14_pos(f, aatype[b])
        assert torch.allclose(x14[b], one, atol=1e-12)
        assert torch.allclose(x37[b], atom14_to_atom37(one, aatype[b]), atol=1e-12)


def test_make_atom14_masks():
    aatype = torch.tensor(AATYPE)
    m = make_atom14_masks(aatype)
    assert m["residx_atom37_to_atom14"].shape == (N_RES, 37)
    assert m["atom37_atom_exists"].dtype == torch.float32
    thr = rc.restype_order["T"]
    names = [rc.atom_types[i] for i in m["residx_atom14_to_atom37"][thr][:7]]
    assert names == ["N", "CA", "C", "O", "CB", "OG1", "CG2"]
    assert m["atom14_atom_exists"][thr].sum() == 7
    assert not m["atom37_atom_exists"][AATYPE == 20].any()


def _stereo_bonds():
    """Literature bond lengths (Engh & Huber) as AF2 ships them."""
    af2_rc = pytest.importorskip("alphafold.common.residue_constants")
    bonds, _, _ = af2_rc.load_stereo_chemical_props()
    return bonds


def test_ideal_bond_lengths_every_residue():
    """Frames + ideal coordinates reproduce the literature bond lengths of all 20
    residues, whatever the torsion angles (a torsion never changes a tree bond).
    Proline's CD-N closes the ring: it holds only at ring-closing chi angles."""
    bonds = _stereo_bonds()
    aatype = torch.arange(20)
    worst = 0.0
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        alpha = torch.randn(20, 7, 2, generator=g, dtype=torch.float64)
        alpha = alpha / alpha.norm(dim=-1, keepdim=True)
        bb = Rigid.identity((20,), dtype=torch.float64)
        x14 = frames_to_atom14_pos(torsion_angles_to_frames(bb, alpha, aatype), aatype)
        for r, res in enumerate(rc.resnames):
            names = rc.restype_name_to_atom14_names[res]
            for bond in bonds[res]:
                if res == "PRO" and {bond.atom1_name, bond.atom2_name} == {"N", "CD"}:
                    continue
                i, j = names.index(bond.atom1_name), names.index(bond.atom2_name)
                d = (x14[r, i] - x14[r, j]).norm().item()
                worst = max(worst, abs(d - bond.length) / bond.stddev)
    # HIS CD2-NE2 is the worst: 1.373 vs 1.415 +- 0.021 Å
    assert worst < 2.5  # standard deviations of the literature value


@pytest.mark.parametrize(
    "a1,a2,length", [("N", "CA", 1.458), ("CA", "C", 1.525), ("C", "O", 1.229)]
)
def test_backbone_bond_lengths(a1, a2, length):
    x37 = _atom37(*_inputs(2, torch.float64))
    real = AATYPE < 20
    d = (x37[real, rc.atom_order[a1]] - x37[real, rc.atom_order[a2]]).norm(dim=-1)
    assert (d - length).abs().max() < 0.01


def _atom37(bb, alpha, aatype):
    groups = torsion_angles_to_frames(bb, alpha, aatype)
    return atom14_to_atom37(frames_to_atom14_pos(groups, aatype), aatype)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    bb, alpha, aatype = _inputs(3)
    cpu = _atom37(bb, alpha, aatype)
    bb = Rigid(bb.rot.cuda(), bb.trans.cuda())
    alpha, aatype = alpha.cuda(), aatype.cuda()
    gpu = _atom37(bb, alpha, aatype)
    assert gpu.is_cuda and torch.allclose(gpu.cpu(), cpu, atol=1e-4)
    assert pseudo_beta(aatype, gpu).is_cuda
    assert all(v.is_cuda for v in make_atom14_masks(aatype).values())
