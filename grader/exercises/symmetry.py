"""Exercises of ``reference/symmetry.py`` (lesson 8): renaming symmetric atoms."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(Exercise, lesson=8)

# Asp, Glu, Phe, Tyr (each with a swappable pair) and Ala, Lys, Ser (none)
RESIDUES = torch.tensor([3, 6, 13, 18, 0, 11, 15])


def _renaming(d: Draw, noise: float):
    """True atoms; the prediction = the truth in a random naming per residue, moved
    as a whole and with noise, so that only distances can tell the namings apart."""
    from reference import residue_constants as rc
    from reference.geometry import quat_to_rot

    aatype = RESIDUES[d.randint("residues", len(RESIDUES), "B", "N_res")]
    exists = torch.as_tensor(rc.restype_atom14_mask, dtype=torch.float64)[aatype]
    # holes, and the last residue's atoms all missing
    mask = exists * d.mask("holes", "B", "N_res", 14, keep=0.9, pad=0)
    ambiguous = torch.as_tensor(rc.restype_atom14_is_ambiguous, dtype=torch.float64)
    ambiguous = ambiguous[aatype]
    partner = torch.as_tensor(rc.restype_atom14_ambiguous_partner)[aatype]
    true = d.randn("true", "B", "N_res", 14, 3, scale=4.0) * mask[..., None]
    alt = torch.gather(true, -2, partner[..., None].expand(*partner.shape, 3))
    swap = d.rand("swap", "B", "N_res") < 0.5
    pred = torch.where(swap[..., None, None], alt, true)
    R = quat_to_rot(d.randn("rotation", 4))
    pred = pred @ R.T + d.randn("shift", 3, scale=10.0)
    pred = pred + d.randn("noise", "B", "N_res", 14, 3, scale=noise)
    return (pred, true, alt, mask, ambiguous), {}


EXERCISES = [
    row(
        "symmetry.find_optimal_renaming",
        points=2,
        sizes=dict(B=2, N_res=5),
        hidden=dict(B=3, N_res=7),
        cases=[
            Case("the truth renamed and moved", partial(_renaming, noise=0.0)),
            Case("with noise", partial(_renaming, noise=0.3)),
        ],
        mistakes=edits(r"""
        rename where the alternative is *closer*: alt_error < error
            alt_is_better = (alt_error < error) => alt_is_better = (alt_error > error)
        the alternative's errors use the distances of the alternative truth
        (alt_true_positions)
            d_alt = distances(alt_true_positions) => d_alt = distances(true_positions)
        sum, for each residue i, over the partner residues j (the axis after i): the
        result is indexed by the residue whose naming is chosen
            error.sum((-3, -2, -1)), alt_error.sum((-3, -2, -1)) \
                => error.sum((-4, -2, -1)), alt_error.sum((-4, -2, -1))
        a tie keeps the file's naming (residues without a swappable pair, or a
        symmetric prediction): rename only where the alternative is strictly closer
            (alt_error < error) => (alt_error <= error)
        """),
    ),
]
