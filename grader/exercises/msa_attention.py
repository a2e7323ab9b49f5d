"""Exercises of ``reference/msa_attention.py`` (lesson 3)."""

from functools import partial

from ..cases import Case, Exercise, edits
from ..inputs import msa, pair
from .attention import TOL

SIZES = dict(B=2, N_seq=3, N_res=5, c_m=7, c_z=6, c=4, N_head=11)
HIDDEN = dict(B=3, N_seq=4, N_res=6, c_m=5, c_z=9, c=2, N_head=7)
row = partial(Exercise, lesson=3, sizes=SIZES, hidden=HIDDEN, **TOL)


def _row(d, batch: bool):
    m, msa_mask = msa(d, batch)
    return (m, pair(d, batch), msa_mask), {}


COLUMN_CASES = [
    Case("one MSA", lambda d: (msa(d, False), {})),
    Case("batched; holes, padding, a masked sequence", lambda d: (msa(d), {})),
]
EXERCISES = [
    row(
        "msa_attention.MSARowAttentionWithPairBias",
        points=2,
        init=dict(c_m="c_m", c_z="c_z", c="c", N_head="N_head"),
        cases=[
            Case("one MSA", partial(_row, batch=False)),
            Case(
                "batched; holes, padding, a masked sequence", partial(_row, batch=True)
            ),
        ],
        mistakes=edits(r"""
        layer-normalise m first (SI Alg. 7, line 1)
            m = self.layer_norm_m(m) => m = m
        the pair bias comes from the layer-normalised z: linear_z(layer_norm_z(z))
            self.linear_z(self.layer_norm_z(z)) => self.linear_z(z)
        the bias of head h for query i and key j is b_ij^h: it is transposed
            .movedim(-1, -3).unsqueeze(-4) => .movedim(-1, -3).mT.unsqueeze(-4)
        masked residues are masked as *keys* (the last axis), not as queries
            [..., None, None, :] => [..., None, :, None]
        mask with mask_bias (-1e9), not -inf: a fully masked sequence gives NaN
            mask_bias(msa_mask.to(m.dtype)) => \
                torch.where(msa_mask > 0, 0.0, -torch.inf)
        """),
    ),
    row(
        "msa_attention.MSAColumnAttention",
        points=2,
        init=dict(c_m="c_m", c="c", N_head="N_head"),
        cases=COLUMN_CASES,
        mistakes=edits(r"""
        column attention attends along the sequences: transpose N_seq and N_res
        first (and back)
            m = m.transpose(-2, -3) => m = m
            .transpose(-1, -2)[ => [
            o = o.transpose(-2, -3) => o = o
        layer-normalise m first (SI Alg. 8, line 1)
            m = self.layer_norm_m(m) => m = m
        transpose the result back to [*, N_seq, N_res, c_m]
            o = o.transpose(-2, -3) => o = o
        mask with mask_bias (-1e9), not -inf: a padded column gives NaN
            mask_bias(msa_mask.to(m.dtype)) => \
                torch.where(msa_mask > 0, 0.0, -torch.inf)
        """),
    ),
    row(
        "msa_attention.MSAColumnGlobalAttention",
        points=1,
        init=dict(c_m="c_m", c="c", N_head="N_head"),
        cases=COLUMN_CASES,
        mistakes=edits(r"""
        global column attention attends along the sequences: transpose N_seq and
        N_res first (and back)
            m = m.transpose(-2, -3) => m = m
            msa_mask = msa_mask.transpose(-1, -2) => msa_mask = msa_mask
            o = o.transpose(-2, -3) => o = o
        layer-normalise m first (SI Alg. 19, line 1)
            m = self.layer_norm_m(m) => m = m
        pass the transposed mask to the global attention
            msa_mask = msa_mask.transpose(-1, -2) => \
                msa_mask = msa_mask.new_ones(m.shape[:-1])
        """),
    ),
]
