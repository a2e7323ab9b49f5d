"""lDDT: the local distance difference test (Mariani et al., 2013), as AF2 computes it.

lDDT asks, for every pair of atoms closer than 15 Å in the *true* structure, whether
the predicted structure keeps their distance within 0.5, 1, 2 and 4 Å, and averages.
It needs no superposition, it is local (a misplaced domain spoils only the pairs
near its interface) and it lies in [0, 1]. On Cα atoms it is lDDT-Cα, the quantity
the pLDDT head learns to predict (SI §1.9.6). Like AF2's, this version leaves out
the stereochemistry checks of the original score.
"""

from __future__ import annotations

import torch


def lddt(
    pred_points: torch.Tensor,
    true_points: torch.Tensor,
    mask: torch.Tensor,
    cutoff: float = 15.0,
    per_residue: bool = True,
) -> torch.Tensor:
    """lDDT of a predicted structure against the true one (SI §1.9.6).

    Args:
        pred_points, true_points: [*, N_res, 3] one atom per residue (e.g. Cα), Å.
        mask: [*, N_res] 1 = the true atom exists.
        cutoff: the inclusion radius (Å), applied to the *true* distances.
        per_residue: one score per residue ([*, N_res]) or one for all ([*]).

    Returns:
        lDDT in [0, 1], [*, N_res] or [*].
    """
    # The distance matrices. Hint: AF2 writes |x| as sqrt(1e-10 + sum x²).
    # d_true, d_pred: [*, N_res, N_res]
    ### BEGIN SOLUTION
    d_true = torch.sqrt(
        1e-10
        + (true_points[..., :, None, :] - true_points[..., None, :, :]).square().sum(-1)
    )
    d_pred = torch.sqrt(
        1e-10
        + (pred_points[..., :, None, :] - pred_points[..., None, :, :]).square().sum(-1)
    )
    ### END SOLUTION

    # The pairs scored: closer than the cutoff in the true structure, both atoms
    # present, i != j. scored: [*, N_res, N_res]
    ### BEGIN SOLUTION
    n = mask.shape[-1]
    not_self = 1 - torch.eye(n, dtype=mask.dtype, device=mask.device)
    scored = (d_true < cutoff).to(mask.dtype) * mask[..., :, None] * mask[..., None, :]
    scored = scored * not_self
    ### END SOLUTION

    # The score of a pair: the fraction of the thresholds 0.5, 1, 2, 4 Å that its
    # distance error stays under. score: [*, N_res, N_res]
    ### BEGIN SOLUTION
    error = (d_true - d_pred).abs()
    score = sum((error < t).to(mask.dtype) for t in (0.5, 1.0, 2.0, 4.0)) / 4
    ### END SOLUTION

    # The mean over the scored pairs of each residue (or of all). AF2 adds 1e-10 to
    # both sums. result: [*, N_res] or [*]
    ### BEGIN SOLUTION
    dims = (-1,) if per_residue else (-2, -1)
    result = (1e-10 + (scored * score).sum(dims)) / (1e-10 + scored.sum(dims))
    ### END SOLUTION
    return result
