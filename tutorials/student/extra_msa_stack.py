"""The extra-MSA stack: the Evoformer's cheap sibling for the sequences that are not
cluster centres (SI §1.7.2).

AF2 keeps up to 1,024 (5,120 for some models) extra sequences beside the 512 cluster
centres. Full column attention over them would cost memory quadratic in their number,
so their blocks use *global* column attention (SI Alg. 19: one averaged query per
column), fewer channels (c_e = 64, 8 per head), and only the pair representation they
write to is used afterwards. Otherwise a block is the Evoformer's.
"""

from __future__ import annotations

import torch
from torch import nn

from .evoformer import EvoformerBlock


class ExtraMsaBlock(EvoformerBlock):
    """One block of the extra-MSA stack: an Evoformer block with global column attention.

    SI Algorithm 18 "ExtraMsaStack", lines 2-10. The defaults are the extra-MSA
    sizes (c_e = 64, 8 channels per head); its pair stack and outer product mean are
    the Evoformer block's.
    """

    is_extra_msa = True

    def __init__(
        self, c_m: int = 64, c_z: int = 128, c_hidden_msa_att: int = 8, **kwargs
    ):
        super().__init__(c_m, c_z, c_hidden_msa_att, **kwargs)

    def _msa_stack(self, m, z, msa_mask, chunk_size):
        """SI Alg. 18, lines 2-4: row attention, *global* column attention, transition.

        Args:
            m: [*, N_extra_seq, N_res, c_e] extra MSA representation.
            z: [*, N_res, N_res, c_z] pair representation.
            msa_mask: [*, N_extra_seq, N_res] 1 = keep.
            chunk_size: chunk size of every chunked layer (``None``: no chunking).

        Returns:
            the updated ``m``, same shape.
        """
        # SI Alg. 18, line 2: row attention with the pair bias, as in the Evoformer.
        # YOUR CODE HERE
        raise NotImplementedError()
        # SI Alg. 18, line 3: global column attention (SI Alg. 19).
        # YOUR CODE HERE
        raise NotImplementedError()
        # SI Alg. 18, line 4
        # YOUR CODE HERE
        raise NotImplementedError()
        return m


class ExtraMsaStack(nn.Module):
    """A stack of extra-MSA blocks; only its pair representation is used afterwards.

    SI Algorithm 18 "ExtraMsaStack".

    Args:
        N_block: number of blocks (4 in AF2).
        c_e, c_z, **kwargs: the sizes of every block (see ``ExtraMsaBlock``).
    """

    def __init__(self, N_block: int = 4, c_e: int = 64, c_z: int = 128, **kwargs):
        super().__init__()
        self.blocks = nn.ModuleList(
            ExtraMsaBlock(c_e, c_z, **kwargs) for _ in range(N_block)
        )

    def forward(
        self,
        e: torch.Tensor,
        z: torch.Tensor,
        extra_msa_mask: torch.Tensor,
        pair_mask: torch.Tensor,
        chunk_size: int | None = None,
    ) -> torch.Tensor:
        """Run every block in turn.

        Args:
            e: [*, N_extra_seq, N_res, c_e] extra MSA representation.
            z: [*, N_res, N_res, c_z] pair representation.
            extra_msa_mask: [*, N_extra_seq, N_res] 1 = keep.
            pair_mask: [*, N_res, N_res] 1 = keep.
            chunk_size: chunk size of every chunked layer (``None``: no chunking).

        Returns:
            [*, N_res, N_res, c_z] the updated pair representation.
        """
        for block in self.blocks:
            # SI Alg. 18: each block reads the (e, z) the previous one wrote.
            # YOUR CODE HERE
            raise NotImplementedError()
        return z
