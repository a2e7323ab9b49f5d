"""The Evoformer: blocks that refine the MSA and pair representations together, and
the stack of 48 of them (SI §1.6). The extra-MSA stack's blocks are Evoformer blocks
with global column attention (``extra_msa_stack.py``)."""

from __future__ import annotations

import torch
from torch import nn

from .low_memory import evoformer_block_inplace
from .msa_attention import (
    MSAColumnAttention,
    MSAColumnGlobalAttention,
    MSARowAttentionWithPairBias,
)
from .outer_product_mean import OuterProductMean
from .transition import MSATransition, PairTransition
from .triangle_attention import (
    TriangleAttentionEndingNode,
    TriangleAttentionStartingNode,
)
from .triangle_multiplication import (
    TriangleMultiplicationIncoming,
    TriangleMultiplicationOutgoing,
)


class EvoformerBlock(nn.Module):
    """One Evoformer block: MSA stack, communication, pair stack, all residual.

    SI Algorithm 6 "EvoformerStack", lines 2-10.

    Args:
        c_m: MSA channels.
        c_z: pair channels.
        c_hidden_msa_att: channels per head of the MSA row/column attention.
        N_head_msa: heads of the MSA row/column attention.
        c_hidden_opm: channels of the outer-product-mean projections.
        c_hidden_mul: channels of the triangle-multiplication projections.
        c_hidden_pair_att: channels per head of the triangle attention.
        N_head_pair: heads of the triangle attention.
        n_transition: widening factor of both transitions.
        outer_product_mean_first: run the outer product mean before the MSA
            attention (AF2-Multimer's order) instead of after the MSA transition.
    """

    # The extra-MSA block (SI Alg. 18) swaps in global column attention.
    is_extra_msa = False
    # At inference, update z in place, a few rows at a time (low_memory.py).
    inplace = False

    def __init__(
        self,
        c_m: int = 256,
        c_z: int = 128,
        c_hidden_msa_att: int = 32,
        N_head_msa: int = 8,
        c_hidden_opm: int = 32,
        c_hidden_mul: int = 128,
        c_hidden_pair_att: int = 32,
        N_head_pair: int = 4,
        n_transition: int = 4,
        outer_product_mean_first: bool = False,
    ):
        super().__init__()
        self.outer_product_mean_first = outer_product_mean_first
        self.msa_row_attention_with_pair_bias = MSARowAttentionWithPairBias(
            c_m, c_z, c_hidden_msa_att, N_head_msa
        )
        if self.is_extra_msa:
            self.msa_column_global_attention = MSAColumnGlobalAttention(
                c_m, c_hidden_msa_att, N_head_msa
            )
        else:
            self.msa_column_attention = MSAColumnAttention(
                c_m, c_hidden_msa_att, N_head_msa
            )
        self.msa_transition = MSATransition(c_m, n_transition)
        self.outer_product_mean = OuterProductMean(c_m, c_z, c_hidden_opm)
        self.triangle_multiplication_outgoing = TriangleMultiplicationOutgoing(
            c_z, c_hidden_mul
        )
        self.triangle_multiplication_incoming = TriangleMultiplicationIncoming(
            c_z, c_hidden_mul
        )
        self.triangle_attention_starting_node = TriangleAttentionStartingNode(
            c_z, c_hidden_pair_att, N_head_pair
        )
        self.triangle_attention_ending_node = TriangleAttentionEndingNode(
            c_z, c_hidden_pair_att, N_head_pair
        )
        self.pair_transition = PairTransition(c_z, n_transition)

    def forward(
        self,
        m: torch.Tensor,
        z: torch.Tensor,
        msa_mask: torch.Tensor,
        pair_mask: torch.Tensor,
        chunk_size: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Refine both representations once.

        Args:
            m: [*, N_seq, N_res, c_m] MSA representation.
            z: [*, N_res, N_res, c_z] pair representation.
            msa_mask: [*, N_seq, N_res] 1 = keep.
            pair_mask: [*, N_res, N_res] 1 = keep.
            chunk_size: chunk size of every chunked layer (``None``: no chunking).

        Returns:
            (m, z), the updated representations, same shapes.
        """
        if self.inplace and not torch.is_grad_enabled():
            return evoformer_block_inplace(self, m, z, msa_mask, pair_mask, chunk_size)
        if self.outer_product_mean_first:
            z = z + self.outer_product_mean(m, msa_mask, chunk_size)
        m = self._msa_stack(m, z, msa_mask, chunk_size)
        # SI Alg. 6, line 5: the MSA writes into the pair representation.
        if not self.outer_product_mean_first:
            ### BEGIN SOLUTION
            z = z + self.outer_product_mean(m, msa_mask, chunk_size)
            ### END SOLUTION
        z = self._pair_stack(z, pair_mask, chunk_size)
        return m, z

    def _msa_stack(self, m, z, msa_mask, chunk_size):
        """SI Alg. 6, lines 2-4: row attention, column attention, transition.

        Shapes as in ``forward``; returns the updated ``m``.
        """
        # SI Alg. 6, line 2
        ### BEGIN SOLUTION
        m = m + self.msa_row_attention_with_pair_bias(m, z, msa_mask, chunk_size)
        ### END SOLUTION
        # SI Alg. 6, line 3
        ### BEGIN SOLUTION
        m = m + self.msa_column_attention(m, msa_mask, chunk_size)
        ### END SOLUTION
        # SI Alg. 6, line 4
        ### BEGIN SOLUTION
        m = m + self.msa_transition(m, chunk_size)
        ### END SOLUTION
        return m

    def _pair_stack(self, z, pair_mask, chunk_size):
        """SI Alg. 6, lines 6-10: triangle updates, triangle attention, transition.

        Shapes as in ``forward``; returns the updated ``z``.
        """
        # SI Alg. 6, lines 6-7
        ### BEGIN SOLUTION
        z = z + self.triangle_multiplication_outgoing(z, pair_mask)
        z = z + self.triangle_multiplication_incoming(z, pair_mask)
        ### END SOLUTION
        # SI Alg. 6, lines 8-9
        ### BEGIN SOLUTION
        z = z + self.triangle_attention_starting_node(z, pair_mask, chunk_size)
        z = z + self.triangle_attention_ending_node(z, pair_mask, chunk_size)
        ### END SOLUTION
        # SI Alg. 6, line 10
        ### BEGIN SOLUTION
        z = z + self.pair_transition(z, chunk_size)
        ### END SOLUTION
        return z


class EvoformerStack(nn.Module):
    """A stack of Evoformer blocks, each with its own weights.

    SI Algorithm 6 "EvoformerStack" (the projection to the single representation,
    line 12, belongs to the model).

    Args:
        N_block: number of blocks.
        c_m, c_z, **kwargs: the sizes of every block (see ``EvoformerBlock``).
    """

    def __init__(self, N_block: int = 48, c_m: int = 256, c_z: int = 128, **kwargs):
        super().__init__()
        self.blocks = nn.ModuleList(
            EvoformerBlock(c_m, c_z, **kwargs) for _ in range(N_block)
        )

    def forward(self, m, z, msa_mask, pair_mask, chunk_size=None):
        """Run every block in turn; arguments and results as ``EvoformerBlock.forward``."""
        for block in self.blocks:
            # SI Alg. 6: block i reads the (m, z) that block i-1 wrote; each has its own weights.
            ### BEGIN SOLUTION
            m, z = block(m, z, msa_mask, pair_mask, chunk_size)
            ### END SOLUTION
        return m, z
