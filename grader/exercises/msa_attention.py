"""Exercises of ``reference/msa_attention.py`` (lesson 3).

Sizes: batch 2, N_seq = 3, N_res = 5, c_m = 7, c_z = 6, c = 4, N_head = 11 (hidden:
other sizes and seeds). MSA masks hide random entries, the last residue of every
sequence (padding) and, in one case, a whole sequence.
"""

from __future__ import annotations

import torch

from ..cases import Exercise, ModuleCase, Mutant, randn
from .attention import ATOL, RTOL, attend, padded_mask, variant

LESSON = 3


def _ref(name: str):
    from reference import msa_attention

    return getattr(msa_attention, name)


def _bias(mask):
    from reference.attention import mask_bias

    return mask_bias(mask)


def sizes(hidden: bool) -> dict:
    """Toy sizes of the MSA exercises; no two equal."""
    if hidden:
        return {"B": 3, "N_seq": 4, "N_res": 6, "c_m": 5, "c_z": 9, "c": 2, "N_head": 7}
    return {"B": 2, "N_seq": 3, "N_res": 5, "c_m": 7, "c_z": 6, "c": 4, "N_head": 11}


def msa_inputs(seed: int, hidden: bool, pair: bool = True, batch: bool = True):
    """``m``, (``z``,) ``msa_mask``: float64, one whole sequence masked."""
    d = sizes(hidden)
    lead = (d["B"],) if batch else ()
    m = randn(seed, *lead, d["N_seq"], d["N_res"], d["c_m"])
    msa_mask = padded_mask(seed + 1, *lead, d["N_seq"], d["N_res"])
    msa_mask[..., -1, :] = 0.0
    if not pair:
        return (m, msa_mask)
    return (m, randn(seed + 2, *lead, d["N_res"], d["N_res"], d["c_z"]), msa_mask)


# --- cases ---------------------------------------------------------------------------
def _row_cases(hidden: bool) -> list[ModuleCase]:
    d, s = sizes(hidden), 540 if hidden else 340
    init = {"c_m": d["c_m"], "c_z": d["c_z"], "c": d["c"], "N_head": d["N_head"]}
    return [
        ModuleCase(
            "one MSA", init, lambda: (msa_inputs(s, hidden, batch=False), {}), seed=s
        ),
        ModuleCase(
            "batched, masked", init, lambda: (msa_inputs(s + 3, hidden), {}), seed=s + 1
        ),
    ]


def _column_cases(hidden: bool) -> list[ModuleCase]:
    d, s = sizes(hidden), 560 if hidden else 360
    init = {"c_m": d["c_m"], "c": d["c"], "N_head": d["N_head"]}
    return [
        ModuleCase(
            "one MSA",
            init,
            lambda: (msa_inputs(s, hidden, pair=False, batch=False), {}),
            seed=s,
        ),
        ModuleCase(
            "batched, masked",
            init,
            lambda: (msa_inputs(s + 3, hidden, pair=False), {}),
            seed=s + 1,
        ),
    ]


# --- mutants -------------------------------------------------------------------------
def _row_mutant(
    *,
    norm_m=True,
    norm_z=True,
    transpose_bias=False,
    use_mask=True,
    along_columns=False,
    **mistake,
):
    def forward(self, m, z, msa_mask, chunk_size=None):
        if norm_m:
            m = self.layer_norm_m(m)
        b = self.linear_z(self.layer_norm_z(z) if norm_z else z)
        if transpose_bias:
            b = b.transpose(-2, -3)
        biases = (b.movedim(-1, -3).unsqueeze(-4),)
        if along_columns:  # (and no pair bias: it has no N_seq x N_seq shape)
            m, msa_mask, biases = m.transpose(-2, -3), msa_mask.transpose(-1, -2), ()
        if use_mask:
            biases = (_bias(msa_mask)[..., None, None, :],) + biases
        o = attend(self.mha, m, m, biases, **mistake)
        return o.transpose(-2, -3) if along_columns else o

    return variant(lambda: _ref("MSARowAttentionWithPairBias"), forward)


def _column_mutant(*, transpose=True, norm=True, use_mask=True, global_attention=False):
    def forward(self, m, msa_mask, chunk_size=None):
        if transpose:
            m, msa_mask = m.transpose(-2, -3), msa_mask.transpose(-1, -2)
        if norm:
            m = self.layer_norm_m(m)
        if global_attention:
            o = self.global_attention(
                m, msa_mask if use_mask else torch.ones_like(msa_mask)
            )
        else:
            biases = (_bias(msa_mask)[..., None, None, :],) if use_mask else ()
            o = attend(self.mha, m, m, biases)
        return o.transpose(-2, -3) if transpose else o

    return variant(
        lambda: _ref(
            "MSAColumnGlobalAttention" if global_attention else "MSAColumnAttention"
        ),
        forward,
    )


def _residual(get_cls):
    return variant(
        get_cls,
        lambda self, m, *args, **kwargs: (
            m + get_cls().forward(self, m, *args, **kwargs)
        ),
    )


def _row_mutants() -> list[Mutant]:
    return [
        Mutant(
            "layer-normalise m first (SI Alg. 7, line 1)", _row_mutant(norm_m=False)
        ),
        Mutant(
            "the pair bias comes from the layer-normalised z: linear_z(layer_norm_z(z))",
            _row_mutant(norm_z=False),
        ),
        Mutant(
            "the pair bias of head h for query i and key j is b_ij^h: the bias is transposed",
            _row_mutant(transpose_bias=True),
        ),
        Mutant(
            "masked residues must be masked as keys: add mask_bias(msa_mask)[..., None, None, :]",
            _row_mutant(use_mask=False),
        ),
        Mutant(
            "row attention attends within each sequence (along N_res), not along the columns",
            _row_mutant(along_columns=True),
        ),
        Mutant(
            "add the biases to the logits, before the softmax, not to the weights",
            _row_mutant(bias_after_softmax=True),
        ),
        Mutant(
            "return the update only: the Evoformer block adds the residual",
            _residual(lambda: _ref("MSARowAttentionWithPairBias")),
        ),
    ]


def _column_mutants() -> list[Mutant]:
    return [
        Mutant(
            "column attention attends along the sequences: transpose N_seq and N_res first (and back)",
            _column_mutant(transpose=False),
        ),
        Mutant(
            "layer-normalise m first (SI Alg. 8, line 1)", _column_mutant(norm=False)
        ),
        Mutant(
            "masked entries must be masked as keys: add mask_bias of the transposed mask",
            _column_mutant(use_mask=False),
        ),
        Mutant(
            "return the update only: the Evoformer block adds the residual",
            _residual(lambda: _ref("MSAColumnAttention")),
        ),
    ]


def _global_mutants() -> list[Mutant]:
    return [
        Mutant(
            "global column attention attends along the sequences: transpose N_seq and N_res first (and back)",
            _column_mutant(transpose=False, global_attention=True),
        ),
        Mutant(
            "layer-normalise m first (SI Alg. 19, line 1)",
            _column_mutant(norm=False, global_attention=True),
        ),
        Mutant(
            "pass the transposed mask to the global attention",
            _column_mutant(use_mask=False, global_attention=True),
        ),
        Mutant(
            "return the update only: the block adds the residual",
            _residual(lambda: _ref("MSAColumnGlobalAttention")),
        ),
    ]


EXERCISES = [
    Exercise(
        "msa_attention.MSARowAttentionWithPairBias",
        points=2,
        cases=_row_cases,
        mutants=_row_mutants(),
        atol=ATOL,
        rtol=RTOL,
    ),
    Exercise(
        "msa_attention.MSAColumnAttention",
        points=2,
        cases=_column_cases,
        mutants=_column_mutants(),
        atol=ATOL,
        rtol=RTOL,
    ),
    Exercise(
        "msa_attention.MSAColumnGlobalAttention",
        points=1,
        cases=_column_cases,
        mutants=_global_mutants(),
        atol=ATOL,
        rtol=RTOL,
    ),
]
