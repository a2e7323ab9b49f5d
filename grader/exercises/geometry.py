"""Exercises of ``reference/geometry.py`` (lesson 5). Rotations come from random
quaternions, so every input rotation is a proper one (orthonormal, det +1);
``Rigid`` inputs and outputs are compared field by field (``rot``, ``trans``)."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

# No size is 3 or 4 (coordinates, quaternions): a transposition cannot pass.
row = partial(
    Exercise,
    lesson=5,
    sizes=dict(B=5, N_res=7, N_pts=6),
    hidden=dict(B=6, N_res=9, N_pts=5),
)


def rotations(d: Draw, name: str, *dims) -> torch.Tensor:
    """[*dims, 3, 3] random rotations."""
    from reference.geometry import quat_to_rot

    return quat_to_rot(d.randn(name, *dims, 4))


def rigids(d: Draw, name: str, *dims):
    """A random Rigid of batch shape ``dims``; translations of a few Å."""
    from reference.geometry import Rigid

    return Rigid(rotations(d, f"{name} rot", *dims), d.randn(f"{name} t", *dims, 3))


def _quats(d: Draw, form: str):
    if form == "update":  # the backbone update's (1, b, c, d)
        bcd = d.randn("bcd", "N_res", 3, scale=0.3)
        return (torch.cat([torch.ones_like(bcd[..., :1]), bcd], dim=-1),), {}
    q = d.randn("q", "N_res", 4)
    if form == "signs":  # q and -q: the same rotation
        return (torch.cat([q, -q]),), {}
    return (d.randn("q", "B", "N_res", 4),), {}


def _pure(d: Draw):
    v = d.randn("v", "N_res", 3)
    return (
        d.randn("q1", "N_res", 4),
        torch.cat([torch.zeros_like(v[:, :1]), v], -1),
    ), {}


def _backbone_points(d: Draw):
    """N, CA, C of ideal alanines in random poses: x1, x2, x3 [B, N_res, 3]."""
    from reference import residue_constants as rc

    pose = rigids(d, "pose", "B", "N_res")
    ideal = torch.as_tensor(rc.restype_atom14_rigid_group_positions[0, :3]).double()
    return tuple(pose.apply(ideal[i]) for i in range(3)), {}


EXERCISES = [
    row(
        "geometry.rot_vec_mul",
        points=1,
        cases=[
            Case(
                "batched",
                lambda d: (
                    (rotations(d, "R", "B", "N_res"), d.randn("x", "B", "N_res", 3)),
                    {},
                ),
            ),
            Case(
                "one rotation, many points",
                lambda d: (
                    (rotations(d, "R", "N_res", 1), d.randn("x", "N_res", "N_pts", 3)),
                    {},
                ),
            ),
        ],
        mistakes=edits(r"""
        points are column vectors: (R x)_i = sum_j R_ij x_j. Summing over R's rows
        instead (x as a row vector, x R) gives Rᵀ x, the inverse rotation
            "...ij,...j->...i" => "...ji,...j->...i"
        (R x)_i = sum_j R_ij x_j: the sum runs over R's last axis, the one that meets
        x's coordinates
            y = torch.einsum("...ij,...j->...i", R, x) => \
                y = (R * x[..., None, :]).sum(-2)
        """),
    ),
    row(
        "geometry.quat_to_rot",
        points=2,
        cases=[
            Case("random quaternions, not unit", partial(_quats, form="random")),
            Case("backbone updates (1, b, c, d)", partial(_quats, form="update")),
            Case("q and -q", partial(_quats, form="signs")),
        ],
        mistakes=edits(r"""
        normalise q first: only a unit quaternion gives a rotation, and the backbone
        update's (1, b, c, d) is not one
            q / torch.linalg.norm(q, dim=-1, keepdim=True) => q
        AF2's quaternions put the real part first: q = (a, b, c, d) = (w, x, y, z)
            a, b, c, d = torch.unbind( => b, c, d, a = torch.unbind(
        the lists above are R's rows: stack them along dim -2. Stacked as columns
        they give Rᵀ, the inverse rotation
            for row in rows], dim=-2) => for row in rows], dim=-1)
        """),
    ),
    row(
        "geometry.quat_multiply",
        points=2,
        cases=[
            Case(
                "random pairs",
                lambda d: (
                    (d.randn("q1", "B", "N_res", 4), d.randn("q2", "B", "N_res", 4)),
                    {},
                ),
            ),
            Case(
                "broadcast",
                lambda d: (
                    (d.randn("q1", "N_res", 1, 4), d.randn("q2", "N_res", "N_pts", 4)),
                    {},
                ),
            ),
            Case("times a pure vector (0, v)", _pure),
        ],
        mistakes=edits(r"""
        the order matters: q1 q2 has + v1 × v2 (v2 × v1 is the product q2 q1, which
        applies q1 first)
            torch.linalg.cross(v1, v2, dim=-1) => torch.linalg.cross(v2, v1, dim=-1)
        the real part is a1 a2 - v1 · v2 (i² = j² = k² = -1)
            a1 * a2 - (v1 * v2) => a1 * a2 + (v1 * v2)
        the vector part is a1 v2 + a2 v1 + v1 × v2: without the cross product the
        product would commute, and rotations do not
            + torch.linalg.cross(v1, v2, dim=-1) =>
        """),
    ),
    row(
        "geometry.rigid_apply",
        points=1,
        cases=[
            Case(
                "batched",
                lambda d: (
                    (rigids(d, "T", "B", "N_res"), d.randn("x", "B", "N_res", 3)),
                    {},
                ),
            ),
            Case(
                "one frame, many points",
                lambda d: (
                    (rigids(d, "T", "N_res", 1), d.randn("x", "N_res", "N_pts", 3)),
                    {},
                ),
            ),
        ],
        mistakes=edits(r"""
        rotate first, then translate: R x + t, not R (x + t)
            rot_vec_mul(T.rot, x) + T.trans => rot_vec_mul(T.rot, x + T.trans)
        T ∘ x = R x + t maps local coordinates to global ones; Rᵀ (x - t) is the
        inverse, T⁻¹ ∘ x
            rot_vec_mul(T.rot, x) + T.trans => \
                rot_vec_mul(T.rot.transpose(-1, -2), x - T.trans)
        a rigid transform also translates: add t
            rot_vec_mul(T.rot, x) + T.trans => rot_vec_mul(T.rot, x)
        """),
    ),
    row(
        "geometry.rigid_compose",
        points=2,
        cases=[
            Case(
                "batched",
                lambda d: (
                    (rigids(d, "T1", "B", "N_res"), rigids(d, "T2", "B", "N_res")),
                    {},
                ),
            ),
            Case(
                "broadcast",
                lambda d: (
                    (rigids(d, "T1", "N_res", 1), rigids(d, "T2", "N_res", "N_pts")),
                    {},
                ),
            ),
        ],
        mistakes=edits(r"""
        T1 ∘ T2 applies T2 first: its rotation is R1 R2, not R2 R1
            T1.rot @ T2.rot => T2.rot @ T1.rot
        the translation of T1 ∘ T2 is R1 t2 + t1 (T2's translation moved by T1); R2 t1
        + t2 is T2 ∘ T1's
            rot_vec_mul(T1.rot, T2.trans) + T1.trans => \
                rot_vec_mul(T2.rot, T1.trans) + T2.trans
        T1 rotates T2's translation too: t = R1 t2 + t1, not t1 + t2
            rot_vec_mul(T1.rot, T2.trans) + T1.trans => T2.trans + T1.trans
        """),
    ),
    row(
        "geometry.rigid_invert",
        points=2,
        cases=[
            Case("batched", lambda d: ((rigids(d, "T", "B", "N_res"),), {})),
            Case("one batch dimension", lambda d: ((rigids(d, "T", "N_pts"),), {})),
        ],
        mistakes=edits(r"""
        the inverse's translation is -Rᵀ t (from x = Rᵀ (y - t)), not -t
            -rot_vec_mul(rot, T.trans) => -T.trans
        the inverse's translation -Rᵀ t uses the inverse rotation Rᵀ, not R
            -rot_vec_mul(rot, T.trans) => -rot_vec_mul(T.rot, T.trans)
        a rotation's inverse is its transpose Rᵀ
            rot = T.rot.transpose(-1, -2) => rot = T.rot
        the inverse's translation is -Rᵀ t: mind the minus
            -rot_vec_mul(rot, T.trans) => rot_vec_mul(rot, T.trans)
        transpose_ transposes the caller's rotation in place: use transpose
            T.rot.transpose(-1, -2) => T.rot.transpose_(-1, -2)
        """),
    ),
    row(
        "geometry.rigid_to_4x4",
        points=1,
        cases=[
            Case("batched", lambda d: ((rigids(d, "T", "B", "N_res"),), {})),
            Case("a single transform", lambda d: ((rigids(d, "T"),), {})),
        ],
        mistakes=edits(r"""
        t goes in the last column: M [x; 1] = [R x + t; 1] for column vectors (t in
        the last row is the row-vector convention, [x, 1] M)
            [T.rot, T.trans[..., None]] => [T.rot, torch.zeros_like(T.trans[..., None])]
            bottom[..., 0, 3] = 1 => \
                bottom[..., 0, :3] = T.trans\n    bottom[..., 0, 3] = 1
        the last row is (0, 0, 0, 1): the 1 carries the homogeneous coordinate
            bottom[..., 0, 3] = 1 => bottom[..., 0, 3] = 0
        the top-left block is R itself (Rᵀ belongs to the inverse)
            [T.rot, T.trans[..., None]] => [T.rot.transpose(-1, -2), T.trans[..., None]]
        """),
    ),
    row(
        "geometry.rigid_from_3_points",
        points=3,
        cases=[
            Case(
                "random points",
                lambda d: (
                    tuple(d.randn(f"x{i}", "B", "N_res", 3) for i in (1, 2, 3)),
                    {},
                ),
            ),
            Case("backbone N, CA, C", _backbone_points),
        ],
        mistakes=edits(r"""
        the x-axis points from x2 (CA) to x3 (C): v1 = x3 - x2, and x1 (N) gives v2
            v1 = x3 - x2 => v1 = x1 - x2
            v2 = x1 - x2 => v2 = x3 - x2
        Gram-Schmidt: remove v2's component along e1 (u2 = v2 - e1 (e1 · v2)) before
        normalising, so that e2 is perpendicular to e1
            u2 = v2 - e1 * (e1 * v2).sum(dim=-1, keepdim=True) => u2 = v2
        e1, e2, e3 are R's columns (stack along dim -1): R maps the local x-axis
        (1, 0, 0) to e1. As rows they give Rᵀ
            torch.stack([e1, e2, e3], dim=-1) => torch.stack([e1, e2, e3], dim=-2)
        e3 = e1 × e2 makes a right-handed frame (det R = +1); e2 × e1 is a
        reflection (det R = -1)
            torch.linalg.cross(e1, e2, dim=-1) => torch.linalg.cross(e2, e1, dim=-1)
        """),
    ),
]
