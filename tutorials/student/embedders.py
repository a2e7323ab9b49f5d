"""The embedders: from input features (and the previous pass) to the representations.

``InputEmbedder`` turns the target and cluster-MSA features into the first MSA and
pair representations, with the relative-position encoding (SI Alg. 3–5).
``RecyclingEmbedder`` adds what the previous pass predicted (SI Alg. 32), and
``ExtraMsaEmbedder`` projects the unclustered extra MSA for the extra-MSA stack
(SI Alg. 2, line 15).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .features import extra_msa_feat


class InputEmbedder(nn.Module):
    """SI Algorithm 3 "InputEmbedder", with SI Algorithm 4 "relpos".

    Args:
        tf_dim: channels of ``target_feat`` (22).
        msa_dim: channels of ``msa_feat`` (49).
        c_m: MSA representation channels.
        c_z: pair representation channels.
        relpos_k: relative positions are clipped to ``[-relpos_k, relpos_k]``.
    """

    def __init__(
        self,
        tf_dim: int = 22,
        msa_dim: int = 49,
        c_m: int = 256,
        c_z: int = 128,
        relpos_k: int = 32,
    ):
        super().__init__()
        self.relpos_k = relpos_k
        self.linear_tf_z_i = nn.Linear(tf_dim, c_z)
        self.linear_tf_z_j = nn.Linear(tf_dim, c_z)
        self.linear_tf_m = nn.Linear(tf_dim, c_m)
        self.linear_msa_m = nn.Linear(msa_dim, c_m)
        self.linear_relpos = nn.Linear(2 * relpos_k + 1, c_z)

    def forward(
        self,
        target_feat: torch.Tensor,
        residue_index: torch.Tensor,
        msa_feat: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Embed the features.

        Args:
            target_feat: [*, N_res, tf_dim] has_break and one-hot residue type.
            residue_index: [*, N_res] integer position of each residue in the chain.
            msa_feat: [*, N_clust, N_res, msa_dim] cluster-MSA features.

        Returns:
            m: [*, N_clust, N_res, c_m] MSA representation.
            z: [*, N_res, N_res, c_z] pair representation.
        """
        # SI Alg. 3, lines 1-2: z_ij = a_i + b_j
        # [*, N_res, N_res, c_z]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 3, line 3: the relative-position encoding
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 3, line 4: m_si = Linear(f_msa_si) + Linear(f_target_i)
        # [*, N_clust, N_res, c_m]
        # YOUR CODE HERE
        raise NotImplementedError()
        return m, z

    def relpos(self, residue_index: torch.Tensor) -> torch.Tensor:
        """SI Algorithm 4 "relpos", with the one-hot of SI Algorithm 5.

        Args:
            residue_index: [*, N_res] residue positions.

        Returns:
            [*, N_res, N_res, c_z] the encoding of the clipped offsets ``i - j``.
        """
        # SI Alg. 4, line 1: d_ij = r_i - r_j
        # [*, N_res, N_res]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 4, line 2 and Alg. 5: the nearest of the bins -k..k, i.e. clip, then one-hot.
        # Hint: shift by k so that the bin index runs from 0 to 2k.
        # [*, N_res, N_res, 2k + 1]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 4, line 3
        # [*, N_res, N_res, c_z]
        # YOUR CODE HERE
        raise NotImplementedError()
        return z


class RecyclingEmbedder(nn.Module):
    """SI Algorithm 32 "RecyclingEmbedder".

    Embeds the previous pass's first MSA row, pair representation and
    pseudo-β positions. AF2 applies it on every pass, the first included (with
    zeros as the previous outputs), so its biases and layer-norm offsets always
    contribute.

    Args:
        c_m: MSA representation channels.
        c_z: pair representation channels.
        min_bin: lower edge of the first distance bin (Å).
        max_bin: lower edge of the last distance bin (Å); the last bin is open.
        num_bins: number of distance bins.
    """

    def __init__(
        self,
        c_m: int = 256,
        c_z: int = 128,
        min_bin: float = 3.25,
        max_bin: float = 20.75,
        num_bins: int = 15,
    ):
        super().__init__()
        self.min_bin, self.max_bin, self.num_bins = min_bin, max_bin, num_bins
        self.linear_d = nn.Linear(num_bins, c_z)
        self.layer_norm_m = nn.LayerNorm(c_m)
        self.layer_norm_z = nn.LayerNorm(c_z)

    def forward(
        self, m_1: torch.Tensor, z: torch.Tensor, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The updates to add to the new first MSA row and pair representation.

        Args:
            m_1: [*, N_res, c_m] previous first row of the MSA representation.
            z: [*, N_res, N_res, c_z] previous pair representation.
            x: [*, N_res, 3] previous pseudo-β positions (Cβ, Cα for glycine), Å.

        Returns:
            m_1: [*, N_res, c_m] update to the first MSA row.
            z: [*, N_res, N_res, c_z] update to the pair representation.
        """
        # SI Alg. 32, line 2: one-hot of the distance bin.
        # Differs from SI: lower edges linspace(3.25, 20.75, 15) Å, compared as squared
        # distances with strict inequalities, as the released AF2 code does. The plain
        # form: (d > lower) & (d < upper) with d = |x_i - x_j|.
        # [*, N_res, N_res, num_bins]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 32, lines 3-4: z_ij = Linear(d_ij) + LayerNorm(z_ij)
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 32, line 5: m_1i = LayerNorm(m_1i)
        # YOUR CODE HERE
        raise NotImplementedError()
        return m_1, z

    def distance_bins(self, x: torch.Tensor) -> torch.Tensor:
        """One-hot distance bins of all position pairs, [*, N_res, 3] -> [*, N_res, N_res, num_bins].

        A distance exactly on an edge falls in no bin; zero distance (and all-zero
        positions on the first pass) falls in none either.
        """
        # [num_bins]
        lower = torch.linspace(
            self.min_bin, self.max_bin, self.num_bins, dtype=x.dtype, device=x.device
        )
        lower = lower**2
        upper = torch.cat([lower[1:], lower.new_tensor([1e8])])
        # [*, N_res, N_res, 1]
        d2 = ((x[..., :, None, :] - x[..., None, :, :]) ** 2).sum(-1, keepdim=True)
        return ((d2 > lower) & (d2 < upper)).to(x.dtype)


class ExtraMsaEmbedder(nn.Module):
    """SI Algorithm 2 "Inference", line 15: the extra-MSA embedding.

    Args:
        f: channels of the extra-MSA feature (25).
        c_e: extra-MSA representation channels.
    """

    def __init__(self, f: int = 25, c_e: int = 64):
        super().__init__()
        self.linear = nn.Linear(f, c_e)

    def forward(
        self,
        extra_msa: torch.Tensor,
        extra_has_deletion: torch.Tensor,
        extra_deletion_value: torch.Tensor,
    ) -> torch.Tensor:
        """Project the extra-MSA features.

        Args: as ``features.extra_msa_feat`` (lesson 1).

        Returns:
            e: [*, N_extra, N_res, c_e] extra-MSA representation.
        """
        # SI Alg. 2, line 15: e_si = Linear(f_extra_msa_feat_si)
        # [*, N_extra, N_res, c_e]
        # YOUR CODE HERE
        raise NotImplementedError()
        return e
