"""Exercises of ``reference/triangle_attention.py`` (lesson 3).

Sizes: batch 2, N_res = 5, c_z = 6, c = 4, N_head = 11 (hidden: other sizes and
seeds); asymmetric pair masks, as for the triangle multiplication.
"""

from __future__ import annotations

import torch

from ..cases import Exercise, ModuleCase, Mutant
from .attention import ATOL, RTOL, attend, variant
from .msa_attention import sizes
from .triangle_multiplication import pair_inputs

LESSON = 3


def _ref(name: str):
    from reference import triangle_attention

    return getattr(triangle_attention, name)


def _bias(mask):
    from reference.attention import mask_bias

    return mask_bias(mask)


# --- cases ---------------------------------------------------------------------------
def _cases(s: int):
    def cases(hidden: bool) -> list[ModuleCase]:
        d, seed = sizes(hidden), s + 200 * hidden
        init = {"c_z": d["c_z"], "c": d["c"], "N_head": d["N_head"]}
        ones = lambda: (
            (
                pair_inputs(seed, hidden, batch=False)[0],
                torch.ones(d["N_res"], d["N_res"], dtype=torch.float64),
            ),
            {},
        )
        return [
            ModuleCase("one pair, no mask", init, ones, seed=seed),
            ModuleCase(
                "batched, masked",
                init,
                lambda: (pair_inputs(seed + 3, hidden), {}),
                seed=seed + 1,
            ),
        ]

    return cases


# --- mutants -------------------------------------------------------------------------
def _mutant(
    name: str,
    *,
    ending=False,
    norm=True,
    transpose_bias=False,
    mask=True,
    back=True,
    **mistake,
):
    """Triangle attention with one mistake; ``ending``: around the ending node."""

    def forward(self, z, pair_mask, chunk_size=None):
        if ending:
            z, pair_mask = z.transpose(-2, -3), pair_mask.transpose(-1, -2)
        if norm:
            z = self.layer_norm(z)
        b = self.linear_b(z)
        if transpose_bias:
            b = b.transpose(-2, -3)
        biases = (b.movedim(-1, -3).unsqueeze(-4),)
        if mask:
            biases = (_bias(pair_mask.to(z.dtype))[..., None, None, :],) + biases
        o = attend(self.mha, z, z, biases, **mistake)
        return o.transpose(-2, -3) if ending and back else o

    return variant(lambda: _ref(name), forward)


def _mutants(name: str, other: str, alg: int) -> list[Mutant]:
    ending = alg == 14
    node = (
        "ending node: edge (i, j) attends to the edges (k, j)"
        if ending
        else "starting node: edge (i, j) attends to the edges (i, k)"
    )
    mutants = [
        Mutant(
            f"this is the {node}; you computed the other node",
            lambda **init: _ref(other)(**init),
        ),
        Mutant(
            f"layer-normalise z first (SI Alg. {alg}, line 1)",
            _mutant(name, ending=ending, norm=False),
        ),
        Mutant(
            f"the triangle bias is transposed (SI Alg. {alg}, line 3)",
            _mutant(name, ending=ending, transpose_bias=True),
        ),
        Mutant(
            "masked edges must be masked as keys: add mask_bias(pair_mask)[..., None, None, :]",
            _mutant(name, ending=ending, mask=False),
        ),
        Mutant(
            "add the biases to the logits, before the softmax, not to the weights",
            _mutant(name, ending=ending, bias_after_softmax=True),
        ),
    ]
    if ending:
        mutants.append(
            Mutant(
                "transpose the result back: the output is [*, N_res (i), N_res (j), c_z]",
                _mutant(name, ending=True, back=False),
            )
        )
    return mutants


EXERCISES = [
    Exercise(
        "triangle_attention.TriangleAttentionStartingNode",
        points=2,
        cases=_cases(660),
        mutants=_mutants(
            "TriangleAttentionStartingNode", "TriangleAttentionEndingNode", 13
        ),
        atol=ATOL,
        rtol=RTOL,
    ),
    Exercise(
        "triangle_attention.TriangleAttentionEndingNode",
        points=1,
        cases=_cases(680),
        mutants=_mutants(
            "TriangleAttentionEndingNode", "TriangleAttentionStartingNode", 14
        ),
        atol=ATOL,
        rtol=RTOL,
    ),
]
