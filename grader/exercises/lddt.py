"""Exercises of ``reference/lddt.py`` (lesson 8)."""

from functools import partial

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(Exercise, lesson=8)


def _structures(d: Draw, **kwargs):
    """A compact random chain (distances around the 15 Å cutoff) and a prediction
    with errors of all sizes around the 0.5-4 Å thresholds."""
    true = d.randn("true", "B", "N_res", 3, scale=7.0)
    error = d.randn("error", "B", "N_res", 3) * d.rand("size", "B", "N_res", 1) * 4.0
    pred = true + error
    return (pred, true, d.mask("mask", "B", "N_res")), kwargs


EXERCISES = [
    row(
        "lddt.lddt",
        points=2,
        sizes=dict(B=2, N_res=11),
        hidden=dict(B=3, N_res=13),
        cases=[
            Case("per residue", _structures),
            Case("whole chain", partial(_structures, per_residue=False)),
            Case("cutoff 10 Å", partial(_structures, cutoff=10.0)),
        ],
        mistakes=edits(r"""
        the inclusion radius applies to the *true* distances (d_true < cutoff), so a
        prediction cannot choose which pairs are scored
            (d_true < cutoff) => (d_pred < cutoff)
        use the cutoff argument (15 Å by default) as the inclusion radius
            (d_true < cutoff) => (d_true < 15.0)
        a residue's distance to itself is not scored (i != j)
            scored = scored * not_self => scored = scored
        the thresholds are 0.5, 1, 2 and 4 Å
            for t in (0.5, 1.0, 2.0, 4.0) => for t in (1.0, 2.0, 4.0, 8.0)
        only pairs of atoms that exist in the truth are scored (mask)
            * mask[..., :, None] * mask[..., None, :] =>
        """),
    ),
]
