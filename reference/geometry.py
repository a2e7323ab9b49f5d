"""Rotations, quaternions and rigid transforms (SI §1.8.1, Algorithm 21).

A rigid transform ``T = (R, t)`` maps local coordinates ``x`` to global ones,
``T ∘ x = R x + t``. Rotations are ``[*, 3, 3]`` tensors; quaternions are
``[*, 4]`` tensors with the real part first, ``q = (a, b, c, d) = a + b i + c j + d k``.
Points are column vectors: ``R x`` rotates ``x``, and ``R1 R2`` applies ``R2`` first.
Everything here works for any leading batch shape ``*``, dtype and device.
"""

from __future__ import annotations

import dataclasses

import torch


def rot_vec_mul(R: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Rotates points: ``R x``.

    R: [*, 3, 3] rotations; x: [*, 3] points (the batch shapes broadcast).
    Returns [*, 3].
    """
    # Hint: (R x)_i = sum_j R_ij x_j for every batch element: torch.einsum, or
    # R @ x[..., None] (a column vector) and drop the last axis again.
    # y: [*, 3]
    ### BEGIN SOLUTION
    y = torch.einsum("...ij,...j->...i", R, x)
    ### END SOLUTION
    return y


def quat_to_rot(q: torch.Tensor) -> torch.Tensor:
    """The rotation matrix of a quaternion (the matrix of SI Alg. 23, line 3).

    q: [*, 4] quaternion, real part first; need not be normalised.
    Returns R: [*, 3, 3].
    """
    # Hint: normalise q first; R: [*, 3, 3] then follows from a, b, c, d:
    # R = [[a²+b²-c²-d², 2(bc-ad),    2(bd+ac)],
    #      [2(bc+ad),    a²-b²+c²-d², 2(cd-ab)],
    #      [2(bd-ac),    2(cd+ab),    a²-b²-c²+d²]]
    ### BEGIN SOLUTION
    a, b, c, d = torch.unbind(q / torch.linalg.norm(q, dim=-1, keepdim=True), dim=-1)
    rows = [
        [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
        [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
        [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d],
    ]
    # [*, 3, 3]
    R = torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)
    ### END SOLUTION
    return R


def rot_to_quat(R: torch.Tensor) -> torch.Tensor:
    """The unit quaternion of a rotation matrix, with a non-negative real part.

    R: [*, 3, 3] rotation. Returns q: [*, 4], real part first.
    q is the eigenvector of the largest eigenvalue of a symmetric 4x4 matrix K
    built from R (Bar-Itzhack's method, as in AF2). q and -q are the same
    rotation; we return the one with ``q[..., 0] >= 0``.
    """
    (xx, xy, xz), (yx, yy, yz), (zx, zy, zz) = (row.unbind(-1) for row in R.unbind(-2))
    K = [
        [xx + yy + zz, zy - yz, xz - zx, yx - xy],
        [zy - yz, xx - yy - zz, xy + yx, xz + zx],
        [xz - zx, xy + yx, yy - xx - zz, yz + zy],
        [yx - xy, xz + zx, yz + zy, zz - xx - yy],
    ]
    # [*, 4, 4]
    K = torch.stack([torch.stack(row, dim=-1) for row in K], dim=-2) / 3.0
    # eigh sorts the eigenvalues in ascending order: take the last eigenvector.
    q = torch.linalg.eigh(K)[1][..., -1]
    return torch.where(q[..., :1] < 0, -q, q)


def quat_multiply(q1: torch.Tensor, q2: torch.Tensor) -> torch.Tensor:
    """The Hamilton product ``q1 q2`` (apply q2 first, then q1).

    q1, q2: [*, 4] quaternions, real part first. Returns [*, 4].
    """
    # Hint: (a1 + v1)(a2 + v2) = a1 a2 - v1·v2 + a1 v2 + a2 v1 + v1 × v2
    # real: [*, 1] real part, vec: [*, 3] vector part
    ### BEGIN SOLUTION
    a1, v1 = q1[..., :1], q1[..., 1:]
    a2, v2 = q2[..., :1], q2[..., 1:]
    real = a1 * a2 - (v1 * v2).sum(dim=-1, keepdim=True)
    vec = a1 * v2 + a2 * v1 + torch.linalg.cross(v1, v2, dim=-1)
    ### END SOLUTION
    return torch.cat([real, vec], dim=-1)


def quat_multiply_by_vec(q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The product ``q (0, v)`` of a quaternion and a pure-vector quaternion.

    q: [*, 4] quaternion; v: [*, 3] the (b, c, d) of the pure quaternion.
    Returns [*, 4]. ``q + q (0, v) = q (1, v)`` is how AF2's ``QuatAffine.pre_compose``
    applies the backbone update (1, b, c, d); ``BackboneUpdate`` here composes the
    same rotation as matrices instead.
    """
    return quat_multiply(q, torch.cat([torch.zeros_like(v[..., :1]), v], dim=-1))


@dataclasses.dataclass(init=False, repr=False, eq=False)
class Rigid:
    """A batch of rigid transforms ``T = (R, t)``, ``T ∘ x = R x + t`` (SI §1.8.1).

    rot: [*, 3, 3] rotation matrices. trans: [*, 3] translations.
    ``shape`` is the batch shape ``*``. The maths is in the functions below the
    class (``rigid_apply``, ``rigid_compose``, ``rigid_invert``, ``rigid_to_4x4``);
    the methods call them. A dataclass, so that a ``Rigid`` can be saved, copied
    and compared field by field like a tuple of tensors.
    """

    rot: torch.Tensor
    trans: torch.Tensor

    def __init__(self, rot: torch.Tensor, trans: torch.Tensor):
        if rot.shape[-2:] != (3, 3) or trans.shape[-1] != 3:
            raise ValueError(
                f"expected rot [*, 3, 3] and trans [*, 3], got "
                f"{tuple(rot.shape)} and {tuple(trans.shape)}"
            )
        self.rot = rot
        self.trans = trans

    @classmethod
    def identity(cls, shape, dtype=None, device=None) -> Rigid:
        """Identity transforms of batch shape ``shape``."""
        shape = tuple(shape)
        rot = torch.eye(3, dtype=dtype, device=device).expand(*shape, 3, 3).clone()
        return cls(rot, torch.zeros(*shape, 3, dtype=dtype, device=device))

    @classmethod
    def from_tensor_4x4(cls, t: torch.Tensor) -> Rigid:
        """From homogeneous matrices t: [*, 4, 4] (R top-left, t in the last column)."""
        return cls(t[..., :3, :3], t[..., :3, 3])

    @staticmethod
    def cat(rigids: list[Rigid], dim: int) -> Rigid:
        """Concatenates transforms along batch dimension ``dim``."""
        dim = dim if dim >= 0 else dim + len(rigids[0].shape)
        return Rigid(
            torch.cat([r.rot for r in rigids], dim=dim),
            torch.cat([r.trans for r in rigids], dim=dim),
        )

    @property
    def shape(self) -> torch.Size:
        """The batch shape ``*``."""
        return self.trans.shape[:-1]

    def to_tensor_4x4(self) -> torch.Tensor:
        """Homogeneous matrices [*, 4, 4] (``rigid_to_4x4``)."""
        return rigid_to_4x4(self)

    def compose(self, other: Rigid) -> Rigid:
        """``self ∘ other``: apply ``other`` first (``rigid_compose``)."""
        return rigid_compose(self, other)

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """``T ∘ x = R x + t`` (``rigid_apply``). x: [*, 3]. Returns [*, 3]."""
        return rigid_apply(self, x)

    def invert(self) -> Rigid:
        """``T⁻¹ = (Rᵀ, -Rᵀ t)`` (``rigid_invert``)."""
        return rigid_invert(self)

    def invert_apply(self, x: torch.Tensor) -> torch.Tensor:
        """``T⁻¹ ∘ x = Rᵀ (x - t)``. x: [*, 3]. Returns [*, 3]."""
        return torch.einsum("...ji,...j->...i", self.rot, x - self.trans)

    def __getitem__(self, index) -> Rigid:
        """Indexes the batch dimensions only, e.g. ``T[..., 0]``, ``T[:, None]``."""
        index = index if isinstance(index, tuple) else (index,)
        return Rigid(
            self.rot[index + (slice(None), slice(None))],
            self.trans[index + (slice(None),)],
        )

    def unsqueeze(self, dim: int) -> Rigid:
        """Inserts a batch dimension of size 1 at ``dim`` (negative: from the end)."""
        if dim >= 0:
            return Rigid(self.rot.unsqueeze(dim), self.trans.unsqueeze(dim))
        return Rigid(self.rot.unsqueeze(dim - 2), self.trans.unsqueeze(dim - 1))

    def scale_translation(self, factor: float) -> Rigid:
        """Same rotation, translation multiplied by ``factor`` (e.g. nm <-> Å)."""
        return Rigid(self.rot, self.trans * factor)

    def stop_rot_gradient(self) -> Rigid:
        """Same transform with the rotation detached from the autograd graph."""
        return Rigid(self.rot.detach(), self.trans)

    def __eq__(self, other) -> bool:
        """The same transforms exactly: equal shapes, dtypes and every value."""
        return (
            isinstance(other, Rigid)
            and torch.equal(self.rot, other.rot)
            and torch.equal(self.trans, other.trans)
        )

    def __repr__(self) -> str:
        dtype = str(self.trans.dtype).replace("torch.", "")
        return f"Rigid(shape={list(self.shape)}, {dtype})"


def rigid_apply(T: Rigid, x: torch.Tensor) -> torch.Tensor:
    """``T ∘ x = R x + t``: local coordinates x to global ones.

    T: Rigid [*]; x: [*, 3] points (the batch shapes broadcast). Returns [*, 3].
    """
    # Hint: rot_vec_mul rotates. y: [*, 3]
    ### BEGIN SOLUTION
    y = rot_vec_mul(T.rot, x) + T.trans
    ### END SOLUTION
    return y


def rigid_compose(T1: Rigid, T2: Rigid) -> Rigid:
    """``T1 ∘ T2``: apply T2 first, then T1. The batch shapes broadcast.

    T1, T2: Rigid [*]. Returns Rigid [*].
    """
    # Hint: (T1 ∘ T2) ∘ x = R1 (R2 x + t2) + t1 = (R1 R2) x + (R1 t2 + t1)
    # rot: [*, 3, 3], trans: [*, 3]
    ### BEGIN SOLUTION
    rot = T1.rot @ T2.rot
    trans = rot_vec_mul(T1.rot, T2.trans) + T1.trans
    ### END SOLUTION
    return Rigid(rot, trans)


def rigid_invert(T: Rigid) -> Rigid:
    """``T⁻¹``, the transform that undoes T: ``T⁻¹ ∘ T = T ∘ T⁻¹ = id``.

    T: Rigid [*]. Returns Rigid [*].
    """
    # Hint: solve y = R x + t for x; a rotation's inverse is its transpose.
    # rot: [*, 3, 3], trans: [*, 3]
    ### BEGIN SOLUTION
    rot = T.rot.transpose(-1, -2)
    trans = -rot_vec_mul(rot, T.trans)
    ### END SOLUTION
    return Rigid(rot, trans)


def rigid_to_4x4(T: Rigid) -> torch.Tensor:
    """T as homogeneous matrices: ``[[R, t], [0, 0, 0, 1]]``, so that
    ``M [x; 1] = [R x + t; 1]`` and composing is a matrix product.

    T: Rigid [*]. Returns M: [*, 4, 4].
    """
    # Hint: torch.cat the blocks; a new tensor may be filled in place.
    # M: [*, 4, 4]
    ### BEGIN SOLUTION
    top = torch.cat([T.rot, T.trans[..., None]], dim=-1)
    bottom = torch.zeros_like(top[..., :1, :])
    bottom[..., 0, 3] = 1
    M = torch.cat([top, bottom], dim=-2)
    ### END SOLUTION
    return M


def rigid_from_3_points(
    x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor, eps: float = 1e-8
) -> Rigid:
    """SI Algorithm 21 "rigidFrom3Points".

    The frame with origin x2, x-axis towards x3 and x1 in the xy-plane (y > 0),
    by Gram-Schmidt. For a backbone frame: x1 = N, x2 = CA, x3 = C.
    x1, x2, x3: [*, 3] points. Returns a Rigid of shape [*].
    """
    # Differs from SI: adds eps = 1e-8 to the squared norm before the square root,
    # as the released AF2 code does.
    # SI Alg. 21, lines 1-2: v1 = x3 - x2, v2 = x1 - x2 ([*, 3])
    ### BEGIN SOLUTION
    v1 = x3 - x2
    v2 = x1 - x2
    ### END SOLUTION
    # SI Alg. 21, lines 3-5: e1 = v1 / |v1|, u2 = v2 - e1 (e1ᵀ v2), e2 = u2 / |u2|
    # Hint: |v| = sqrt(sum v² + eps) (see the note above)
    ### BEGIN SOLUTION
    e1 = v1 / torch.sqrt((v1 * v1).sum(dim=-1, keepdim=True) + eps)
    u2 = v2 - e1 * (e1 * v2).sum(dim=-1, keepdim=True)
    e2 = u2 / torch.sqrt((u2 * u2).sum(dim=-1, keepdim=True) + eps)
    ### END SOLUTION
    # SI Alg. 21, lines 6-7: e3 = e1 × e2, R = (e1, e2, e3) as columns, t = x2
    # R: [*, 3, 3]
    ### BEGIN SOLUTION
    e3 = torch.linalg.cross(e1, e2, dim=-1)
    R = torch.stack([e1, e2, e3], dim=-1)
    ### END SOLUTION
    return Rigid(R, x2)
