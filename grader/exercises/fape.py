"""Exercises of ``reference/fape.py`` (lesson 8): FAPE, backbone and full-atom."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(Exercise, lesson=8)


def frames(d: Draw, name: str, *dims, scale: float = 6.0) -> torch.Tensor:
    """Random rigid transforms [*dims, 4, 4] (rotations from random quaternions)."""
    from reference.geometry import Rigid, quat_to_rot

    rot = quat_to_rot(d.randn(f"{name} quaternion", *dims, 4))
    return Rigid(
        rot, d.randn(f"{name} translation", *dims, 3, scale=scale)
    ).to_tensor_4x4()


def moved(x4: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
    """Frames [*, 4, 4] after a global rigid motion [4, 4] (applied last)."""
    return motion @ x4


def points_moved(x: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
    return x @ motion[:3, :3].T + motion[:3, 3]


def _fape_random(d: Draw, **kwargs):
    pred_frames = d.gradient(frames(d, "pred frames", "B", "N_frames"), "pred_frames")
    pred_x = d.gradient(d.randn("pred x", "B", "N_points", 3, scale=8.0), "pred_x")
    return (
        pred_frames,
        frames(d, "true frames", "B", "N_frames"),
        d.mask("frames mask", "B", "N_frames"),
        pred_x,
        d.randn("true x", "B", "N_points", 3, scale=8.0),
        d.mask("points mask", "B", "N_points"),
    ), kwargs


def _fape_moved(d: Draw):
    """The truth is the prediction moved as a whole: FAPE sees no error (but eps)."""
    pred_frames = frames(d, "pred frames", "B", "N_frames")
    pred_x = d.randn("pred x", "B", "N_points", 3, scale=8.0)
    motion = frames(d, "motion", scale=20.0)
    true_frames, true_x = moved(pred_frames, motion), points_moved(pred_x, motion)
    # half of the points 3 Å off, so that the error is not zero everywhere
    true_x = true_x + 3.0 * (torch.arange(d.N_points) % 2)[:, None] / 3**0.5
    pred_frames = d.gradient(pred_frames, "pred_frames")
    pred_x = d.gradient(pred_x, "pred_x")
    return (
        pred_frames,
        true_frames,
        d.mask("frames mask", "B", "N_frames"),
        pred_x,
        true_x,
        d.mask("points mask", "B", "N_points"),
    ), {}


def _backbone(d: Draw, use_clamped: float):
    layers = d.gradient(frames(d, "layers", "N_layer", "N_res", scale=9.0), "frames")
    true = frames(d, "true", "N_res", scale=9.0)
    return (layers, true, d.mask("mask", "N_res"), use_clamped), {}


def _all_atom(d: Draw, **kwargs):
    pred_frames = d.gradient(frames(d, "pred frames", "B", "N_res", 8), "pred_frames")
    pred_x = d.gradient(d.randn("pred x", "B", "N_res", 14, 3, scale=8.0), "pred_x")
    return (
        pred_frames,
        pred_x,
        frames(d, "true frames", "B", "N_res", 8),
        d.mask("frames mask", "B", "N_res", 8),
        d.randn("true x", "B", "N_res", 14, 3, scale=8.0),
        d.mask("atoms mask", "B", "N_res", 14),
    ), kwargs


EXERCISES = [
    row(
        "fape.fape",
        points=3,
        sizes=dict(B=2, N_frames=5, N_points=7),
        hidden=dict(B=3, N_frames=6, N_points=9),
        cases=[
            Case("random structures, holes and padding", _fape_random),
            Case("the truth moved as a whole", _fape_moved),
            Case("unclamped, Z = 5", partial(_fape_random, d_clamp=None, Z=5.0)),
        ],
        mistakes=edits(r"""
        clamp each error at d_clamp (10 Å): min(d_clamp, d)
            d = torch.clamp(d, max=d_clamp) => d = d
        eps goes inside the square root, sqrt(|x_pred - x_true|² + eps): outside it
        shifts every error and the gradient is undefined where the points coincide
            torch.sqrt((x_pred - x_true).square().sum(-1) + eps) \
                => torch.sqrt((x_pred - x_true).square().sum(-1)) + eps
        express the points in each frame's local coordinates, T_i^-1 ∘ x_j
        (invert_apply), not T_i ∘ x_j
            T_pred.invert_apply( => T_pred.apply(
            T_true.invert_apply( => T_true.apply(
        FAPE compares local coordinates: without the frames it compares global
        positions, and a prediction moved as a whole looks wrong
            T_pred.invert_apply(pred_positions[..., None, :, :]) \
                => pred_positions[..., None, :, :] + 0 * T_pred.trans
            T_true.invert_apply(true_positions[..., None, :, :]) \
                => true_positions[..., None, :, :] + 0 * T_true.trans
        divide by the length scale Z (10 Å): FAPE is unitless
            (d / Z * pair_mask) => (d * pair_mask)
        average over the (frame, point) pairs that exist: count them with the masks
            count = frames_mask.sum(-1) * positions_mask.sum(-1) \
                => count = frames_mask.shape[-1] * positions_mask.shape[-1]
        """),
    ),
    row(
        "fape.backbone_fape",
        points=1,
        sizes=dict(N_layer=3, N_res=7),
        hidden=dict(N_layer=4, N_res=9),
        cases=[
            Case("clamped", partial(_backbone, use_clamped=1.0)),
            Case("unclamped", partial(_backbone, use_clamped=0.0)),
            Case("a mixture", partial(_backbone, use_clamped=0.75)),
        ],
        mistakes=edits(r"""
        average over every layer of the structure module, not the last one only
            loss = per_layer.mean(0) => loss = per_layer[-1]
        average over the layers (mean), not their sum
            loss = per_layer.mean(0) => loss = per_layer.sum(0)
        use_clamped weighs the clamped FAPE, 1 - use_clamped the unclamped one
            use_clamped * clamped + (1 - use_clamped) * unclamped \
                => use_clamped * unclamped + (1 - use_clamped) * clamped
        backbone FAPE scores the predicted Cα atoms (the predicted frames' origins)
            ca, true_ca = frames[..., :3, 3], true_frames[..., :3, 3] \
                => ca, true_ca = true_frames[..., :3, 3], true_frames[..., :3, 3]
        """),
    ),
    row(
        "fape.all_atom_fape",
        points=1,
        sizes=dict(B=2, N_res=5),
        hidden=dict(B=3, N_res=6),
        cases=[
            Case("random atoms, holes and padding", _all_atom),
            Case("unclamped", partial(_all_atom, d_clamp=None)),
        ],
        mistakes=edits(r"""
        all 8 rigid groups are frames of the full-atom FAPE, not only the backbone
            pred_frames.flatten(-4, -3) => pred_frames[..., :1, :, :].flatten(-4, -3)
            true_frames.flatten(-4, -3) => true_frames[..., :1, :, :].flatten(-4, -3)
            frames_mask.flatten(-2) => frames_mask[..., :1].flatten(-2)
        score only the true atoms that exist (positions_mask)
            positions_mask.flatten(-2), => torch.ones_like(positions_mask).flatten(-2),
        pass d_clamp on: the full-atom FAPE is clamped too
            d_clamp,\n        Z, => None,\n        Z,
        """),
    ),
]
