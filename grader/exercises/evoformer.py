"""Exercises of ``reference/evoformer.py`` (lesson 3). Every module a block holds is
the reference one while the block is checked: the block is graded for its order of
steps and its residual connections."""

from ..cases import Case, Edit, Exercise
from ..inputs import trunk
from .msa_attention import HIDDEN, SIZES

BLOCK_INIT = dict(
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
ROW = "m = m + self.msa_row_attention_with_pair_bias(m, z, msa_mask, chunk_size)"
COLUMN = "m = m + self.msa_column_attention(m, msa_mask, chunk_size)"
OUT = "z = z + self.triangle_multiplication_outgoing(z, pair_mask)"
IN = "z = z + self.triangle_multiplication_incoming(z, pair_mask)"
START = "z = z + self.triangle_attention_starting_node(z, pair_mask, chunk_size)"
END = "z = z + self.triangle_attention_ending_node(z, pair_mask, chunk_size)"
TOL = dict(atol=1e-7, rtol=1e-5)


def stack_mistakes(x: str) -> list[Edit]:
    """Typical mistakes of a loop over blocks whose state is ``x, z``."""
    call = f"{x}, z = block({x}, z, "
    return [
        Edit(
            f"each block reads the ({x}, z) that the previous block wrote",
            call,
            f"{x}_out, z_out = block({x}, z, ",
        ),
        Edit(
            "every block has its own weights: call each block",
            "= block(",
            "= self.blocks[0](",
        ),
    ]


EXERCISES = [
    Exercise(
        "evoformer.EvoformerBlock",
        lesson=3,
        points=3,
        sizes=SIZES,
        hidden=HIDDEN,
        init=BLOCK_INIT,
        cases=[
            Case("one MSA", lambda d: (trunk(d, batch=False), {})),
            Case(
                "batched; holes, padding, a masked sequence", lambda d: (trunk(d), {})
            ),
        ],
        **TOL,
        mistakes=[
            Edit(
                "every update is residual: m = m + msa_column_attention(...)",
                COLUMN,
                COLUMN.replace("m = m + ", "m = "),
            ),
            Edit(
                "every update is residual: z = z + outer_product_mean(...)",
                "z = z + self.outer_product_mean(",
                "z = self.outer_product_mean(",
            ),
            Edit(
                "every update is residual: z = z + triangle_attention_ending_node(...)",
                END,
                END.replace("z = z + ", "z = "),
            ),
            Edit(
                "the MSA stack runs row attention first, then column attention "
                "(SI Alg. 6, lines 2-3)",
                (ROW, COLUMN),
                (COLUMN, ROW),
            ),
            Edit(
                "outgoing before incoming (SI Alg. 6, lines 6-7)", (OUT, IN), (IN, OUT)
            ),
            Edit(
                "starting node before ending node (SI Alg. 6, lines 8-9)",
                (START, END),
                (END, START),
            ),
        ],
    ),
    Exercise(
        "evoformer.EvoformerStack",
        lesson=3,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        init=dict(N_block=2, **BLOCK_INIT),
        cases=[Case("two blocks; batched, masked", lambda d: (trunk(d), {}))],
        **TOL,
        mistakes=stack_mistakes("m"),
    ),
]
