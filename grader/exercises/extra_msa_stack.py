"""Exercises of ``reference/extra_msa_stack.py`` (lesson 4). The block is graded for
its own MSA stack (global column attention); its pair stack is the Evoformer
block's exercise."""

from ..cases import Case, Edit, Exercise
from ..inputs import trunk
from .evoformer import BLOCK_INIT, TOL, stack_mistakes
from .msa_attention import HIDDEN, SIZES

ROW = "m = m + self.msa_row_attention_with_pair_bias(m, z, msa_mask, chunk_size)"
GLOBAL = "m = m + self.msa_column_global_attention(m, msa_mask, chunk_size)"
EXERCISES = [
    Exercise(
        "extra_msa_stack.ExtraMsaBlock",
        lesson=4,
        points=2,
        sizes=SIZES,
        hidden=HIDDEN,
        init=BLOCK_INIT,
        cases=[
            Case("one extra MSA", lambda d: (trunk(d, batch=False), {})),
            Case(
                "batched; holes, padding, a masked sequence", lambda d: (trunk(d), {})
            ),
        ],
        **TOL,
        mistakes=[
            Edit(
                "every update is residual: m = m + msa_column_global_attention(...)",
                GLOBAL,
                GLOBAL.replace("m = m + ", "m = "),
            ),
            Edit(
                "row attention first, then global column attention (SI Alg. 18, lines 2-3)",
                (ROW, GLOBAL),
                (GLOBAL, ROW),
            ),
            Edit(
                "every update is residual: m = m + msa_transition(...)",
                "m = m + self.msa_transition(",
                "m = self.msa_transition(",
            ),
        ],
    ),
    Exercise(
        "extra_msa_stack.ExtraMsaStack",
        lesson=4,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        init=dict(
            N_block=2, c_e="c_m", **{k: v for k, v in BLOCK_INIT.items() if k != "c_m"}
        ),
        cases=[Case("two blocks; batched, masked", lambda d: (trunk(d), {}))],
        **TOL,
        mistakes=stack_mistakes("e"),
    ),
]
