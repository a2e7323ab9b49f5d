"""Exercises of ``reference/triangle_attention.py`` (lesson 3). The ending-node module
is graded for its own transpositions; the attention it inherits is the starting
node's exercise."""

from functools import partial

from ..cases import edits
from .triangle_multiplication import row

row = partial(row, init=dict(c_z="c_z", c="c", N_head="N_head"), atol=1e-7, rtol=1e-5)
EXERCISES = [
    row(
        "triangle_attention.TriangleAttentionStartingNode",
        points=2,
        mistakes=edits(r"""
        layer-normalise z first (SI Alg. 13, line 1)
            z = self.layer_norm(z) => z = z
        the triangle bias of head h for (i, j) and (i, k) is b_jk^h: it is
        transposed
            .movedim(-1, -3).unsqueeze(-4) => .movedim(-1, -3).mT.unsqueeze(-4)
        masked edges are masked as *keys* (the last axis), not as queries
            [..., None, None, :] => [..., None, :, None]
        mask with mask_bias (-1e9), not -inf: a padded row gives NaN
            mask_bias(pair_mask.to(z.dtype)) => \
                torch.where(pair_mask > 0, 0.0, -torch.inf)
        """),
    ),
    row(
        "triangle_attention.TriangleAttentionEndingNode",
        points=1,
        mistakes=edits(r"""
        around the ending node: attend on the transposed z and mask, then
        transpose back
            z.transpose(-2, -3), pair_mask.transpose(-1, -2) => z, pair_mask
            o = o.transpose(-2, -3) => o = o
        transpose the result back
            o = o.transpose(-2, -3) => o = o
        transpose the mask with z
            pair_mask.transpose(-1, -2) => pair_mask
        """),
    ),
]
