"""Exercises of ``reference/triangle_multiplication.py`` (lesson 3). The shared body
(``TriangleMultiplication.forward``) is graded with the outgoing update; the
incoming update is graded for its own ``_combine``."""

from ..cases import Case, Edit, Exercise
from ..inputs import pair
from .msa_attention import HIDDEN, SIZES

INIT = dict(c_z="c_z", c="c")
CASES = [
    Case("one pair", lambda d: ((pair(d, False), d.pair_mask("pair mask")), {})),
    Case("batched; padding", lambda d: ((pair(d), d.pair_mask("pair mask", "B")), {})),
]
OUTGOING, INCOMING = "...ikc,...jkc->...ijc", "...kic,...kjc->...ijc"
EXERCISES = [
    Exercise(
        "triangle_multiplication.TriangleMultiplicationOutgoing",
        lesson=3,
        points=2,
        sizes=SIZES,
        hidden=HIDDEN,
        init=INIT,
        cases=CASES,
        owns=("TriangleMultiplication.forward",),
        mistakes=[
            Edit(
                "layer-normalise z first (SI Alg. 11, line 1)",
                "z = self.layer_norm_in(z)",
                "z = z",
            ),
            Edit(
                "a and b are zero on masked edges: multiply them by the pair mask",
                ("a = pair_mask * ", "b = pair_mask * "),
                ("a = ", "b = "),
            ),
            Edit(
                "the projections are gated through a sigmoid",
                "torch.sigmoid(self.linear_a_g(z))",
                "self.linear_a_g(z)",
            ),
            Edit(
                "layer-normalise the combined edges before linear_z (SI Alg. 11, line 5)",
                "self.layer_norm_out(self._combine(a, b))",
                "self._combine(a, b)",
            ),
            Edit("the output is gated: g * Linear(...)", "o = g * ", "o = "),
            Edit(
                "outgoing edges: sum over k of a_ik * b_jk",
                OUTGOING,
                INCOMING,
            ),
            Edit(
                "the result is indexed (i, j): '...ijc'", "jkc->...ijc", "jkc->...jic"
            ),
        ],
    ),
    Exercise(
        "triangle_multiplication.TriangleMultiplicationIncoming",
        lesson=3,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        init=INIT,
        cases=CASES,
        mistakes=[
            Edit("incoming edges: sum over k of a_ki * b_kj", INCOMING, OUTGOING),
            Edit(
                "the result is indexed (i, j): '...ijc'", "kjc->...ijc", "kjc->...jic"
            ),
        ],
    ),
]
