"""Exercises of ``reference/triangle_multiplication.py`` (lesson 3). The shared body
(``TriangleMultiplication.forward``) is graded with the outgoing update; the
incoming update is graded for its own ``_combine``."""

from functools import partial

from ..cases import Case, Exercise, edits
from ..inputs import pair
from .msa_attention import HIDDEN, SIZES

row = partial(
    Exercise,
    lesson=3,
    sizes=SIZES,
    hidden=HIDDEN,
    init=dict(c_z="c_z", c="c"),
    cases=[
        Case("one pair", lambda d: ((pair(d, False), d.pair_mask("pair mask")), {})),
        Case(
            "batched; padding", lambda d: ((pair(d), d.pair_mask("pair mask", "B")), {})
        ),
    ],
)
EXERCISES = [
    row(
        "triangle_multiplication.TriangleMultiplicationOutgoing",
        points=2,
        owns=("TriangleMultiplication.forward",),
        mistakes=edits(r"""
        layer-normalise z first (SI Alg. 11, line 1)
            z = self.layer_norm_in(z) => z = z
        a and b are zero on masked edges: multiply them by the pair mask
            a = pair_mask * => a =
            b = pair_mask * => b =
        the projections are gated through a sigmoid
            torch.sigmoid(self.linear_a_g(z)) => self.linear_a_g(z)
        layer-normalise the combined edges before linear_z (SI Alg. 11, line 5)
            self.layer_norm_out(self._combine(a, b)) => self._combine(a, b)
        the output is gated: g * Linear(...)
            o = g * => o =
        outgoing edges: sum over k of a_ik * b_jk
            ...ikc,...jkc->...ijc => ...kic,...kjc->...ijc
        the result is indexed (i, j): '...ijc'
            jkc->...ijc => jkc->...jic
        """),
    ),
    row(
        "triangle_multiplication.TriangleMultiplicationIncoming",
        points=1,
        mistakes=edits(r"""
        incoming edges: sum over k of a_ki * b_kj
            ...kic,...kjc->...ijc => ...ikc,...jkc->...ijc
        the result is indexed (i, j): '...ijc'
            kjc->...ijc => kjc->...jic
        """),
    ),
]
