"""Exercises of ``reference/torsion_loss.py`` (lesson 8)."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(Exercise, lesson=8)


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True)


def _angles(d: Draw, layers: bool):
    """Predicted angles (with layers) near the truth or near its π-shifted twin."""
    lead = ("N_layer",) if layers else ()
    true = _unit(d.randn("true", "B", "N_res", 7, 2))
    periodic = (d.rand("periodic", "B", "N_res", 7) < 0.4).double()
    alt = true * (1 - 2 * periodic)[..., None]
    near = torch.where(d.rand("near alt", "B", "N_res", 7)[..., None] < 0.5, alt, true)
    unnormalized = (near + 0.6 * d.randn("noise", *lead, "B", "N_res", 7, 2)) * (
        0.5 + d.rand("length", *lead, "B", "N_res", 7, 1)
    )
    alpha = d.gradient(_unit(unnormalized), "alpha")
    unnormalized = d.gradient(unnormalized, "unnormalized")
    mask = d.mask("torsion mask", "B", "N_res", 7)
    seq_mask = d.seq_mask("seq", "B")
    seq_mask[-1] = 0  # an example without residues
    return (alpha, unnormalized, true, alt, mask, seq_mask), {}


EXERCISES = [
    row(
        "torsion_loss.torsion_angle_loss",
        points=2,
        sizes=dict(B=2, N_res=5, N_layer=3),
        hidden=dict(B=3, N_res=6, N_layer=4),
        cases=[
            Case("one layer", partial(_angles, layers=False)),
            Case("every layer", partial(_angles, layers=True)),
        ],
        mistakes=edits(r"""
        a π-periodic chi may match the true angle or the alternative (alpha_alt):
        take the smaller of the two errors
            error = torch.minimum(\n        (alpha - alpha_true).square().sum(-1), \
                (alpha - alpha_alt).square().sum(-1)\n    ) \
                => error = (alpha - alpha_true).square().sum(-1)
        the torsion term compares the unit vectors (alpha), not the unnormalised ones
            (alpha - alpha_true) => (alpha_unnormalized - alpha_true)
            (alpha - alpha_alt) => (alpha_unnormalized - alpha_alt)
        the norm penalty measures the *unnormalised* vectors (unit vectors have
        length 1 by construction)
            torch.sqrt(alpha_unnormalized.square().sum(-1) + 1e-6) \
                => torch.sqrt(alpha.square().sum(-1) + 1e-6)
        the norm penalty is |l - 1|, not (l - 1)²
            ((length - 1).abs() * norm_mask) => ((length - 1).square() * norm_mask)
        average the torsion errors over the supervised torsions only (the mask's sum,
        over every layer)
            count = torsion_mask.expand_as(error).sum() => count = error.numel()
        """),
    ),
]
