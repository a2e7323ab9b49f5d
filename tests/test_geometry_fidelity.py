"""Lesson 5 against DeepMind's code, in float64 on both sides (jax in x64 mode): the
rigid-transform operations against ``r3`` and ``quat_affine`` (the backbone update
by a quaternion (1, b, c, d) included), the atom masks against ``all_atom_multimer``,
and a chain built from torsion angles by our code read back by AF2's
``atom37_to_frames`` and ``atom37_to_torsion_angles``: the group frames and the
torsions AF2 finds are the ones we built from, for every residue type.

(``tests/test_geometry.py`` and ``tests/test_all_atom.py`` compare the quaternion
functions, rigid_from_3_points, torsion_angles_to_frames, frames_to_atom14_pos and
atom14_to_atom37 with AF2.)"""

import contextlib
import math

import numpy as np
import pytest
import torch

from reference.all_atom import make_atom14_masks
from reference.geometry import (
    Rigid,
    quat_to_rot,
    rigid_apply,
    rigid_compose,
    rigid_invert,
    rigid_to_4x4,
    rot_vec_mul,
)
from reference.ideal_backbone import build_backbone, ideal_chain

# float64 on both sides: the same sums of products, rounded alike; 1e-15 seen.
ATOL64 = 1e-12
F64 = torch.float64
N = 11


@pytest.fixture(scope="module")
def af2():
    pytest.importorskip("alphafold.model.r3", reason="pip install -e '.[crosscheck]'")
    import jax
    from alphafold.model import all_atom, all_atom_multimer, quat_affine, r3

    jax.config.update("jax_platforms", "cpu")
    return jax, r3, quat_affine, all_atom, all_atom_multimer


@contextlib.contextmanager
def x64(jax):
    """jax in float64 inside this block only (traces made under the other setting
    are dropped on the way in and out)."""
    jax.clear_caches()
    try:
        with jax.enable_x64(True):
            yield
    finally:
        jax.clear_caches()


def _rigid(seed: int, *shape: int) -> Rigid:
    g = torch.Generator().manual_seed(seed)
    rot = quat_to_rot(torch.randn(*shape, 4, generator=g, dtype=F64))
    return Rigid(rot, 5 * torch.randn(*shape, 3, generator=g, dtype=F64))


def _vecs(r3, x: torch.Tensor):
    return r3.vecs_from_tensor(x.numpy())


def _rigids(r3, T: Rigid):
    R, t = T.rot.numpy(), T.trans.numpy()
    rot = r3.Rots(*[R[..., i, j] for i in range(3) for j in range(3)])
    return r3.Rigids(rot, r3.Vecs(*[t[..., i] for i in range(3)]))


def _tensor(r3, v) -> np.ndarray:
    out = np.asarray(r3.vecs_to_tensor(v))
    assert out.dtype == np.float64
    return out


def _agree(ours: torch.Tensor, theirs, atol: float = ATOL64):
    theirs = np.asarray(theirs)
    assert theirs.dtype == np.float64 and ours.dtype == F64
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert np.abs(ours.numpy() - theirs).max() <= atol


def test_rigid_operations_match_r3(af2):
    jax, r3, *_ = af2
    T1, T2 = _rigid(0, N), _rigid(1, N)
    x = torch.randn(N, 3, dtype=F64)
    with x64(jax):
        a, b = _rigids(r3, T1), _rigids(r3, T2)
        _agree(
            rot_vec_mul(T1.rot, x), _tensor(r3, r3.rots_mul_vecs(a.rot, _vecs(r3, x)))
        )
        _agree(rigid_apply(T1, x), _tensor(r3, r3.rigids_mul_vecs(a, _vecs(r3, x))))
        flat = np.asarray(r3.rigids_to_tensor_flat12(r3.rigids_mul_rigids(a, b)))
        ours = rigid_compose(T1, T2)
        _agree(torch.cat([ours.rot.flatten(-2), ours.trans], -1), flat)
        flat = np.asarray(r3.rigids_to_tensor_flat12(r3.invert_rigids(a)))
        ours = rigid_invert(T1)
        _agree(torch.cat([ours.rot.flatten(-2), ours.trans], -1), flat)
        # AF2 reads its literature frames from 4x4 matrices: ours have its layout
        back = r3.rigids_from_tensor4x4(rigid_to_4x4(T1).numpy())
        _agree(T1.rot.flatten(-2), np.asarray(r3.rigids_to_tensor_flat12(back))[:, :9])
        _agree(T1.trans, np.asarray(r3.rigids_to_tensor_flat12(back))[:, 9:])


def test_backbone_update_matches_quat_affine(af2):
    """T ∘ (R(1, b, c, d), t) as matrices = QuatAffine.pre_compose, which adds
    q (0, b, c, d) to the quaternion and normalises."""
    jax, _, quat_affine, *_ = af2
    g = torch.Generator().manual_seed(2)
    q = torch.randn(N, 4, generator=g, dtype=F64)
    t = 5 * torch.randn(N, 3, generator=g, dtype=F64)
    update = torch.randn(N, 6, generator=g, dtype=F64) * 0.5
    bcd, t_update = update.split(3, dim=-1)
    one = torch.ones_like(bcd[..., :1])
    ours = Rigid(quat_to_rot(q), t).compose(
        Rigid(quat_to_rot(torch.cat([one, bcd], -1)), t_update)
    )
    x = torch.randn(N, 3, generator=g, dtype=F64)
    with x64(jax):
        affine = quat_affine.QuatAffine(q.numpy(), list(t.numpy().T), normalize=True)
        theirs = affine.pre_compose(update.numpy())
        rot = np.stack([np.stack(row, -1) for row in theirs.rotation], -2)
        _agree(ours.rot, rot)
        _agree(ours.trans, np.stack(theirs.translation, -1))
        _agree(ours.apply(x), np.stack(theirs.apply_to_point(list(x.numpy().T)), -1))
        inverse = theirs.invert_point(list(x.numpy().T))
        _agree(ours.invert_apply(x), np.stack(inverse, -1))


def test_atom_masks_match_all_atom_multimer(af2):
    jax, *_, multimer = af2
    aatype = torch.arange(21)
    ours = make_atom14_masks(aatype)
    with x64(jax):
        theirs = {
            "atom37_atom_exists": multimer.get_atom37_mask(aatype.numpy()),
            "atom14_atom_exists": multimer.get_atom14_mask(aatype.numpy()),
            "residx_atom37_to_atom14": multimer.get_atom37_to_atom14_map(
                aatype.numpy()
            ),
            "residx_atom14_to_atom37": multimer.get_atom14_to_atom37_map(
                aatype.numpy()
            ),
        }
        for key, want in theirs.items():
            assert np.array_equal(ours[key].numpy(), np.asarray(want)), key


def _chain(seed: int):
    """Every residue type (X included) with random φ, ψ, χ: (aatype, torsions
    [21, 7] in AF2's order ω, φ, ψ, χ1-χ4, atom37 positions, mask)."""
    g = torch.Generator().manual_seed(seed)
    aatype = torch.randperm(21, generator=g)
    torsions = (torch.rand(21, 7, generator=g, dtype=F64) * 2 - 1) * math.pi
    torsions[:, 0] = math.pi  # trans peptides: build_backbone's default ω
    x37, mask = ideal_chain(aatype, torsions[:, 1], torsions[:, 2], torsions[:, 3:])
    return aatype, torsions, x37, mask.to(F64)


# Our literature frames and positions are float32 numbers (as AF2's): an atom that
# defines a torsion sits in its frame's xy-plane to ~1e-7, which AF2 reads back as
# ~6e-8 rad and ~6e-8 in the frames' entries. Everything else agrees to 1e-14.
ATOL_TABLES = 1e-6


def test_torsions_of_a_built_chain_read_back_by_af2(af2):
    jax, _, _, all_atom, _ = af2
    aatype, torsions, x37, mask = _chain(0)
    with x64(jax):
        out = all_atom.atom37_to_torsion_angles(
            aatype.numpy()[None], x37.numpy()[None], mask.numpy()[None]
        )
        sin_cos = np.asarray(out["torsion_angles_sin_cos"])[0]
        defined = np.asarray(out["torsion_angles_mask"])[0] > 0
    got = torch.atan2(torch.tensor(sin_cos[..., 0]), torch.tensor(sin_cos[..., 1]))
    diff = torch.remainder(got - torsions + math.pi, 2 * math.pi) - math.pi
    # undefined: ω and φ of the first residue, and every torsion that needs X's atoms
    assert defined[:, :3].sum() > 50 and defined[:, 3:].sum() > 30
    assert diff[torch.tensor(defined)].abs().max() < ATOL_TABLES


def test_group_frames_of_a_built_chain_read_back_by_af2(af2):
    """AF2's atom37_to_frames (the ground-truth frames of FAPE) rebuilds, from our
    atoms, the very frames our torsion_angles_to_frames placed them with."""
    from reference.all_atom import torsion_angles_to_frames
    from reference.geometry import rigid_from_3_points

    jax, _, _, all_atom, _ = af2
    aatype, torsions, x37, mask = _chain(1)
    x = build_backbone(torsions[:, 1], torsions[:, 2], aatype=aatype)
    alpha = torch.stack([torsions.sin(), torsions.cos()], dim=-1)
    backbone = rigid_from_3_points(x[:, 0], x[:, 1], x[:, 2])
    frames = torsion_angles_to_frames(backbone, alpha, aatype)
    ours = torch.cat([frames.rot.flatten(-2), frames.trans], dim=-1)
    with x64(jax):
        out = all_atom.atom37_to_frames(aatype.numpy(), x37.numpy(), mask.numpy())
        theirs = np.asarray(out["rigidgroups_gt_frames"])
        exists = np.asarray(out["rigidgroups_gt_exists"]) > 0
    assert exists[:, 0].sum() == 20 and exists[:, 4:].sum() > 30
    assert theirs.dtype == np.float64
    assert np.abs(ours.numpy()[exists] - theirs[exists]).max() < ATOL_TABLES
    assert np.abs(theirs[exists]).max() > 1  # not a trivial comparison
    # the backbone frames themselves: no table in between
    assert np.abs(ours.numpy()[:, 0] - theirs[:, 0])[exists[:, 0]].max() < ATOL64
