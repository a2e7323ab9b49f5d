"""Exercises of ``reference/heads.py`` (lesson 7): from logits to the numbers a user
reads (pLDDT, contact probabilities, PAE, pTM), and two of the heads."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(
    Exercise,
    lesson=7,
    sizes=dict(B=2, N_res=7, c=5, N_bins=11),
    hidden=dict(B=3, N_res=6, c=4, N_bins=13),
)


def logits(d: Draw, *dims, name="logits", scale=3.0) -> torch.Tensor:
    """Logits spread enough that the softmax is neither flat nor one-hot."""
    return d.randn(name, *dims, scale=scale)


def residue_weights(d: Draw, *dims: str) -> torch.Tensor:
    """[*, N] 0/1 weights: the last residue padded everywhere, a few more masked in
    the first chain, and (with a batch) the last chain entirely masked."""
    return d.mask("weights", *dims, keep=0.8, full=len(dims) > 1)


def _ptm_long(d: Draw):
    w = residue_weights(d, "B", "L")
    w[0] = 1.0  # the first chain: every residue but the padded last one
    w[0, -1] = 0.0
    return (logits(d, "B", "L", "L", "N_bins"), w), {"max_error_bin": 15.5}


EXERCISES = [
    row(
        "heads.PredictedLDDTHead",
        points=1,
        sizes=dict(B=2, N_res=7, c_s=9, c=5, N_bins=11),
        hidden=dict(B=3, N_res=6, c_s=8, c=4, N_bins=13),
        init=dict(c_s="c_s", c="c", N_bins="N_bins"),
        cases=[
            Case("batched", lambda d: ((d.randn("s", "B", "N_res", "c_s"),), {})),
            Case("one chain", lambda d: ((d.randn("s", "N_res", "c_s"),), {})),
        ],
        mistakes=edits(r"""
        the single representation is layer-normalised first
            self.layer_norm(s) => s
        ReLU after each hidden Linear: relu(linear_2(a)) before linear_3
            self.linear_3(torch.relu(self.linear_2(a))) => \
                self.linear_3(self.linear_2(a))
        the logits come straight from linear_3, with no ReLU (they can be negative)
            logits = self.linear_3(torch.relu(self.linear_2(a))) => \
                logits = torch.relu(self.linear_3(torch.relu(self.linear_2(a))))
        """),
    ),
    row(
        "heads.compute_plddt",
        points=2,
        cases=[
            Case("toy bins", lambda d: ((logits(d, "B", "N_res", "N_bins"),), {})),
            Case("AF2's 50 bins", lambda d: ((logits(d, "N_res", 50),), {})),
        ],
        mistakes=edits(r"""
        use the bin *centres* (b + 0.5) / N_bins, not the lower edges b / N_bins
            (torch.arange(N_bins, dtype=logits.dtype, device=logits.device) + 0.5) => \
                torch.arange(N_bins, dtype=logits.dtype, device=logits.device)
        use the bin *centres* (b + 0.5) / N_bins, not the upper edges (b + 1) / N_bins
            + 0.5) / N_bins => + 1.0) / N_bins
        softmax over the bins (the last axis), not over the residues
            torch.softmax(logits, dim=-1) => torch.softmax(logits, dim=-2)
        pLDDT is on a 0-100 scale: multiply the expected lDDT (0-1) by 100
            100 * (torch.softmax => (torch.softmax
        pLDDT is the expected value over the bins, not the centre of the likeliest bin
            plddt = 100 * (torch.softmax(logits, dim=-1) * v).sum(-1) => \
                plddt = 100 * v[logits.argmax(-1)]
        """),
    ),
    row(
        "heads.DistogramHead",
        points=1,
        sizes=dict(B=2, N_res=7, c_z=5, N_bins=11),
        hidden=dict(B=3, N_res=6, c_z=4, N_bins=13),
        init=dict(c_z="c_z", N_bins="N_bins"),
        cases=[
            Case(
                "batched pair",
                lambda d: ((d.randn("z", "B", "N_res", "N_res", "c_z"),), {}),
            ),
        ],
        mistakes=edits(r"""
        the distogram is symmetric: logits = half + half^T (over the two residue axes)
            logits = half + half.transpose(-2, -3) => logits = half
        symmetrise the logits, as AF2 does (the bias counts twice), not the input as
        the SI writes it: linear(z) + linear(z)^T
            half = self.linear(z) => half = self.linear(z + z.transpose(-2, -3))
            logits = half + half.transpose(-2, -3) => logits = half
        the sum half + half^T, not the mean: AF2's logits are the sum
            logits = half + half.transpose(-2, -3) => \
                logits = (half + half.transpose(-2, -3)) / 2
        """),
    ),
    row(
        "heads.contact_probability",
        points=1,
        cases=[
            Case(
                "toy bins, 8 Å",
                lambda d: ((logits(d, "B", "N_res", "N_res", "N_bins"),), {}),
            ),
            Case(
                "AF2's 64 bins, another threshold",
                lambda d: (
                    (logits(d, "N_res", "N_res", 64),),
                    {"threshold": 12.0 if d.hidden else 6.0},
                ),
            ),
        ],
        mistakes=edits(r"""
        a bin counts when it lies wholly below the threshold: its *upper* edge
        (edges[b]) is at most the threshold; bin 0 has no lower edge
            torch.cat([edges <= threshold, edges.new_zeros(1, dtype=torch.bool)]) => \
                torch.cat([edges.new_ones(1, dtype=torch.bool), edges <= threshold])
        softmax over the bins (the last axis), not over the residues
            torch.softmax(logits, dim=-1) => torch.softmax(logits, dim=-2)
        the last bin (beyond the last edge) is never below the threshold
            edges.new_zeros(1, dtype=torch.bool) => edges.new_ones(1, dtype=torch.bool)
        """),
    ),
    row(
        "heads.compute_predicted_aligned_error",
        points=1,
        cases=[
            Case("AF2's 64 bins", lambda d: ((logits(d, "N_res", "N_res", 64),), {})),
            Case(
                "toy bins, another range",
                lambda d: (
                    (logits(d, "B", "N_res", "N_res", "N_bins"),),
                    {"max_error_bin": 15.5},
                ),
            ),
        ],
        mistakes=edits(r"""
        use the bin centres (pae_bin_centers: breaks + half a step, one more bin at the
        end), not N_bins evenly spaced values from 0 to max_error_bin
            centers = pae_bin_centers(N_bins, max_error_bin, \
                logits.dtype, logits.device) => centers = torch.linspace(0, \
                max_error_bin, N_bins, dtype=logits.dtype, device=logits.device)
        softmax over the bins (the last axis), not over the residues j
            torch.softmax(logits, dim=-1) => torch.softmax(logits, dim=-2)
        PAE is the expected error over the bins, not the centre of the likeliest bin
            pae = (torch.softmax(logits, dim=-1) * centers).sum(-1) => \
                pae = centers[logits.argmax(-1)]
        """),
    ),
    row(
        "heads.compute_ptm",
        points=3,
        sizes=dict(B=2, N_res=7, L=23, N_bins=11),
        hidden=dict(B=3, N_res=9, L=29, N_bins=13),
        cases=[
            Case(
                "a short chain (fewer than 19 residues), 64 bins",
                lambda d: (
                    (logits(d, "N_res", "N_res", 64), residue_weights(d, "N_res")),
                    {},
                ),
            ),
            Case("longer chains, masked residues, toy bins", _ptm_long),
        ],
        mistakes=edits(r"""
        d0 = 1.24 (N - 15)^(1/3) - 1.8 with N clipped below at 19 (clamp(min=19)), so
        that d0 stays positive for short chains
            n = torch.clamp(w.sum(-1), min=19) => n = w.sum(-1)
        d0 = 1.24 (N - 15)^(1/3) - 1.8: a cube root
            ** (1 / 3) => ** 0.5
        d0 = 1.24 (N - 15)^(1/3) - 1.8: subtract 1.8
            - 1.8) => )
        N is the number of residues that count, sum_j w_j, not the length of the axis
            torch.clamp(w.sum(-1), min=19) => \
                torch.clamp(torch.full_like(w.sum(-1), w.shape[-1]), min=19)
        pTM averages the TM-score term over the error distribution, E[f(e)] =
        sum_b p_b f(centre_b), not f of the expected error
            tm = (torch.softmax(logits, dim=-1) * f).sum(-1) => \
                e = (torch.softmax(logits, dim=-1) * centers).sum(-1) \
                \n    tm = 1 / (1 + (e / d0) ** 2)
        softmax over the bins (the last axis), not over the residues j
            torch.softmax(logits, dim=-1) => torch.softmax(logits, dim=-2)
        pTM takes the best alignment frame i (a max over i), not the mean over frames
            (per_alignment * w).max(-1).values => (per_alignment * w).mean(-1)
        for frame i (the row), average over the residues j (the last axis): logits
        [i, j] is the error of j aligned on i
            (tm * pair_w / (1e-8 + pair_w.sum(-1, keepdim=True))).sum(-1) => \
                (tm * pair_w / (1e-8 + pair_w.sum(-2, keepdim=True))).sum(-2)
        divide by (1e-8 + sum_j w_i w_j): a chain whose weights are all zero gives 0,
        not NaN
            (1e-8 + pair_w.sum(-1, keepdim=True)) => pair_w.sum(-1, keepdim=True)
        """),
    ),
]
