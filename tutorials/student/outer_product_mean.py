"""The outer product mean: the MSA's way of writing into the pair representation."""

from __future__ import annotations

import torch
from torch import nn

from .chunking import chunk_layer


class OuterProductMean(nn.Module):
    """Average over the sequences of the outer product of two projections of the MSA.

    SI Algorithm 10 "OuterProductMean".

    Args:
        c_m: MSA channels.
        c_z: pair channels.
        c: channels of each projection (the outer product has c * c).
    """

    def __init__(self, c_m: int = 256, c_z: int = 128, c: int = 32):
        super().__init__()
        self.layer_norm = nn.LayerNorm(c_m)
        self.linear_a = nn.Linear(c_m, c)
        self.linear_b = nn.Linear(c_m, c)
        self.linear_out = nn.Linear(c * c, c_z)

    def forward(
        self, m: torch.Tensor, msa_mask: torch.Tensor, chunk_size: int | None = None
    ) -> torch.Tensor:
        """The outer-product-mean update of the pair representation.

        Args:
            m: [*, N_seq, N_res, c_m] MSA representation.
            msa_mask: [*, N_seq, N_res] 1 = keep.
            chunk_size: residues i per call of the outer product (``None``: all).

        Returns:
            [*, N_res, N_res, c_z] the update to the pair representation.
        """
        msa_mask = msa_mask.to(m.dtype)[..., None]
        # SI Alg. 10, lines 1-2: masked projections a_si, b_si.
        # a, b: [*, N_seq, N_res, c]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 10, lines 3-4, chunked over residue i: the rows of a go first.
        # o: [*, N_res, N_res, c_z]
        o = chunk_layer(
            lambda a, b: self._outer_product(a.transpose(-2, -3), b.squeeze(-4)),
            {"a": a.transpose(-2, -3), "b": b.unsqueeze(-4)},
            chunk_size,
            batch_dims=a.dim() - 2,
        )

        # Differs from SI: the sum (not the mean) goes through the Linear, whose
        # output, bias included, is then divided by 1e-3 + the number of sequence
        # pairs kept at (i, j), as the released AF2 code does.
        # norm: [*, N_res, N_res, 1]
        # YOUR CODE HERE
        raise NotImplementedError()
        return o

    def _outer_product(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Sum over the sequences of a_si (x) b_sj, flattened and projected to c_z.

        Args:
            a: [*, N_seq, I, c] left projection (I residues i, possibly a chunk).
            b: [*, N_seq, J, c] right projection.

        Returns:
            [*, I, J, c_z] ``Linear(flatten(sum_s a_si (x) b_sj))``; flatten in the
            order (channel of a, channel of b).
        """
        # SI Alg. 10, line 3 (the sum; the division comes later), then line 4.
        # [*, I, J, c, c] -> [*, I, J, c * c] -> [*, I, J, c_z]
        # YOUR CODE HERE
        raise NotImplementedError()
        return o
