"""Exercises of ``reference/evoformer.py`` (lesson 3).

Sizes: batch 2, N_seq = 3, N_res = 5, c_m = 7, c_z = 6; the block's hidden sizes are
in ``_init`` (MSA attention c = 4, N_head = 11; outer product c = 2; triangle
multiplication c = 8; triangle attention c = 1, N_head = 9; n = 2). Masks: MSA mask with a padded residue and a
masked sequence; pair mask = outer product of the residue mask.
"""

from __future__ import annotations

from ..cases import Exercise, ModuleCase, Mutant
from .attention import variant
from .msa_attention import msa_inputs, sizes

LESSON = 3


def _ref(name: str):
    from reference import evoformer

    return getattr(evoformer, name)


def _init(hidden: bool) -> dict:
    d = sizes(hidden)
    return {
        "c_m": d["c_m"],
        "c_z": d["c_z"],
        "c_hidden_msa_att": d["c"],
        "N_head_msa": d["N_head"],
        "c_hidden_opm": 2,
        "c_hidden_mul": 8,
        "c_hidden_pair_att": 1 + hidden,
        "N_head_pair": 9 - hidden,
        "n_transition": 2,
    }


def _inputs(seed: int, hidden: bool, batch: bool = True):
    m, z, msa_mask = msa_inputs(seed, hidden, batch=batch)
    seq_mask = msa_mask[..., 0, :]  # the query row: kept except padding
    return m, z, msa_mask, seq_mask[..., :, None] * seq_mask[..., None, :]


# --- cases ---------------------------------------------------------------------------
def _block_cases(hidden: bool) -> list[ModuleCase]:
    s = 900 if hidden else 700
    return [
        ModuleCase(
            "one MSA",
            _init(hidden),
            lambda: (_inputs(s, hidden, batch=False), {}),
            seed=s,
        ),
        ModuleCase(
            "batched, masked",
            _init(hidden),
            lambda: (_inputs(s + 5, hidden), {}),
            seed=s + 1,
        ),
    ]


# --- mutants -------------------------------------------------------------------------
MSA_STEPS = (
    "msa_row_attention_with_pair_bias",
    "msa_column_attention",
    "msa_transition",
)
PAIR_STEPS = (
    "triangle_multiplication_outgoing",
    "triangle_multiplication_incoming",
    "triangle_attention_starting_node",
    "triangle_attention_ending_node",
    "pair_transition",
)


def _block_mutant(
    *,
    no_residual=None,
    msa_order=MSA_STEPS,
    pair_order=PAIR_STEPS,
    opm_first=False,
    opm_old_m=False,
):
    """``EvoformerBlock`` with one mistake: a residual dropped, steps in another order,
    or the outer product mean from the MSA before its update."""

    def forward(self, m, z, msa_mask, pair_mask, chunk_size=None):
        m_in = m
        if opm_first:
            z = z + self.outer_product_mean(m, msa_mask)
        for step in msa_order:
            args = (
                (z, msa_mask)
                if step == MSA_STEPS[0]
                else (msa_mask,)
                if step != "msa_transition"
                else ()
            )
            update = getattr(self, step)(m, *args)
            m = update if step == no_residual else m + update
        if not opm_first:
            update = self.outer_product_mean(m_in if opm_old_m else m, msa_mask)
            z = update if no_residual == "outer_product_mean" else z + update
        for step in pair_order:
            update = getattr(self, step)(
                z, *(() if step == "pair_transition" else (pair_mask,))
            )
            z = update if step == no_residual else z + update
        return m, z

    return variant(lambda: _ref("EvoformerBlock"), forward)


def _block_mutants() -> list[Mutant]:
    dropped = [
        Mutant(
            f"every update is residual: {x} = {x} + {step}(...)",
            _block_mutant(no_residual=step),
        )
        for x, step in (
            ("m", "msa_column_attention"),
            ("z", "outer_product_mean"),
            ("z", "triangle_attention_ending_node"),
        )
    ]
    return dropped + [
        Mutant(
            "the MSA stack runs row attention first, then column attention (SI Alg. 6, lines 2-3)",
            _block_mutant(msa_order=(MSA_STEPS[1], MSA_STEPS[0], MSA_STEPS[2])),
        ),
        Mutant(
            "the outer product mean reads the *updated* MSA (after the MSA transition, SI Alg. 6, line 5)",
            _block_mutant(opm_old_m=True),
        ),
        Mutant(
            "the outer product mean comes after the MSA stack, not before it (that is AF2-Multimer's order)",
            _block_mutant(opm_first=True),
        ),
        Mutant(
            "outgoing before incoming (SI Alg. 6, lines 6-7)",
            _block_mutant(pair_order=(PAIR_STEPS[1], PAIR_STEPS[0]) + PAIR_STEPS[2:]),
        ),
        Mutant(
            "starting node before ending node (SI Alg. 6, lines 8-9)",
            _block_mutant(
                pair_order=PAIR_STEPS[:2]
                + (PAIR_STEPS[3], PAIR_STEPS[2], PAIR_STEPS[4])
            ),
        ),
    ]


def _stack_cases(hidden: bool) -> list[ModuleCase]:
    s = 950 if hidden else 750
    init = {"N_block": 2, **_init(hidden)}
    return [
        ModuleCase(
            "two blocks, batched, masked",
            init,
            lambda: (_inputs(s, hidden), {}),
            seed=s,
        )
    ]


def _stack_mutant(forward):
    return variant(lambda: _ref("EvoformerStack"), forward)


def _one_block_for_all(self, m, z, msa_mask, pair_mask, chunk_size=None):
    for _ in self.blocks:
        m, z = self.blocks[0](m, z, msa_mask, pair_mask, chunk_size)
    return m, z


def _blocks_not_chained(self, m, z, msa_mask, pair_mask, chunk_size=None):
    for block in self.blocks:
        m_out, z_out = block(m, z, msa_mask, pair_mask, chunk_size)
    return m_out, z_out


EXERCISES = [
    Exercise(
        "evoformer.EvoformerBlock",
        points=3,
        cases=_block_cases,
        mutants=_block_mutants(),
        atol=1e-7,
        rtol=1e-5,
    ),
    Exercise(
        "evoformer.EvoformerStack",
        points=1,
        cases=_stack_cases,
        atol=1e-7,
        rtol=1e-5,
        mutants=[
            Mutant(
                "each block has its own weights: use block i, not the first block every time",
                _stack_mutant(_one_block_for_all),
            ),
            Mutant(
                "the blocks are chained: each block must read the m, z that the one before returned",
                _stack_mutant(_blocks_not_chained),
            ),
        ],
    ),
]
