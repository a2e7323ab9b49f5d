"""Properties of lesson 5's geometry that no wrong answer can fake (hypothesis,
float64): rotations stay rotations, T ∘ T⁻¹ = id, compose-then-apply = apply
twice, 4x4 matrices agree with (R, t), q and -q are one rotation, the all-atom
construction moves with its backbone frames (distances unchanged by a global rigid
motion), torsion angles come back from the atoms they built, and a screw's twist
and rise come back from the chain it generates."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import residue_constants as rc
from reference.all_atom import (
    atom14_to_atom37,
    frames_to_atom14_pos,
    make_rot_x,
    torsion_angles_to_frames,
)
from reference.geometry import (
    Rigid,
    quat_to_rot,
    rigid_apply,
    rigid_compose,
    rigid_from_3_points,
    rigid_invert,
    rigid_to_4x4,
    rot_vec_mul,
)
from reference.ideal_backbone import (
    build_backbone,
    dihedral,
    helix_parameters,
    ideal_chain,
)

TOL = 1e-10
F64 = torch.float64
seeds = st.integers(0, 2**31 - 1)
batch = st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple)
prop = settings(max_examples=25, deadline=None, derandomize=True, database=None)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rigid(g: torch.Generator, *shape: int) -> Rigid:
    rot = quat_to_rot(torch.randn(*shape, 4, generator=g, dtype=F64))
    return Rigid(rot, 5 * torch.randn(*shape, 3, generator=g, dtype=F64))


def _angles(g: torch.Generator, *shape: int) -> torch.Tensor:
    """[*shape] uniform in (-π, π)."""
    return (torch.rand(*shape, generator=g, dtype=F64) * 2 - 1) * math.pi


def _close(a, b, atol=TOL) -> bool:
    return torch.allclose(a, b, atol=atol, rtol=0)


# --- rotations and quaternions -----------------------------------------------------
@prop
@given(seeds, batch)
def test_rot_vec_mul_keeps_lengths_and_angles(seed, shape):
    g = _gen(seed)
    R = _rigid(g, *shape).rot
    x, y = torch.randn(2, *shape, 3, generator=g, dtype=F64)
    Rx, Ry = rot_vec_mul(R, x), rot_vec_mul(R, y)
    assert _close((Rx * Ry).sum(-1), (x * y).sum(-1))
    assert _close(Rx, (R @ x[..., None])[..., 0])
    # R1 (R2 x) = (R1 R2) x: the product applies R2 first
    R2 = _rigid(g, *shape).rot
    assert _close(rot_vec_mul(R, rot_vec_mul(R2, x)), rot_vec_mul(R @ R2, x))


@prop
@given(seeds, batch)
def test_q_and_minus_q_are_one_rotation(seed, shape):
    q = torch.randn(*shape, 4, generator=_gen(seed), dtype=F64)
    assert _close(quat_to_rot(q), quat_to_rot(-q))


@prop
@given(seeds, batch)
def test_backbone_update_rotates_by_twice_the_arctan(seed, shape):
    """(1, b, c, d) is a rotation by 2 arctan |(b, c, d)| about (b, c, d): every angle
    below π is reachable, and (b, c, d) = 0 is the identity."""
    bcd = torch.randn(*shape, 3, generator=_gen(seed), dtype=F64)
    R = quat_to_rot(torch.cat([torch.ones_like(bcd[..., :1]), bcd], dim=-1))
    angle = torch.arccos((R.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2)
    assert _close(angle, 2 * torch.atan(bcd.norm(dim=-1)), atol=1e-7)
    assert _close(rot_vec_mul(R, bcd), bcd)  # the axis stays put
    eye = quat_to_rot(torch.tensor([1.0, 0, 0, 0], dtype=F64))
    assert torch.equal(eye, torch.eye(3, dtype=F64))


# --- rigid transforms ---------------------------------------------------------------
@prop
@given(seeds, batch)
def test_compose_then_apply_is_apply_twice(seed, shape):
    g = _gen(seed)
    T1, T2, T3 = (_rigid(g, *shape) for _ in range(3))
    x = torch.randn(*shape, 3, generator=g, dtype=F64)
    T12 = rigid_compose(T1, T2)
    assert _close(rigid_apply(T12, x), rigid_apply(T1, rigid_apply(T2, x)))
    left = rigid_to_4x4(rigid_compose(T12, T3))
    right = rigid_to_4x4(rigid_compose(T1, rigid_compose(T2, T3)))
    assert _close(left, right)  # associative


@prop
@given(seeds, batch)
def test_inverse_undoes(seed, shape):
    g = _gen(seed)
    T = _rigid(g, *shape)
    x = torch.randn(*shape, 3, generator=g, dtype=F64)
    eye = torch.eye(4, dtype=F64).expand(*shape, 4, 4)
    for pair in ((T, rigid_invert(T)), (rigid_invert(T), T)):
        assert _close(rigid_to_4x4(rigid_compose(*pair)), eye)
    assert _close(rigid_apply(rigid_invert(T), rigid_apply(T, x)), x)
    assert _close(rigid_apply(rigid_invert(T), x), T.invert_apply(x))


@prop
@given(seeds, batch)
def test_homogeneous_matrices_agree(seed, shape):
    g = _gen(seed)
    T1, T2 = _rigid(g, *shape), _rigid(g, *shape)
    x = torch.randn(*shape, 3, generator=g, dtype=F64)
    M1, M2 = rigid_to_4x4(T1), rigid_to_4x4(T2)
    assert _close(M1 @ M2, rigid_to_4x4(rigid_compose(T1, T2)))
    assert _close(torch.linalg.inv(M1), rigid_to_4x4(rigid_invert(T1)), atol=1e-9)
    x1 = torch.cat([x, torch.ones_like(x[..., :1])], dim=-1)
    assert _close(
        (M1 @ x1[..., None])[..., 0], torch.cat([T1.apply(x), x1[..., 3:]], -1)
    )
    back = Rigid.from_tensor_4x4(M1)
    assert torch.equal(back.rot, T1.rot) and torch.equal(back.trans, T1.trans)


@prop
@given(seeds, batch)
def test_frame_from_3_points_moves_with_the_points(seed, shape):
    g = _gen(seed)
    x1, x2, x3 = torch.randn(3, *shape, 3, generator=g, dtype=F64)
    G = _rigid(g)  # one global motion
    T = rigid_from_3_points(x1, x2, x3)
    moved = rigid_from_3_points(*(G.apply(x) for x in (x1, x2, x3)))
    assert _close(rigid_to_4x4(moved), rigid_to_4x4(G.compose(T)), atol=1e-9)


# --- torsions, frames and atoms -----------------------------------------------------
@prop
@given(seeds, st.floats(-math.pi, math.pi), st.floats(-math.pi, math.pi))
def test_make_rot_x_adds_angles(seed, a, b):
    def rot_x(t):
        t = torch.tensor(t, dtype=F64)
        return make_rot_x(torch.stack([t.sin(), t.cos()]))

    got = rigid_to_4x4(rot_x(a).compose(rot_x(b)))
    assert _close(got, rigid_to_4x4(rot_x(a + b)))


def _structure(seed: int, batch=()):
    """Random backbone frames, torsion angles [*, 21, 7] with their (sin, cos)
    [*, 21, 7, 2], every residue type (X included)."""
    g = _gen(seed)
    aatype = torch.randperm(21, generator=g).expand(*batch, 21)
    angles = _angles(g, *batch, 21, 7)
    alpha = torch.stack([angles.sin(), angles.cos()], dim=-1)
    return _rigid(g, *batch, 21), angles, alpha, aatype


@prop
@given(seeds)
def test_atoms_move_with_a_global_rigid_motion(seed):
    T, _, alpha, aatype = _structure(seed)
    G = _rigid(_gen(seed + 1))
    x14 = frames_to_atom14_pos(torsion_angles_to_frames(T, alpha, aatype), aatype)
    moved = torsion_angles_to_frames(G.unsqueeze(-1).compose(T), alpha, aatype)
    x14_moved = frames_to_atom14_pos(moved, aatype)
    mask = torch.as_tensor(rc.restype_atom14_mask)[aatype].bool()
    assert _close(x14_moved[mask], G.apply(x14[mask]), atol=1e-9)
    d, d_moved = ((x[mask][:, None] - x[mask]).norm(dim=-1) for x in (x14, x14_moved))
    assert _close(d, d_moved, atol=1e-9)


def test_batched_equals_unbatched():
    T, _, alpha, aatype = _structure(0, batch=(2,))
    x37 = atom14_to_atom37(
        frames_to_atom14_pos(torsion_angles_to_frames(T, alpha, aatype), aatype), aatype
    )
    for b in range(2):
        frames = torsion_angles_to_frames(T[b], alpha[b], aatype[b])
        one = atom14_to_atom37(frames_to_atom14_pos(frames, aatype[b]), aatype[b])
        assert _close(x37[b], one, atol=1e-12)


@prop
@given(seeds)
def test_chi_angles_come_back_from_the_atoms(seed):
    """Every χ of every residue type is the dihedral of its four atoms, whatever the
    angles; ψ puts O trans to where the next N would be (N-CA-C-O = ψ + π)."""
    T, angles, alpha, aatype = _structure(seed)
    x37 = atom14_to_atom37(
        frames_to_atom14_pos(torsion_angles_to_frames(T, alpha, aatype), aatype), aatype
    )
    checked = 0
    for i, r in enumerate(aatype.tolist()):
        if r == rc.unk_restype_index:
            assert not x37[i].any()
            continue
        atom = {a: x37[i, rc.atom_order[a]] for a in ("N", "CA", "C", "O")}
        psi = dihedral(atom["N"], atom["CA"], atom["C"], atom["O"])
        assert _wrapped(psi - angles[i, 2] - math.pi) < 1e-6
        for k, names in enumerate(rc.chi_angles_atoms[rc.resnames[r]]):
            got = dihedral(*(x37[i, rc.atom_order[a]] for a in names))
            # float32 literature frames: the χ atom lies in its frame's xy-plane
            # to about 1e-7 rad
            assert _wrapped(got - angles[i, 3 + k]) < 1e-6, (rc.resnames[r], k)
            checked += 1
    assert checked > 30


def _wrapped(d: torch.Tensor) -> float:
    return float(torch.remainder(d + math.pi, 2 * math.pi) - math.pi)


def test_atom37_round_trip_through_atom14():
    aatype = torch.arange(21)
    atom14 = torch.randn(21, 14, 3, dtype=F64)
    atom14 = atom14 * torch.as_tensor(rc.restype_atom14_mask)[aatype, :, None]
    atom37 = atom14_to_atom37(atom14, aatype)
    idx = torch.as_tensor(rc.restype_atom14_to_atom37)[aatype, :, None]
    back = torch.gather(atom37, 1, idx.expand(-1, -1, 3))
    mask = torch.as_tensor(rc.restype_atom14_mask)[aatype, :, None]
    assert torch.equal(back * mask, atom14)


# --- chains from φ/ψ/ω and their helix parameters ---------------------------------
@prop
@given(seeds)
def test_backbone_torsions_come_back_for_every_residue_type(seed):
    """φ, ψ, ω of the built chain are the given ones, and ideal_chain's side-chain
    construction puts N, CA, C exactly where build_backbone did: each residue type's
    own backbone geometry (alanine's for every residue moves them by up to 0.5 Å
    over 21 residues). Atoms are placed through frames whose axes carry
    rigid_from_3_points' eps = 1e-8: about 1e-9 rad, 1e-8 Å 20 Å from the origin."""
    g = _gen(seed)
    aatype = torch.randperm(21, generator=g)
    phi, psi = _angles(g, 21), _angles(g, 21)
    omega = torch.where(torch.rand(21, generator=g) < 0.3, 0.0, math.pi).to(F64)
    x = build_backbone(phi, psi, omega, aatype)
    n, ca, c = x.unbind(1)
    assert _close(dihedral(c[:-1], n[1:], ca[1:], c[1:]), phi[1:], atol=1e-8)
    assert _close(dihedral(n[:-1], ca[:-1], c[:-1], n[1:]), psi[:-1], atol=1e-8)
    got = torch.cos(dihedral(ca[:-1], c[:-1], n[1:], ca[1:]) - omega[1:])
    assert _close(got, torch.ones_like(got), atol=1e-8)
    x37, _ = ideal_chain(aatype, phi, psi)
    real = aatype != rc.unk_restype_index
    assert _close(x37[real, :3], build_backbone(phi, psi, aatype=aatype)[real], 1e-6)


def _screw(g: torch.Generator, n: int):
    """A chain generated by one screw S: residue i is S^i of an ideal residue in a
    random pose. Returns (x [n, 3, 3], twist, rise), the twist signed as
    helix_parameters signs it."""
    theta = float(torch.rand((), generator=g, dtype=F64)) * 3.0 + 0.05
    shift = float(torch.randn((), generator=g, dtype=F64)) * 3
    u = torch.randn(3, generator=g, dtype=F64)
    u = u / u.norm()
    half = theta / 2
    q = torch.cat([torch.tensor([math.cos(half)], dtype=F64), math.sin(half) * u])
    # a translation along the axis, and one across it (which moves the axis only)
    across = torch.linalg.cross(u, torch.randn(3, generator=g, dtype=F64))
    S = Rigid(quat_to_rot(q), shift * u + across)
    ideal = torch.as_tensor(rc.restype_atom14_rigid_group_positions[0, :3]).to(F64)
    x = [_rigid(g).apply(ideal)]
    for _ in range(n - 1):
        x.append(S.apply(x[-1]))
    return torch.stack(x), math.copysign(theta, shift), abs(shift)


@prop
@given(seeds)
def test_helix_parameters_recover_the_screw(seed):
    """Exact up to rigid_from_3_points' eps = 1e-8, which bends the frames by ~1e-9
    (worst over 2,000 random screws: 5e-9 rad, 4e-8 Å)."""
    g = _gen(seed)
    x, twist, rise = _screw(g, 6)
    got_twist, got_rise = helix_parameters(x)
    assert _close(got_twist, torch.full_like(got_twist, twist), atol=1e-7)
    assert _close(got_rise, torch.full_like(got_rise, rise), atol=1e-6)
    # the same after a global rigid motion
    G = _rigid(g)
    moved = helix_parameters(G.apply(x))
    assert _close(moved[0], got_twist, atol=1e-7) and _close(moved[1], got_rise, 1e-6)


@pytest.mark.parametrize(
    "phi_psi, per_turn, rise",
    [((-57, -47), 3.6, 1.56), ((-120, 130), -2.1, 3.37), ((-75, 145), -3.0, 3.08)],
    ids=["alpha helix", "beta strand", "polyproline II"],
)
def test_ideal_helices(phi_psi, per_turn, rise):
    """Right-handed α-helix, left-handed twisted strand and polyproline II helix."""
    phi, psi = (torch.full((9,), math.radians(a), dtype=F64) for a in phi_psi)
    twist, got_rise = helix_parameters(build_backbone(phi, psi))
    assert torch.allclose(
        2 * math.pi / twist, torch.tensor(per_turn, dtype=F64), atol=0.05
    )
    assert torch.allclose(got_rise, torch.tensor(rise, dtype=F64), atol=0.01)
