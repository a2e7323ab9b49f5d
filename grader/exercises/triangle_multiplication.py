"""Exercises of ``reference/triangle_multiplication.py`` (lesson 3).

Sizes: batch 2, N_res = 5, c_z = 6, c = 4 (hidden: other sizes and seeds). Pair masks
are the outer product of a residue mask (last residue padding) with random holes, so
they are not symmetric: outgoing and incoming edges see different masks.
"""

from __future__ import annotations

import torch

from ..cases import Exercise, ModuleCase, Mutant, randn
from .attention import padded_mask, variant
from .msa_attention import sizes

LESSON = 3


def _ref(name: str):
    from reference import triangle_multiplication

    return getattr(triangle_multiplication, name)


def pair_inputs(seed: int, hidden: bool, batch: bool = True):
    """``z`` [*, N_res, N_res, c_z] and an asymmetric ``pair_mask`` [*, N_res, N_res]."""
    d = sizes(hidden)
    lead = (d["B"],) if batch else ()
    seq_mask = padded_mask(seed + 1, *lead, d["N_res"], p_keep=1.0)
    holes = padded_mask(seed + 2, *lead, d["N_res"], d["N_res"], p_keep=0.8, pad_last=0)
    pair_mask = seq_mask[..., :, None] * seq_mask[..., None, :] * holes
    return randn(seed, *lead, d["N_res"], d["N_res"], d["c_z"]), pair_mask


# --- cases ---------------------------------------------------------------------------
def _cases(s: int):
    def cases(hidden: bool) -> list[ModuleCase]:
        d, seed = sizes(hidden), s + 200 * hidden
        init = {"c_z": d["c_z"], "c": d["c"]}
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
    norm_in=True,
    norm_out=True,
    gate=True,
    sigmoid=True,
    mask=True,
    transpose=False,
):
    def forward(self, z, pair_mask):
        keep = pair_mask.to(z.dtype)[..., None] if mask else 1.0
        if norm_in:
            z = self.layer_norm_in(z)
        act = torch.sigmoid if sigmoid else (lambda x: x)
        a = keep * self.linear_a_p(z) * act(self.linear_a_g(z))
        b = keep * self.linear_b_p(z) * act(self.linear_b_g(z))
        x = self._combine(a, b)
        if transpose:
            x = x.transpose(-2, -3)
        x = self.linear_z(self.layer_norm_out(x) if norm_out else x)
        return act(self.linear_g(z)) * x if gate else x

    return variant(lambda: _ref(name), forward)


def _mutants(name: str, other: str, alg: int) -> list[Mutant]:
    direction = (
        "outgoing: sum_k a_ik * b_jk (edges leaving i and j)"
        if alg == 11
        else "incoming: sum_k a_ki * b_kj (edges arriving at i and j)"
    )
    return [
        Mutant(
            f"this is the {direction}; you computed the other direction",
            lambda **init: _ref(other)(**init),
        ),
        Mutant(
            f"the result is transposed: edge (i, j) combines a_i.. with b_j.. (SI Alg. {alg}, line 5)",
            _mutant(name, transpose=True),
        ),
        Mutant(
            f"layer-normalise z first (SI Alg. {alg}, line 1)",
            _mutant(name, norm_in=False),
        ),
        Mutant(
            "layer-normalise the combined edges before linear_z (layer_norm_out)",
            _mutant(name, norm_out=False),
        ),
        Mutant(
            f"the output is gated: g = sigmoid(linear_g(z)) (SI Alg. {alg}, line 4)",
            _mutant(name, gate=False),
        ),
        Mutant("every gate goes through a sigmoid", _mutant(name, sigmoid=False)),
        Mutant(
            "masked edges must not contribute: multiply a and b by pair_mask",
            _mutant(name, mask=False),
        ),
    ]


EXERCISES = [
    Exercise(
        "triangle_multiplication.TriangleMultiplicationOutgoing",
        points=2,
        cases=_cases(620),
        mutants=_mutants(
            "TriangleMultiplicationOutgoing", "TriangleMultiplicationIncoming", 11
        ),
    ),
    Exercise(
        "triangle_multiplication.TriangleMultiplicationIncoming",
        points=1,
        cases=_cases(640),
        mutants=_mutants(
            "TriangleMultiplicationIncoming", "TriangleMultiplicationOutgoing", 12
        ),
    ),
]
