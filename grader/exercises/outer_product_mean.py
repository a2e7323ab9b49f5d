"""Exercises of ``reference/outer_product_mean.py`` (lesson 3).

Sizes: batch 2, N_seq = 3, N_res = 5, c_m = 7, c_z = 6, c = 4 (hidden: other sizes and
seeds). Masks hide random entries, the last residue (padding) and a whole sequence.
"""

from __future__ import annotations

import torch

from ..cases import Exercise, ModuleCase, Mutant
from .attention import variant
from .msa_attention import msa_inputs, sizes

LESSON = 3


def _ref(name: str):
    from reference import outer_product_mean

    return getattr(outer_product_mean, name)


# --- cases ---------------------------------------------------------------------------
def _cases(hidden: bool) -> list[ModuleCase]:
    d, s = sizes(hidden), 600 if hidden else 400
    init = {"c_m": d["c_m"], "c_z": d["c_z"], "c": d["c"]}
    unmasked = lambda: (
        (
            msa_inputs(s, hidden, pair=False, batch=False)[0],
            torch.ones(d["N_seq"], d["N_res"], dtype=torch.float64),
        ),
        {},
    )
    return [
        ModuleCase("one MSA, no mask", init, unmasked, seed=s),
        ModuleCase(
            "batched, masked",
            init,
            lambda: (msa_inputs(s + 3, hidden, pair=False), {}),
            seed=s + 1,
        ),
    ]


# --- mutants -------------------------------------------------------------------------
def _mutant(
    *,
    norm=True,
    mask_ab=True,
    product="...sic,...sjd->...ijcd",
    divide="masked",
    mean_first=False,
):
    """``OuterProductMean`` with one mistake. ``divide``: "masked" (1e-3 + kept pairs),
    "none", or "N_seq"."""

    def forward(self, m, msa_mask, chunk_size=None):
        msa_mask = msa_mask.to(m.dtype)
        if norm:
            m = self.layer_norm(m)
        keep = msa_mask[..., None] if mask_ab else 1.0
        a, b = keep * self.linear_a(m), keep * self.linear_b(m)
        o = torch.einsum(product, a, b)
        norm_ij = {
            "masked": 1e-3 + torch.einsum("...si,...sj->...ij", msa_mask, msa_mask),
            "N_seq": torch.full(o.shape[:-2], float(m.shape[-3]), dtype=m.dtype),
            "none": torch.ones(o.shape[:-2], dtype=m.dtype),
        }[divide][..., None]
        if mean_first:
            return self.linear_out((o / norm_ij[..., None]).flatten(-2))
        return self.linear_out(o.flatten(-2)) / norm_ij

    return variant(lambda: _ref("OuterProductMean"), forward)


def _mutants() -> list[Mutant]:
    return [
        Mutant("layer-normalise m first (SI Alg. 10, line 1)", _mutant(norm=False)),
        Mutant(
            "masked entries must not count: multiply a and b by msa_mask",
            _mutant(mask_ab=False),
        ),
        Mutant(
            "the mean is over the sequences: divide by 1e-3 + the number of sequence pairs kept at (i, j)",
            _mutant(divide="none"),
        ),
        Mutant(
            "divide by the number of *kept* sequence pairs at (i, j) (+ 1e-3), not by N_seq",
            _mutant(divide="N_seq"),
        ),
        Mutant(
            "AF2 divides after linear_out (its bias included), not before",
            _mutant(mean_first=True),
        ),
        Mutant(
            "the outer product of residues i and j sums over the sequences s (einsum '...sic,...sjd->...ijcd')",
            _mutant(product="...sic,...sjd->...jicd"),
        ),
        Mutant(
            "flatten the outer product in the order (channel of a, channel of b)",
            _mutant(product="...sic,...sjd->...ijdc"),
        ),
    ]


EXERCISES = [
    Exercise(
        "outer_product_mean.OuterProductMean",
        points=2,
        cases=_cases,
        mutants=_mutants(),
        atol=1e-8,
        rtol=1e-6,
    ),
]
