"""Exercises of ``reference/transition.py`` (lesson 3): one body for the MSA and the
pair transition (SI Alg. 9 and 15), checked on both."""

from ..cases import Case, edits
from ..inputs import msa, pair
from .msa_attention import row

EXERCISES = [
    row(
        "transition.Transition",
        points=2,
        init=dict(c="c_m", n=3),
        cases=[
            Case("an MSA (SI Alg. 9)", lambda d: ((msa(d)[0],), {})),
            Case("a pair (SI Alg. 15)", lambda d: ((pair(d),), {}), dict(c="c_z", n=2)),
        ],
        mistakes=edits(r"""
        layer-normalise first (SI Alg. 9, line 1)
            x = self.layer_norm(x) => x = x
        a ReLU between the two linear layers
            torch.relu(self.linear_1(x)) => self.linear_1(x)
        return the update only: the Evoformer block adds the residual
            x = self.linear_2( => x = x + self.linear_2(
        """),
    ),
]
