"""Attention inside the MSA representation: along rows (with the pair bias) and columns.

Row attention lets the residues of one sequence exchange information, steered by
the pair representation; column attention lets the sequences at one residue
position exchange information. The extra-MSA stack uses the cheaper global column
attention. Each module returns the *update* that the Evoformer block adds to ``m``.
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import Attention, GlobalAttention, mask_bias
from .chunking import chunk_layer


class MSARowAttentionWithPairBias(nn.Module):
    """Row-wise gated self-attention on the MSA, biased by the pair representation.

    SI Algorithm 7 "MSARowAttentionWithPairBias".

    Args:
        c_m: MSA channels.
        c_z: pair channels.
        c: channels per head.
        N_head: number of heads.
    """

    def __init__(self, c_m: int = 256, c_z: int = 128, c: int = 32, N_head: int = 8):
        super().__init__()
        self.layer_norm_m = nn.LayerNorm(c_m)
        self.layer_norm_z = nn.LayerNorm(c_z)
        self.linear_z = nn.Linear(c_z, N_head, bias=False)
        self.mha = Attention(c_m, c_m, c, N_head, c_m)

    def forward(
        self,
        m: torch.Tensor,
        z: torch.Tensor,
        msa_mask: torch.Tensor,
        chunk_size: int | None = None,
    ) -> torch.Tensor:
        """The row-attention update of the MSA representation.

        Args:
            m: [*, N_seq, N_res, c_m] MSA representation.
            z: [*, N_res, N_res, c_z] pair representation.
            msa_mask: [*, N_seq, N_res] 1 = keep.
            chunk_size: rows of the MSA per attention call (``None``: all at once).

        Returns:
            [*, N_seq, N_res, c_m] the update to ``m``.
        """
        # SI Alg. 7, line 1
        ### BEGIN SOLUTION
        m = self.layer_norm_m(m)
        ### END SOLUTION

        # SI Alg. 7, line 3: one bias per head from the normalised pair, b_ij^h.
        # Hint: move the head axis in front of (i, j); add the row axis for broadcasting.
        # pair_bias: [*, 1, N_head, N_res, N_res]
        ### BEGIN SOLUTION
        pair_bias = self.linear_z(self.layer_norm_z(z)).movedim(-1, -3).unsqueeze(-4)
        ### END SOLUTION

        # Masked residues of each row are masked as keys: 1e9 * (mask - 1).
        # key_bias: [*, N_seq, 1, 1, N_res]
        ### BEGIN SOLUTION
        key_bias = mask_bias(msa_mask.to(m.dtype))[..., None, None, :]
        ### END SOLUTION

        # SI Alg. 7, lines 2 and 4-7: gated self-attention within each row, a few
        # rows at a time (given): self.mha(m, m, (key_bias, pair_bias)) when unchunked.
        return chunk_layer(
            lambda m, key_bias, pair_bias: self.mha(m, m, (key_bias, pair_bias)),
            {"m": m, "key_bias": key_bias, "pair_bias": pair_bias},
            chunk_size,
            batch_dims=m.dim() - 2,
        )


class MSAColumnAttention(nn.Module):
    """Column-wise gated self-attention on the MSA.

    SI Algorithm 8 "MSAColumnAttention".

    Args:
        c_m: MSA channels.
        c: channels per head.
        N_head: number of heads.
    """

    def __init__(self, c_m: int = 256, c: int = 32, N_head: int = 8):
        super().__init__()
        self.layer_norm_m = nn.LayerNorm(c_m)
        self.mha = Attention(c_m, c_m, c, N_head, c_m)

    def forward(
        self, m: torch.Tensor, msa_mask: torch.Tensor, chunk_size: int | None = None
    ) -> torch.Tensor:
        """The column-attention update of the MSA representation.

        Args:
            m: [*, N_seq, N_res, c_m] MSA representation.
            msa_mask: [*, N_seq, N_res] 1 = keep.
            chunk_size: columns of the MSA per attention call (``None``: all at once).

        Returns:
            [*, N_seq, N_res, c_m] the update to ``m``.
        """
        # Attend along the sequences: make the columns the rows.
        # m: [*, N_res, N_seq, c_m]; key_bias: [*, N_res, 1, 1, N_seq]
        ### BEGIN SOLUTION
        m = m.transpose(-2, -3)
        key_bias = mask_bias(msa_mask.to(m.dtype)).transpose(-1, -2)[..., None, None, :]
        ### END SOLUTION

        # SI Alg. 8, line 1
        ### BEGIN SOLUTION
        m = self.layer_norm_m(m)
        ### END SOLUTION

        # SI Alg. 8, lines 2-6: gated self-attention within each column, a few
        # columns at a time (given): self.mha(m, m, (key_bias,)) when unchunked.
        o = chunk_layer(
            lambda m, key_bias: self.mha(m, m, (key_bias,)),
            {"m": m, "key_bias": key_bias},
            chunk_size,
            batch_dims=m.dim() - 2,
        )

        # Back to [*, N_seq, N_res, c_m]
        ### BEGIN SOLUTION
        o = o.transpose(-2, -3)
        ### END SOLUTION
        return o


class MSAColumnGlobalAttention(nn.Module):
    """Column-wise gated global attention on the extra MSA.

    SI Algorithm 19 "MSAColumnGlobalAttention".

    Args:
        c_m: channels of the (extra) MSA representation, c_e = 64 in the SI.
        c: channels per head.
        N_head: number of heads.
    """

    def __init__(self, c_m: int = 64, c: int = 8, N_head: int = 8):
        super().__init__()
        self.layer_norm_m = nn.LayerNorm(c_m)
        self.global_attention = GlobalAttention(c_m, c, N_head, c_m)

    def forward(
        self, m: torch.Tensor, msa_mask: torch.Tensor, chunk_size: int | None = None
    ) -> torch.Tensor:
        """The global column-attention update of the extra MSA representation.

        Args:
            m: [*, N_seq, N_res, c_m] extra MSA representation.
            msa_mask: [*, N_seq, N_res] 1 = keep.
            chunk_size: columns per attention call (``None``: all at once).

        Returns:
            [*, N_seq, N_res, c_m] the update to ``m``.
        """
        # Attend along the sequences: make the columns the rows.
        # m: [*, N_res, N_seq, c_m]; msa_mask: [*, N_res, N_seq]
        ### BEGIN SOLUTION
        m = m.transpose(-2, -3)
        msa_mask = msa_mask.transpose(-1, -2)
        ### END SOLUTION

        # SI Alg. 19, line 1
        ### BEGIN SOLUTION
        m = self.layer_norm_m(m)
        ### END SOLUTION

        # SI Alg. 19, lines 2-7: global attention within each column, a few columns
        # at a time (given): self.global_attention(m, msa_mask) when unchunked.
        o = chunk_layer(
            self.global_attention,
            {"m": m, "mask": msa_mask},
            chunk_size,
            batch_dims=m.dim() - 2,
        )

        # Back to [*, N_seq, N_res, c_m]
        ### BEGIN SOLUTION
        o = o.transpose(-2, -3)
        ### END SOLUTION
        return o
