"""The torsion-angle loss: the structure module's angles, supervised directly.

The structure module predicts each torsion angle as an unnormalised 2D vector and
divides it by its length (SI Alg. 20, line 14). The loss compares the unit vector
with the true (sin, cos); for a chi angle of a symmetric side chain (Asp χ2, Glu χ3,
Phe χ2, Tyr χ2) the angle plus π describes the same structure, so the smaller of the
two errors counts. A small second term keeps the unnormalised vectors near length 1,
so that the normalisation stays well conditioned (SI §1.9.1).
"""

from __future__ import annotations

import torch


def torsion_angle_loss(
    alpha: torch.Tensor,
    alpha_unnormalized: torch.Tensor,
    alpha_true: torch.Tensor,
    alpha_alt: torch.Tensor,
    torsion_mask: torch.Tensor,
    seq_mask: torch.Tensor,
) -> torch.Tensor:
    """SI Algorithm 27 "torsionAngleLoss", averaged over every leading dimension.

    Args:
        alpha: [*, N_res, 7, 2] predicted (sin, cos), unit vectors; ``*`` may hold
            the structure module's layers, which are averaged over too.
        alpha_unnormalized: [*, N_res, 7, 2] the same before normalisation.
        alpha_true, alpha_alt: [..., N_res, 7, 2] the true angles, and the true angles
            plus π where the chi is π-periodic (broadcast against alpha).
        torsion_mask: [..., N_res, 7] 1 = the torsion is supervised.
        seq_mask: [..., N_res] 1 = real residue (for the norm penalty).

    Returns:
        [] L_torsion + 0.02 L_anglenorm.
    """
    # SI Alg. 27, line 3: per torsion, the squared distance of the unit vector to the
    # true angle or to the alternative, whichever is smaller; then the masked mean.
    # Hint: mask.expand_as(error).sum() counts the supervised torsions of all layers.
    # AF2 adds 1e-10 to that count. l_torsion: []
    # YOUR CODE HERE
    raise NotImplementedError()

    # SI Alg. 27, lines 1 and 4: the mean of |l - 1| over all 7 torsions of the real
    # residues, where l = sqrt(|alpha_unnormalized|² + 1e-6) (AF2's epsilon).
    # l_anglenorm: []
    # YOUR CODE HERE
    raise NotImplementedError()
    return l_torsion + 0.02 * l_anglenorm
