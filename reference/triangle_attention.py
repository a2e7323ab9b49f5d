"""Triangle self-attention: edge (i, j) attends to the edges sharing its start node i
(or its end node j), biased by the third edge of each triangle."""

from __future__ import annotations

import torch
from torch import nn

from .attention import Attention, mask_bias
from .chunking import chunk_layer


class TriangleAttentionStartingNode(nn.Module):
    """Edge (i, j) attends to every edge (i, k), biased by the edge (j, k).

    SI Algorithm 13 "TriangleAttentionStartingNode".

    Args:
        c_z: pair channels.
        c: channels per head.
        N_head: number of heads.
    """

    def __init__(self, c_z: int = 128, c: int = 32, N_head: int = 4):
        super().__init__()
        self.layer_norm = nn.LayerNorm(c_z)
        self.linear_b = nn.Linear(c_z, N_head, bias=False)
        self.mha = Attention(c_z, c_z, c, N_head, c_z)

    def forward(
        self, z: torch.Tensor, pair_mask: torch.Tensor, chunk_size: int | None = None
    ) -> torch.Tensor:
        """The triangle-attention update around the starting node.

        Args:
            z: [*, N_res, N_res, c_z] pair representation.
            pair_mask: [*, N_res, N_res] 1 = keep.
            chunk_size: rows i per attention call (``None``: all at once).

        Returns:
            [*, N_res, N_res, c_z] the update to ``z``.
        """
        # SI Alg. 13, line 1
        ### BEGIN SOLUTION
        z = self.layer_norm(z)
        ### END SOLUTION

        # SI Alg. 13, line 3: the triangle bias b_jk^h, shared by every row i.
        # tri_bias: [*, 1, N_head, N_res, N_res]
        ### BEGIN SOLUTION
        tri_bias = self.linear_b(z).movedim(-1, -3).unsqueeze(-4)
        ### END SOLUTION

        # Masked edges (i, k) are masked as keys of row i.
        # key_bias: [*, N_res, 1, 1, N_res]
        ### BEGIN SOLUTION
        key_bias = mask_bias(pair_mask.to(z.dtype))[..., None, None, :]
        ### END SOLUTION

        # SI Alg. 13, lines 2 and 4-7: gated self-attention within each row i, a few
        # rows at a time (given): self.mha(z, z, (key_bias, tri_bias)) when unchunked.
        return chunk_layer(
            lambda z, key_bias, tri_bias: self.mha(z, z, (key_bias, tri_bias)),
            {"z": z, "key_bias": key_bias, "tri_bias": tri_bias},
            chunk_size,
            batch_dims=z.dim() - 2,
        )


class TriangleAttentionEndingNode(TriangleAttentionStartingNode):
    """Edge (i, j) attends to every edge (k, j), biased by the edge (k, i).

    SI Algorithm 14 "TriangleAttentionEndingNode". It is the starting-node
    attention on the transposed pair representation (z_ij -> z_ji), transposed back.

    Args:
        c_z: pair channels.
        c: channels per head.
        N_head: number of heads.
    """

    def forward(
        self, z: torch.Tensor, pair_mask: torch.Tensor, chunk_size: int | None = None
    ) -> torch.Tensor:
        """The triangle-attention update around the ending node.

        Args:
            z: [*, N_res, N_res, c_z] pair representation.
            pair_mask: [*, N_res, N_res] 1 = keep.
            chunk_size: columns j per attention call (``None``: all at once).

        Returns:
            [*, N_res, N_res, c_z] the update to ``z``.
        """
        # Transpose z and the mask, attend around the starting node, transpose back.
        # [*, N_res, N_res, c_z]
        ### BEGIN SOLUTION
        o = super().forward(
            z.transpose(-2, -3), pair_mask.transpose(-1, -2), chunk_size
        )
        o = o.transpose(-2, -3)
        ### END SOLUTION
        return o
