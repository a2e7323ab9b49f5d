"""Exercises of ``reference/evoformer.py`` (lesson 3). Every module a block holds is
the reference one while the block is checked: the block is graded for its order of
steps and its residual connections."""

from functools import partial

from ..cases import Case, edits
from ..inputs import trunk
from .msa_attention import row

BLOCK = dict(
    c_m="c_m",
    c_z="c_z",
    c_hidden_msa_att="c",
    N_head_msa="N_head",
    c_hidden_opm=2,
    c_hidden_mul=8,
    c_hidden_pair_att=1,
    N_head_pair=9,
    n_transition=2,
)
BLOCK_CASES = [
    Case("one MSA", lambda d: (trunk(d, batch=False), {})),
    Case("batched; holes, padding, a masked sequence", lambda d: (trunk(d), {})),
]
STACK_CASES = [Case("two blocks; batched, masked", lambda d: (trunk(d), {}))]


def stack_mistakes(x: str):
    """Typical mistakes of a loop over blocks that pass on ``x, z``."""
    return edits(rf"""
    each block reads the ({x}, z) that the previous block wrote
        {x}, z = block({x}, z, => {x}_out, z_out = block({x}, z,
    every block has its own weights: call each block
        = block( => = self.blocks[0](
    """)


row = partial(row, init=BLOCK, cases=BLOCK_CASES)
EXERCISES = [
    row(
        "evoformer.EvoformerBlock",
        points=3,
        mistakes=edits(r"""
        every update is residual: m = m + msa_column_attention(...)
            m = m + self.msa_column_attention( => m = self.msa_column_attention(
        every update is residual: z = z + outer_product_mean(...)
            z = z + self.outer_product_mean( => z = self.outer_product_mean(
        every update is residual: z = z + triangle_attention_ending_node(...)
            z = z + self.triangle_attention_ending_node( => \
                z = self.triangle_attention_ending_node(
        the MSA stack runs row attention first, then column attention (SI Alg. 6,
        lines 2-3)
            self.msa_row_attention_with_pair_bias(m, z, => \
                self.msa_column_attention(m,
            self.msa_column_attention(m, => \
                self.msa_row_attention_with_pair_bias(m, z,
        outgoing before incoming (SI Alg. 6, lines 6-7)
            _outgoing( => _incoming(
            _incoming( => _outgoing(
        starting node before ending node (SI Alg. 6, lines 8-9)
            _starting_node( => _ending_node(
            _ending_node( => _starting_node(
        """),
    ),
    row(
        "evoformer.EvoformerStack",
        points=1,
        init=dict(N_block=2, **BLOCK),
        cases=STACK_CASES,
        mistakes=stack_mistakes("m"),
    ),
]
