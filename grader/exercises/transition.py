"""Exercises of ``reference/transition.py`` (lesson 3).

Sizes: MSA [2, 3, 5, 7] (c_m = 7), pair [2, 5, 5, 6] (c_z = 6), widening n = 3
(hidden: other sizes and seeds). The transition has no mask.
"""

from __future__ import annotations

import torch

from ..cases import Exercise, ModuleCase, Mutant, randn
from .attention import variant
from .msa_attention import sizes

LESSON = 3


def _ref(name: str):
    from reference import transition

    return getattr(transition, name)


# --- cases ---------------------------------------------------------------------------
def _msa_cases(hidden: bool) -> list[ModuleCase]:
    d, s = sizes(hidden), 580 if hidden else 380
    init = {"c_m": d["c_m"], "n": 3}
    return [
        ModuleCase(
            "one MSA",
            init,
            lambda: ((randn(s, d["N_seq"], d["N_res"], d["c_m"]),), {}),
            seed=s,
        ),
        ModuleCase(
            "batched, default n",
            {"c_m": d["c_m"]},
            lambda: ((randn(s + 1, d["B"], d["N_seq"], d["N_res"], d["c_m"]),), {}),
            seed=s + 1,
        ),
    ]


def _pair_cases(hidden: bool) -> list[ModuleCase]:
    d, s = sizes(hidden), 590 if hidden else 390
    init = {"c_z": d["c_z"], "n": 3}
    return [
        ModuleCase(
            "one pair",
            init,
            lambda: ((randn(s, d["N_res"], d["N_res"], d["c_z"]),), {}),
            seed=s,
        ),
        ModuleCase(
            "batched, default n",
            {"c_z": d["c_z"]},
            lambda: ((randn(s + 1, d["B"], d["N_res"], d["N_res"], d["c_z"]),), {}),
            seed=s + 1,
        ),
    ]


# --- mutants -------------------------------------------------------------------------
def _mutant(name: str, *, norm=True, relu="between", residual=False):
    def forward(self, x, chunk_size=None):
        y = self.layer_norm(x) if norm else x
        h = self.linear_1(y)
        if relu == "between":
            h = torch.relu(h)
        o = self.linear_2(h)
        if relu == "after":
            o = torch.relu(o)
        return x + o if residual else o

    return variant(lambda: _ref(name), forward)


def _mutants(name: str, alg: int) -> list[Mutant]:
    return [
        Mutant(
            f"layer-normalise the input first (SI Alg. {alg}, line 1)",
            _mutant(name, norm=False),
        ),
        Mutant(
            "the ReLU goes between the two linear layers", _mutant(name, relu="none")
        ),
        Mutant(
            "the ReLU goes between the two linear layers, not after the second",
            _mutant(name, relu="after"),
        ),
        Mutant(
            "return the update only: the Evoformer block adds the residual",
            _mutant(name, residual=True),
        ),
    ]


EXERCISES = [
    Exercise(
        "transition.MSATransition",
        points=1,
        cases=_msa_cases,
        mutants=_mutants("MSATransition", 9),
    ),
    Exercise(
        "transition.PairTransition",
        points=1,
        cases=_pair_cases,
        mutants=_mutants("PairTransition", 15),
    ),
]
