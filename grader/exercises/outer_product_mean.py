"""Exercises of ``reference/outer_product_mean.py`` (lesson 3)."""

from ..cases import Case, edits
from ..inputs import msa
from .msa_attention import row


def _unmasked(d):
    m, msa_mask = msa(d, batch=False)
    return (m, msa_mask * 0 + 1), {}


EXERCISES = [
    row(
        "outer_product_mean.OuterProductMean",
        points=2,
        init=dict(c_m="c_m", c_z="c_z", c="c"),
        cases=[
            Case("one MSA, no mask", _unmasked),
            Case("batched; holes, padding, a masked sequence", lambda d: (msa(d), {})),
        ],
        atol=1e-8,
        rtol=1e-6,
        mistakes=edits(r"""
        layer-normalise m first (SI Alg. 10, line 1)
            m = self.layer_norm(m) => m = m
        masked entries do not count: multiply a and b by msa_mask
            a = msa_mask * self.linear_a(m) => a = self.linear_a(m)
            b = msa_mask * self.linear_b(m) => b = self.linear_b(m)
        the mean is over the sequences: divide by 1e-3 + the number of sequence
        pairs kept at (i, j)
            o = o / (1e-3 + norm[..., None]) => o = o
        divide by the number of *kept* sequence pairs at (i, j) (+ 1e-3), not by
        N_seq
            (1e-3 + norm[..., None]) => m.shape[-3]
        divide by 1e-3 + the kept pairs: a padded residue has none, and 0/0 is NaN
            1e-3 + norm => norm
        the outer product of residues i and j sums over the sequences s (einsum
        '...sic,...sjd->...ijcd')
            ->...ijcd => ->...jicd
        flatten the outer product in the order (channel of a, channel of b)
            ->...ijcd => ->...ijdc
        """),
    ),
]
