"""Exercises of ``reference/triangle_attention.py`` (lesson 3). The ending-node module
is graded for its own transpositions; the attention it inherits is the starting
node's exercise."""

from ..cases import Case, Edit, Exercise
from ..inputs import pair
from .attention import ATOL, RTOL
from .msa_attention import HIDDEN, SIZES

INIT = dict(c_z="c_z", c="c", N_head="N_head")
CASES = [
    Case("one pair", lambda d: ((pair(d, False), d.pair_mask("pair mask")), {})),
    Case("batched; padding", lambda d: ((pair(d), d.pair_mask("pair mask", "B")), {})),
]
EXERCISES = [
    Exercise(
        "triangle_attention.TriangleAttentionStartingNode",
        lesson=3,
        points=2,
        sizes=SIZES,
        hidden=HIDDEN,
        init=INIT,
        cases=CASES,
        atol=ATOL,
        rtol=RTOL,
        mistakes=[
            Edit(
                "layer-normalise z first (SI Alg. 13, line 1)",
                "z = self.layer_norm(z)",
                "z = z",
            ),
            Edit(
                "the triangle bias of head h for (i, j) and (i, k) is b_jk^h: it is "
                "transposed",
                ".movedim(-1, -3).unsqueeze(-4)",
                ".movedim(-1, -3).transpose(-1, -2).unsqueeze(-4)",
            ),
            Edit(
                "masked edges are masked as *keys* (the last axis), not as queries",
                "[..., None, None, :]",
                "[..., None, :, None]",
            ),
            Edit(
                "mask with mask_bias (-1e9), not -inf: a padded row gives NaN",
                "mask_bias(pair_mask.to(z.dtype))",
                "torch.where(pair_mask > 0, 0.0, -torch.inf)",
            ),
        ],
    ),
    Exercise(
        "triangle_attention.TriangleAttentionEndingNode",
        lesson=3,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        init=INIT,
        cases=CASES,
        atol=ATOL,
        rtol=RTOL,
        mistakes=[
            Edit(
                "around the ending node: attend on the transposed z and mask, then "
                "transpose back",
                (
                    "z.transpose(-2, -3), pair_mask.transpose(-1, -2)",
                    "o = o.transpose(-2, -3)",
                ),
                ("z, pair_mask", "o = o"),
            ),
            Edit("transpose the result back", "o = o.transpose(-2, -3)", "o = o"),
            Edit(
                "transpose the mask with z",
                "pair_mask.transpose(-1, -2)",
                "pair_mask",
            ),
        ],
    ),
]
