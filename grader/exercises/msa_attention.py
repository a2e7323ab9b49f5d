"""Exercises of ``reference/msa_attention.py`` (lesson 3)."""

from ..cases import Case, Edit, Exercise
from ..inputs import msa, pair
from .attention import ATOL, RTOL

SIZES = dict(B=2, N_seq=3, N_res=5, c_m=7, c_z=6, c=4, N_head=11)
HIDDEN = dict(B=3, N_seq=4, N_res=6, c_m=5, c_z=9, c=2, N_head=7)
NO_NORM = "m = self.layer_norm_m(m)"
INF_MASK = "torch.where(msa_mask > 0, 0.0, -torch.inf)"


def _row(batch: bool):
    def build(d):
        m, msa_mask = msa(d, batch)
        return (m, pair(d, batch), msa_mask), {}

    return build


def _column(batch: bool):
    return lambda d: (msa(d, batch), {})


COLUMN_CASES = [
    Case("one MSA", _column(False)),
    Case("batched; holes, padding, a masked sequence", _column(True)),
]
EXERCISES = [
    Exercise(
        "msa_attention.MSARowAttentionWithPairBias",
        lesson=3,
        points=2,
        sizes=SIZES,
        hidden=HIDDEN,
        init=dict(c_m="c_m", c_z="c_z", c="c", N_head="N_head"),
        cases=[
            Case("one MSA", _row(False)),
            Case("batched; holes, padding, a masked sequence", _row(True)),
        ],
        atol=ATOL,
        rtol=RTOL,
        mistakes=[
            Edit("layer-normalise m first (SI Alg. 7, line 1)", NO_NORM, "m = m"),
            Edit(
                "the pair bias comes from the layer-normalised z: linear_z(layer_norm_z(z))",
                "self.linear_z(self.layer_norm_z(z))",
                "self.linear_z(z)",
            ),
            Edit(
                "the bias of head h for query i and key j is b_ij^h: it is transposed",
                ".movedim(-1, -3).unsqueeze(-4)",
                ".movedim(-1, -3).transpose(-1, -2).unsqueeze(-4)",
            ),
            Edit(
                "masked residues are masked as *keys* (the last axis), not as queries",
                "[..., None, None, :]",
                "[..., None, :, None]",
            ),
            Edit(
                "mask with mask_bias (-1e9), not -inf: a fully masked sequence gives NaN",
                "mask_bias(msa_mask.to(m.dtype))",
                INF_MASK,
            ),
        ],
    ),
    Exercise(
        "msa_attention.MSAColumnAttention",
        lesson=3,
        points=2,
        sizes=SIZES,
        hidden=HIDDEN,
        init=dict(c_m="c_m", c="c", N_head="N_head"),
        cases=COLUMN_CASES,
        atol=ATOL,
        rtol=RTOL,
        mistakes=[
            Edit(
                "column attention attends along the sequences: transpose N_seq and "
                "N_res first (and back)",
                (
                    "m = m.transpose(-2, -3)",
                    ".transpose(-1, -2)[",
                    "o = o.transpose(-2, -3)",
                ),
                ("m = m", "[", "o = o"),
            ),
            Edit("layer-normalise m first (SI Alg. 8, line 1)", NO_NORM, "m = m"),
            Edit(
                "transpose the result back to [*, N_seq, N_res, c_m]",
                "o = o.transpose(-2, -3)",
                "o = o",
            ),
            Edit(
                "mask with mask_bias (-1e9), not -inf: a padded column gives NaN",
                "mask_bias(msa_mask.to(m.dtype))",
                INF_MASK,
            ),
        ],
    ),
    Exercise(
        "msa_attention.MSAColumnGlobalAttention",
        lesson=3,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        init=dict(c_m="c_m", c="c", N_head="N_head"),
        cases=COLUMN_CASES,
        atol=ATOL,
        rtol=RTOL,
        mistakes=[
            Edit(
                "global column attention attends along the sequences: transpose N_seq "
                "and N_res first (and back)",
                (
                    "m = m.transpose(-2, -3)\n        msa_mask = msa_mask.transpose(-1, -2)",
                    "o = o.transpose(-2, -3)",
                ),
                ("pass", "o = o"),
            ),
            Edit("layer-normalise m first (SI Alg. 19, line 1)", NO_NORM, "m = m"),
            Edit(
                "pass the transposed mask to the global attention",
                "msa_mask = msa_mask.transpose(-1, -2)",
                "msa_mask = msa_mask.new_ones(m.shape[:-1])",
            ),
        ],
    ),
]
