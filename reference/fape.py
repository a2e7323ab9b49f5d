"""Frame aligned point error, the main loss of AlphaFold2 (SI §1.9.2).

FAPE looks at the predicted structure from the frame of every residue (or rigid
group) in turn and asks how far each atom is from where the true structure, seen from
the corresponding true frame, puts it. Each error is clamped at ``d_clamp`` = 10 Å,
so a wrong domain placement costs a bounded amount, and divided by ``Z`` = 10 Å, so
the loss is unitless. The frames carry handedness: a mirror image of the truth seen
from mirrored frames is not the truth, so unlike RMSD after superposition FAPE is
not invariant to reflections, and the model learns the right chirality.
"""

from __future__ import annotations

import torch

from .geometry import Rigid


def fape(
    pred_frames: torch.Tensor,
    true_frames: torch.Tensor,
    frames_mask: torch.Tensor,
    pred_positions: torch.Tensor,
    true_positions: torch.Tensor,
    positions_mask: torch.Tensor,
    d_clamp: float | None = 10.0,
    Z: float = 10.0,
    eps: float = 1e-4,
) -> torch.Tensor:
    """SI Algorithm 28 "computeFAPE".

    Args:
        pred_frames, true_frames: [*, N_frames, 4, 4] predicted and true frames
            (homogeneous matrices, Å).
        frames_mask: [*, N_frames] 1 = the true frame exists.
        pred_positions, true_positions: [*, N_points, 3] atom positions (Å).
        positions_mask: [*, N_points] 1 = the true atom exists.
        d_clamp: errors above it count as d_clamp (Å); ``None``: no clamp.
        Z: length scale (Å).
        eps: inside the square root (Å²), and in the mean's denominator.

    Returns:
        [*] the mean clamped error over every (frame, point) pair that exists, / Z.
    """
    # Rigid [*, N_frames, 1]: one frame per row of the (frame, point) table
    T_pred = Rigid.from_tensor_4x4(pred_frames).unsqueeze(-1)
    T_true = Rigid.from_tensor_4x4(true_frames).unsqueeze(-1)
    # SI Alg. 28, line 1: every point in every frame's local coordinates,
    # x_ij = T_i^-1 ∘ x_j, for the prediction and for the truth.
    # Hint: Rigid.invert_apply; positions[..., None, :, :] broadcasts the points
    # against the frames. x_pred, x_true: [*, N_frames, N_points, 3]
    ### BEGIN SOLUTION
    x_pred = T_pred.invert_apply(pred_positions[..., None, :, :])
    x_true = T_true.invert_apply(true_positions[..., None, :, :])
    ### END SOLUTION

    # SI Alg. 28, line 2: d_ij = sqrt(|x_pred - x_true|² + eps). The eps inside the
    # root keeps the gradient finite where the two points coincide.
    # d: [*, N_frames, N_points]
    ### BEGIN SOLUTION
    d = torch.sqrt((x_pred - x_true).square().sum(-1) + eps)
    ### END SOLUTION

    # SI Alg. 28, line 3: the mean of min(d_clamp, d) / Z over the pairs that exist.
    # Hint: AF2 divides the masked sum by eps + (frames that exist) * (points that
    # exist), the sums of the two masks.
    # loss: [*]
    ### BEGIN SOLUTION
    if d_clamp is not None:
        d = torch.clamp(d, max=d_clamp)
    pair_mask = frames_mask[..., :, None] * positions_mask[..., None, :]
    count = frames_mask.sum(-1) * positions_mask.sum(-1)
    loss = (d / Z * pair_mask).sum((-2, -1)) / (eps + count)
    ### END SOLUTION
    return loss


def backbone_fape(
    frames: torch.Tensor,
    true_frames: torch.Tensor,
    backbone_mask: torch.Tensor,
    use_clamped: float = 1.0,
    d_clamp: float = 10.0,
    Z: float = 10.0,
) -> torch.Tensor:
    """The backbone FAPE of every structure-module layer, averaged over the layers.

    SI Alg. 20, line 17 (the auxiliary loss) and §1.11.5: in 90% of the training
    batches the error is clamped at ``d_clamp``; in the others it is not.

    Args:
        frames: [N_layer, *, N_res, 4, 4] the backbone frames of every layer (Å).
        true_frames: [*, N_res, 4, 4] the true backbone frames.
        backbone_mask: [*, N_res] 1 = the true frame exists.
        use_clamped: 1 = clamped FAPE, 0 = unclamped (or a mixture in between).

    Returns:
        [*] the layer-averaged backbone FAPE.
    """
    # Backbone FAPE compares the frames' own origins, the Cα atoms (SI Alg. 20, line
    # 17: x_i = t_i, the last column of each 4x4 frame). Hint: fape(..., d_clamp=None)
    # is unclamped. per_layer: [N_layer, *]
    ### BEGIN SOLUTION
    ca, true_ca = frames[..., :3, 3], true_frames[..., :3, 3]
    args = (frames, true_frames, backbone_mask, ca, true_ca, backbone_mask)
    clamped = fape(*args, d_clamp=d_clamp, Z=Z)
    unclamped = fape(*args, d_clamp=None, Z=Z)
    per_layer = use_clamped * clamped + (1 - use_clamped) * unclamped
    ### END SOLUTION

    # The mean over the layers. loss: [*]
    ### BEGIN SOLUTION
    loss = per_layer.mean(0)
    ### END SOLUTION
    return loss


def all_atom_fape(
    pred_frames: torch.Tensor,
    pred_positions: torch.Tensor,
    true_frames: torch.Tensor,
    frames_mask: torch.Tensor,
    true_positions: torch.Tensor,
    positions_mask: torch.Tensor,
    d_clamp: float = 10.0,
    Z: float = 10.0,
) -> torch.Tensor:
    """The full-atom FAPE of the final structure: every atom in every rigid group.

    SI §1.9.2, the L_FAPE of SI Alg. 20: on the last layer only, all 8 rigid-group
    frames of all residues against all atoms of all residues.

    Args:
        pred_frames: [*, N_res, 8, 4, 4] the predicted rigid-group frames.
        pred_positions: [*, N_res, 14, 3] the predicted atoms (atom14 layout).
        true_frames: [*, N_res, 8, 4, 4] the true frames (renamed, Alg. 26).
        frames_mask: [*, N_res, 8] 1 = the true frame exists.
        true_positions: [*, N_res, 14, 3] the true atoms (after renaming).
        positions_mask: [*, N_res, 14] 1 = the true atom exists.

    Returns:
        [*] the full-atom FAPE.
    """

    # Every frame sees every atom: flatten residues and groups into N_res * 8 frames
    # [*, N_res * 8, 4, 4], residues and atoms into N_res * 14 points [*, N_res * 14,
    # 3] (and their masks), then call fape. loss: [*]
    ### BEGIN SOLUTION
    loss = fape(
        pred_frames.flatten(-4, -3),
        true_frames.flatten(-4, -3),
        frames_mask.flatten(-2),
        pred_positions.flatten(-3, -2),
        true_positions.flatten(-3, -2),
        positions_mask.flatten(-2),
        d_clamp,
        Z,
    )
    ### END SOLUTION
    return loss
