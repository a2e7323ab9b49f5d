"""Exercises of ``reference/outer_product_mean.py`` (lesson 3)."""

from ..cases import Case, Edit, Exercise
from ..inputs import msa
from .msa_attention import HIDDEN, SIZES

EXERCISES = [
    Exercise(
        "outer_product_mean.OuterProductMean",
        lesson=3,
        points=2,
        sizes=SIZES,
        hidden=HIDDEN,
        init=dict(c_m="c_m", c_z="c_z", c="c"),
        cases=[
            Case(
                "one MSA, no mask",
                lambda d: ((msa(d, False)[0], msa(d, False)[1] * 0 + 1), {}),
            ),
            Case("batched; holes, padding, a masked sequence", lambda d: (msa(d), {})),
        ],
        mistakes=[
            Edit(
                "layer-normalise m first (SI Alg. 10, line 1)",
                "m = self.layer_norm(m)",
                "m = m",
            ),
            Edit(
                "masked entries do not count: multiply a and b by msa_mask",
                ("a = msa_mask * self.linear_a(m)", "b = msa_mask * self.linear_b(m)"),
                ("a = self.linear_a(m)", "b = self.linear_b(m)"),
            ),
            Edit(
                "the mean is over the sequences: divide by 1e-3 + the number of "
                "sequence pairs kept at (i, j)",
                "o = o / (1e-3 + norm[..., None])",
                "o = o",
            ),
            Edit(
                "divide by the number of *kept* sequence pairs at (i, j) (+ 1e-3), "
                "not by N_seq",
                "(1e-3 + norm[..., None])",
                "m.shape[-3]",
            ),
            Edit(
                "divide by 1e-3 + the kept pairs: a padded residue has none, and 0/0 "
                "is NaN",
                "1e-3 + norm",
                "norm",
            ),
            Edit(
                "the outer product of residues i and j sums over the sequences s "
                "(einsum '...sic,...sjd->...ijcd')",
                "->...ijcd",
                "->...jicd",
            ),
            Edit(
                "flatten the outer product in the order (channel of a, channel of b)",
                "->...ijcd",
                "->...ijdc",
            ),
        ],
    ),
]
