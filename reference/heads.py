"""The output heads, and the small functions that turn their logits into confidences.

Each head is one or a few linear layers on a representation: the pLDDT head on the
structure module's single representation, the distogram and predicted-aligned-error
heads on the pair representation, the masked-MSA head on the MSA representation, the
experimentally-resolved head on the trunk's single representation. Only pLDDT, PAE
and pTM are used at inference; the others served training and are kept so that every
array of DeepMind's parameter files has its place.

The confidence functions take logits with any leading batch shape ``*``.
``AuxiliaryHeads`` (``AuxiliaryHeadsPTM`` for the ``_ptm`` models) runs every head of
one pass and turns the logits into pLDDT, PAE and pTM.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from .config import AlphaFoldConfig


class PredictedLDDTHead(nn.Module):
    """SI Algorithm 29 "predictPerResidueLDDT_Ca".

    Args:
        c_s: channels of the single representation (of the structure module).
        c: hidden channels.
        N_bins: lDDT bins of width 1 / N_bins on [0, 1].
    """

    def __init__(self, c_s: int = 384, c: int = 128, N_bins: int = 50):
        super().__init__()
        self.layer_norm = nn.LayerNorm(c_s)
        self.linear_1 = nn.Linear(c_s, c)
        self.linear_2 = nn.Linear(c, c)
        self.linear_3 = nn.Linear(c, N_bins)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """s: [*, N_res, c_s] the structure module's ``single``.

        Returns logits: [*, N_res, N_bins].
        """
        # SI Alg. 29: LayerNorm, Linear, relu, Linear, relu, Linear (the logits).
        # logits: [*, N_res, N_bins]
        ### BEGIN SOLUTION
        a = torch.relu(self.linear_1(self.layer_norm(s)))
        logits = self.linear_3(torch.relu(self.linear_2(a)))
        ### END SOLUTION
        return logits


def compute_plddt(logits: torch.Tensor) -> torch.Tensor:
    """The predicted lDDT-Cα of every residue, 0-100 (SI §1.9.6).

    Args:
        logits: [*, N_res, N_bins] the output of ``PredictedLDDTHead``.

    Returns:
        [*, N_res] ``100 * sum_b softmax(logits)_b * v_b``, with bin centres
        ``v_b = (b + 0.5) / N_bins``.
    """
    # v: [N_bins]; plddt: [*, N_res]
    ### BEGIN SOLUTION
    N_bins = logits.shape[-1]
    v = (torch.arange(N_bins, dtype=logits.dtype, device=logits.device) + 0.5) / N_bins
    plddt = 100 * (torch.softmax(logits, dim=-1) * v).sum(-1)
    ### END SOLUTION
    return plddt


class DistogramHead(nn.Module):
    """SI §1.9.8: the distogram, a distribution over Cβ distances for each pair.

    Args:
        c_z: channels of the pair representation.
        N_bins: distance bins (see ``distogram_bin_edges``).
    """

    def __init__(self, c_z: int = 128, N_bins: int = 64):
        super().__init__()
        self.linear = nn.Linear(c_z, N_bins)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: [*, N_res, N_res, c_z] -> symmetric logits [*, N_res, N_res, N_bins]."""
        # Differs from SI: symmetrises the logits (so the bias counts twice) instead
        # of the input z_ij + z_ji, as the released AF2 code does.
        # logits: [*, N_res, N_res, N_bins], logits[i, j] == logits[j, i]
        ### BEGIN SOLUTION
        half = self.linear(z)
        logits = half + half.transpose(-2, -3)
        ### END SOLUTION
        return logits


def distogram_bin_edges(
    N_bins: int = 64,
    first: float = 2.3125,
    last: float = 21.6875,
    dtype=None,
    device=None,
) -> torch.Tensor:
    """The N_bins - 1 inner edges (Å) of the distogram bins, evenly spaced.

    Bin 0 holds distances below ``edges[0]``, bin b those in
    ``[edges[b - 1], edges[b])``, the last bin those above ``edges[-1]``.
    """
    return torch.linspace(first, last, N_bins - 1, dtype=dtype, device=device)


def contact_probability(logits: torch.Tensor, threshold: float = 8.0) -> torch.Tensor:
    """The probability that residues i and j are in contact: their Cβ atoms (Cα for
    glycine) closer than ``threshold`` Å (8 Å is CASP's definition of a contact).

    Args:
        logits: [*, N_res, N_res, N_bins] the output of ``DistogramHead``.
        threshold: the contact distance (Å).

    Returns:
        [*, N_res, N_res] the summed probability of the bins that lie wholly below
        ``threshold``: those whose upper edge is at most ``threshold``.
    """
    N_bins = logits.shape[-1]
    edges = distogram_bin_edges(N_bins, dtype=logits.dtype, device=logits.device)
    # Bin b's upper edge is edges[b]; the last bin has none (it is open).
    # below: [N_bins] 1 for the bins below the threshold; contact: [*, N_res, N_res]
    ### BEGIN SOLUTION
    below = torch.cat([edges <= threshold, edges.new_zeros(1, dtype=torch.bool)])
    contact = (torch.softmax(logits, dim=-1) * below).sum(-1)
    ### END SOLUTION
    return contact


class MaskedMsaHead(nn.Module):
    """SI §1.9.9: the residue type at every masked MSA position (BERT-style).

    Args:
        c_m: channels of the MSA representation.
        N_out: classes (20 amino acids, X, gap, mask token).
    """

    def __init__(self, c_m: int = 256, N_out: int = 23):
        super().__init__()
        self.linear = nn.Linear(c_m, N_out)

    def forward(self, m: torch.Tensor) -> torch.Tensor:
        """m: [*, N_seq, N_res, c_m] -> logits [*, N_seq, N_res, N_out]."""
        return self.linear(m)


class ExperimentallyResolvedHead(nn.Module):
    """SI §1.9.10: whether each atom would be resolved in an experiment.

    Args:
        c_s: channels of the (trunk's) single representation.
        N_atoms: atom37 types.
    """

    def __init__(self, c_s: int = 384, N_atoms: int = 37):
        super().__init__()
        self.linear = nn.Linear(c_s, N_atoms)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """s: [*, N_res, c_s] -> logits [*, N_res, N_atoms] (sigmoid: probability)."""
        return self.linear(s)


class PredictedAlignedErrorHead(nn.Module):
    """SI §1.9.7: the predicted aligned error of every pair, as a distribution.

    Logit [i, j, b]: the error of residue j's position when the prediction and the
    truth are aligned on residue i's frame falls into bin b
    (see ``compute_predicted_aligned_error``).

    Args:
        c_z: channels of the pair representation.
        N_bins: error bins.
    """

    def __init__(self, c_z: int = 128, N_bins: int = 64):
        super().__init__()
        self.linear = nn.Linear(c_z, N_bins)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: [*, N_res, N_res, c_z] -> logits [*, N_res, N_res, N_bins]."""
        return self.linear(z)


def pae_bin_centers(
    N_bins: int = 64, max_error_bin: float = 31.0, dtype=None, device=None
) -> torch.Tensor:
    """The N_bins error-bin centres (Å).

    The breaks ``linspace(0, max_error_bin, N_bins - 1)`` plus half a step, and one
    last bin a step beyond: 0.25, 0.75, ..., 31.25, 31.75 for the defaults.
    """
    breaks = torch.linspace(0, max_error_bin, N_bins - 1, dtype=dtype, device=device)
    step = breaks[1] - breaks[0]
    return torch.cat([breaks + step / 2, breaks[-1:] + step * 3 / 2])


def compute_predicted_aligned_error(
    logits: torch.Tensor, max_error_bin: float = 31.0
) -> torch.Tensor:
    """The expected aligned error (Å) of every pair (SI §1.9.7).

    Args:
        logits: [*, N_res, N_res, N_bins] the output of ``PredictedAlignedErrorHead``.
        max_error_bin: the last bin edge.

    Returns:
        pae: [*, N_res, N_res] ``sum_b softmax(logits)_b * centre_b``.
    """
    # Hint: pae_bin_centers gives the centres.
    # pae: [*, N_res, N_res]
    ### BEGIN SOLUTION
    N_bins = logits.shape[-1]
    centers = pae_bin_centers(N_bins, max_error_bin, logits.dtype, logits.device)
    pae = (torch.softmax(logits, dim=-1) * centers).sum(-1)
    ### END SOLUTION
    return pae


def compute_ptm(
    logits: torch.Tensor,
    residue_weights: torch.Tensor | None = None,
    max_error_bin: float = 31.0,
) -> torch.Tensor:
    """The predicted TM-score of the whole chain (SI §1.9.7).

    Args:
        logits: [*, N_res, N_res, N_bins] the output of ``PredictedAlignedErrorHead``.
        residue_weights: [*, N_res] weights in [0, 1] (e.g. ``seq_mask``); default 1.
        max_error_bin: the last bin edge.

    Returns:
        ptm: [*] ``max_i w_i * sum_j w_j E[f(e_ij)] / sum_j w_j`` with the TM-score
        term ``f(e) = 1 / (1 + (e / d0)^2)``,
        ``d0 = 1.24 * (max(sum_j w_j, 19) - 15)^(1/3) - 1.8``.
    """
    if residue_weights is None:
        residue_weights = logits.new_ones(logits.shape[:-2])
    w = residue_weights.to(logits.dtype)
    N_bins = logits.shape[-1]
    centers = pae_bin_centers(N_bins, max_error_bin, logits.dtype, logits.device)

    # d0 from the number of residues (clipped at 19 so d0 stays positive).
    # d0: [*, 1, 1]
    ### BEGIN SOLUTION
    n = torch.clamp(w.sum(-1), min=19)
    d0 = (1.24 * (n - 15) ** (1 / 3) - 1.8)[..., None, None]
    ### END SOLUTION

    # The expected TM-score term of every pair, E[f(e_ij)] = sum_b p_ijb f(centre_b).
    # tm: [*, N_res, N_res]
    ### BEGIN SOLUTION
    f = 1 / (1 + (centers / d0[..., None]) ** 2)
    tm = (torch.softmax(logits, dim=-1) * f).sum(-1)
    ### END SOLUTION

    # Weighted mean over j for each alignment frame i, then the best i (times w_i).
    # Hint: AF2 normalises the pair weights w_i w_j by (1e-8 + sum_j w_i w_j).
    # ptm: [*]
    ### BEGIN SOLUTION
    pair_w = w[..., :, None] * w[..., None, :]
    per_alignment = (tm * pair_w / (1e-8 + pair_w.sum(-1, keepdim=True))).sum(-1)
    ptm = (per_alignment * w).max(-1).values
    ### END SOLUTION
    return ptm


class AuxiliaryHeads(nn.Module):
    """SI §1.9: the output heads of one pass, and the confidences from their logits.

    Args:
        config: the sizes of every head (``reference.config``).
    """

    def __init__(self, config: AlphaFoldConfig):
        super().__init__()
        c = self.config = config
        self.predicted_lddt = PredictedLDDTHead(c.c_s, c.c_plddt, c.N_plddt_bins)
        self.distogram = DistogramHead(c.c_z, c.N_distogram_bins)
        self.masked_msa = MaskedMsaHead(c.c_m, c.N_masked_msa_classes)
        self.experimentally_resolved = ExperimentallyResolvedHead(c.c_s, c.N_atom37)

    def forward(
        self,
        rep: Mapping[str, torch.Tensor],
        sm: Mapping[str, torch.Tensor],
        seq_mask: torch.Tensor,
    ) -> dict:
        """The logits of every head and the confidences.

        Args:
            rep: the trunk's ``msa``, ``pair`` and ``single``
                (``AlphaFold.embed_and_evoform``).
            sm: the structure module's outputs (its ``single`` feeds the pLDDT head).
            seq_mask: [N_res] residue weights of the pTM score.

        Returns:
            dict of ``predicted_lddt_logits`` [N_res, 50], ``plddt`` [N_res] (0-100),
            ``distogram_logits`` [N_res, N_res, 64], ``masked_msa_logits``
            [N_clust, N_res, 23], ``experimentally_resolved_logits`` [N_res, 37].
        """
        logits = self.predicted_lddt(sm["single"])
        return {
            "predicted_lddt_logits": logits,
            "plddt": compute_plddt(logits),
            "distogram_logits": self.distogram(rep["pair"]),
            "masked_msa_logits": self.masked_msa(rep["msa"]),
            "experimentally_resolved_logits": self.experimentally_resolved(
                rep["single"]
            ),
        }


class AuxiliaryHeadsPTM(AuxiliaryHeads):
    """The heads of the ``_ptm`` models: also the predicted aligned error
    (SI §1.9.7)."""

    def __init__(self, config: AlphaFoldConfig):
        super().__init__(config)
        self.predicted_aligned_error = PredictedAlignedErrorHead(
            config.c_z, config.N_pae_bins
        )

    def forward(self, rep, sm, seq_mask):
        """As ``AuxiliaryHeads``, plus ``pae_logits`` [N_res, N_res, 64],
        ``predicted_aligned_error`` [N_res, N_res] (Å), ``max_predicted_aligned_error``
        [] (Å, the last bin centre) and ``ptm`` []."""
        out = super().forward(rep, sm, seq_mask)
        c = self.config
        logits = self.predicted_aligned_error(rep["pair"])
        out.update(
            pae_logits=logits,
            predicted_aligned_error=compute_predicted_aligned_error(
                logits, c.pae_max_error_bin
            ),
            max_predicted_aligned_error=pae_bin_centers(
                c.N_pae_bins, c.pae_max_error_bin
            )[-1],
            ptm=compute_ptm(logits, seq_mask, c.pae_max_error_bin),
        )
        return out
