"""Exercises of ``reference/extra_msa_stack.py`` (lesson 4). The block is graded for
its own MSA stack (global column attention); its pair stack is the Evoformer
block's exercise."""

from ..cases import edits
from .evoformer import BLOCK, STACK_CASES, row, stack_mistakes

EXERCISES = [
    row(
        "extra_msa_stack.ExtraMsaBlock",
        lesson=4,
        points=2,
        mistakes=edits(r"""
        every update is residual: m = m + msa_column_global_attention(...)
            m = m + self.msa_column_global_attention( => \
                m = self.msa_column_global_attention(
        row attention first, then global column attention (SI Alg. 18, lines 2-3)
            self.msa_row_attention_with_pair_bias(m, z, => \
                self.msa_column_global_attention(m,
            self.msa_column_global_attention(m, => \
                self.msa_row_attention_with_pair_bias(m, z,
        every update is residual: m = m + msa_transition(...)
            m = m + self.msa_transition( => m = self.msa_transition(
        """),
    ),
    row(
        "extra_msa_stack.ExtraMsaStack",
        lesson=4,
        points=1,
        init=dict(
            N_block=2, c_e="c_m", **{k: v for k, v in BLOCK.items() if k != "c_m"}
        ),
        cases=STACK_CASES,
        mistakes=stack_mistakes("e"),
    ),
]
