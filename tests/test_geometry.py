"""Geometry: property tests (hypothesis) and comparison with AF2's r3 / quat_affine."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.geometry import (
    Rigid,
    quat_multiply,
    quat_multiply_by_vec,
    quat_to_rot,
    rigid_from_3_points,
    rot_to_quat,
)

TOL = 1e-10  # float64 throughout the property tests


def _draw(seed: int, *shape: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def _rigid(seed: int, *shape: int) -> Rigid:
    return Rigid(quat_to_rot(_draw(seed, *shape, 4)), 5 * _draw(seed + 1, *shape, 3))


seeds = st.integers(0, 2**31 - 1)
batch = st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple)
prop = settings(max_examples=40, deadline=None, derandomize=True, database=None)


@prop
@given(seeds, batch)
def test_quat_to_rot_is_rotation(seed, shape):
    R = quat_to_rot(_draw(seed, *shape, 4))
    eye = torch.eye(3, dtype=R.dtype).expand_as(R)
    assert R.shape == (*shape, 3, 3)
    assert torch.allclose(R @ R.transpose(-1, -2), eye, atol=TOL)
    one = torch.ones(shape, dtype=R.dtype)
    assert torch.allclose(torch.linalg.det(R), one, atol=TOL)


@prop
@given(seeds, batch)
def test_quat_to_rot_normalises(seed, shape):
    q = _draw(seed, *shape, 4)
    assert torch.allclose(quat_to_rot(q), quat_to_rot(3.7 * q), atol=TOL)


@prop
@given(seeds, batch)
def test_quat_rot_round_trip(seed, shape):
    q = _draw(seed, *shape, 4)
    q = q / q.norm(dim=-1, keepdim=True)
    q2 = rot_to_quat(quat_to_rot(q))
    assert (q2[..., 0] >= 0).all()
    # q and -q are the same rotation
    assert torch.allclose(q2, torch.where(q[..., :1] < 0, -q, q), atol=1e-6)


@prop
@given(seeds, batch)
def test_quat_multiply_is_rotation_product(seed, shape):
    q1, q2 = _draw(seed, *shape, 4), _draw(seed + 1, *shape, 4)
    got = quat_to_rot(quat_multiply(q1, q2))
    assert torch.allclose(got, quat_to_rot(q1) @ quat_to_rot(q2), atol=TOL)


@prop
@given(seeds, batch)
def test_compose_matches_4x4_product(seed, shape):
    a, b = _rigid(seed, *shape), _rigid(seed + 2, *shape)
    got = a.compose(b).to_tensor_4x4()
    want = a.to_tensor_4x4() @ b.to_tensor_4x4()
    assert torch.allclose(got, want, atol=TOL)


@prop
@given(seeds, batch)
def test_compose_apply_associative(seed, shape):
    a, b = _rigid(seed, *shape), _rigid(seed + 2, *shape)
    x = _draw(seed + 4, *shape, 3)
    assert torch.allclose(a.compose(b).apply(x), a.apply(b.apply(x)), atol=TOL)


@prop
@given(seeds, batch)
def test_invert(seed, shape):
    T = _rigid(seed, *shape)
    x = _draw(seed + 4, *shape, 3)
    ident = T.compose(T.invert()).to_tensor_4x4()
    eye = torch.eye(4, dtype=x.dtype).expand(*shape, 4, 4)
    assert torch.allclose(ident, eye, atol=TOL)
    assert torch.allclose(T.invert_apply(T.apply(x)), x, atol=TOL)
    assert torch.allclose(T.apply(T.invert_apply(x)), x, atol=TOL)
    assert torch.allclose(T.invert().apply(x), T.invert_apply(x), atol=TOL)


@prop
@given(seeds, batch)
def test_4x4_round_trip(seed, shape):
    T = _rigid(seed, *shape)
    M = T.to_tensor_4x4()
    assert M.shape == (*shape, 4, 4)
    last_row = torch.tensor([0, 0, 0, 1.0], dtype=M.dtype).expand(*shape, 4)
    assert torch.equal(M[..., 3, :], last_row)
    T2 = Rigid.from_tensor_4x4(M)
    assert torch.equal(T2.rot, T.rot) and torch.equal(T2.trans, T.trans)


@prop
@given(seeds, batch)
def test_rigid_from_3_points_frame(seed, shape):
    x1, x2, x3 = (_draw(seed + i, *shape, 3) for i in range(3))
    T = rigid_from_3_points(x1, x2, x3)
    R = T.rot
    eye = torch.eye(3, dtype=R.dtype).expand_as(R)
    assert torch.allclose(R @ R.transpose(-1, -2), eye, atol=1e-6)
    one = torch.ones(shape, dtype=R.dtype)
    assert torch.allclose(torch.linalg.det(R), one, atol=1e-6)
    assert torch.equal(T.trans, x2)
    local3, local1 = T.invert_apply(x3), T.invert_apply(x1)
    # x3 on the positive x-axis, x1 in the xy-plane with y > 0
    assert torch.allclose(local3[..., 1:], torch.zeros_like(local3[..., 1:]), atol=1e-6)
    assert (local3[..., 0] > 0).all() and (local1[..., 1] > 0).all()
    assert torch.allclose(local1[..., 2], torch.zeros_like(local1[..., 2]), atol=1e-6)


def test_identity_indexing_unsqueeze():
    T = Rigid.identity((2, 5), dtype=torch.float64)
    x = _draw(0, 2, 5, 3)
    assert T.shape == (2, 5) and T.rot.dtype == torch.float64
    assert torch.equal(T.apply(x), x)
    assert T[..., 1].shape == (2,) and T[0].shape == (5,)
    assert T[:, None].shape == (2, 1, 5)
    assert T.unsqueeze(-1).shape == (2, 5, 1) and T.unsqueeze(0).shape == (1, 2, 5)
    assert T.unsqueeze(-2).shape == (2, 1, 5)
    # broadcasting: frames [2, 5, 1] applied to points [2, 5, 7, 3]
    R = _rigid(3, 2, 5)
    pts = _draw(4, 2, 5, 7, 3)
    got = R.unsqueeze(-1).apply(pts)
    assert torch.allclose(got[:, :, 6], R.apply(pts[:, :, 6]), atol=TOL)
    assert Rigid.cat([R, T], dim=-1).shape == (2, 10)


def test_scale_translation_and_stop_rot_gradient():
    q = _draw(0, 5, 4).requires_grad_()
    t = _draw(1, 5, 3).requires_grad_()
    T = Rigid(quat_to_rot(q), t)
    S = T.scale_translation(10.0).stop_rot_gradient()
    assert torch.equal(S.trans, 10 * t) and torch.equal(S.rot, T.rot)
    assert not S.rot.requires_grad and S.trans.requires_grad
    S.apply(_draw(2, 5, 3)).sum().backward()
    assert q.grad is None and t.grad is not None


def test_quat_multiply_by_vec():
    q, v = _draw(0, 5, 4), _draw(1, 5, 3)
    pure = torch.cat([torch.zeros(5, 1, dtype=v.dtype), v], dim=-1)
    assert torch.allclose(quat_multiply_by_vec(q, v), quat_multiply(q, pure), atol=TOL)


def test_float32_and_dtype_preserved():
    q = torch.randn(3, 4)
    T = Rigid(quat_to_rot(q), torch.randn(3, 3))
    assert T.compose(T.invert()).rot.dtype == torch.float32
    assert rot_to_quat(T.rot).dtype == torch.float32


# --- comparison with DeepMind's code (the installed alphafold package) ---------
@pytest.fixture(scope="module")
def af2():
    pytest.importorskip("alphafold.model.r3", reason="pip install -e '.[crosscheck]'")
    from alphafold.model import quat_affine, r3

    return quat_affine, r3


def test_quaternion_ops_match_af2(af2):
    quat_affine, _ = af2
    q1, q2, v = np.random.default_rng(0).normal(size=(3, 7, 4)).astype(np.float32)
    v = v[:, :3]
    qn = q1 / np.linalg.norm(q1, axis=-1, keepdims=True)
    want_rot = np.stack([np.stack(r, -1) for r in quat_affine.quat_to_rot(qn)], -2)
    assert np.abs(quat_to_rot(torch.tensor(q1)).numpy() - want_rot).max() < 1e-6
    want = np.asarray(quat_affine.quat_multiply(q1, q2))
    got = quat_multiply(torch.tensor(q1), torch.tensor(q2)).numpy()
    assert np.abs(got - want).max() < 1e-6
    want = np.asarray(quat_affine.quat_multiply_by_vec(q1, v))
    got = quat_multiply_by_vec(torch.tensor(q1), torch.tensor(v)).numpy()
    assert np.abs(got - want).max() < 1e-6
    want = np.asarray(quat_affine.rot_to_quat(want_rot, unstack_inputs=True))
    want = want * np.sign(want[:, :1])
    assert np.abs(rot_to_quat(torch.tensor(want_rot)).numpy() - want).max() < 1e-5


def test_rigid_from_3_points_matches_af2(af2):
    quat_affine, r3 = af2
    x1, x2, x3 = np.random.default_rng(1).normal(size=(3, 11, 3)).astype(np.float32)
    ours = rigid_from_3_points(*(torch.tensor(x) for x in (x1, x2, x3)))
    # AF2's r3.rigids_from_3_points(point_on_neg_x_axis, origin, point_on_xy_plane)
    # takes a point on the *negative* x-axis; 2 x2 - x3 is one.
    v = r3.vecs_from_tensor
    want = r3.rigids_from_3_points(v(2 * x2 - x3), v(x2), v(x1))
    want_rot = np.stack([np.asarray(c) for c in want.rot], -1).reshape(11, 3, 3)
    assert np.abs(ours.rot.numpy() - want_rot).max() < 1e-5
    assert np.abs(ours.trans.numpy() - x2).max() == 0
    # quat_affine's backbone frame (N, CA, C) is the same frame, built by rotations
    rot, trans = quat_affine.make_transform_from_reference(x1, x2, x3)
    assert np.abs(ours.rot.numpy() - np.asarray(rot)).max() < 1e-5
