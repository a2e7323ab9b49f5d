"""The losses of the heads, and AlphaFold2's total training loss (SI §1.9).

Besides the structure (FAPE, torsion angles), AF2 learns from three heads: the
distogram (a distribution over Cβ-Cβ distances for every pair, SI §1.9.8), the masked
MSA (BERT: the residue type behind each corrupted MSA position, SI §1.9.9) and pLDDT
(the model's own lDDT-Cα, binned, SI §1.9.6). The total loss of the initial training
is SI Eq. 7:

    L = 0.5 L_FAPE + 0.5 L_aux + 0.3 L_dist + 2.0 L_msa + 0.01 L_conf

(fine-tuning adds the violation and experimentally-resolved losses, not used here).
"""

from __future__ import annotations

import torch

from .all_atom import frames_to_atom14_pos, torsion_angles_to_frames
from .config import LossConfig
from .fape import all_atom_fape, backbone_fape
from .geometry import Rigid
from .heads import distogram_bin_edges
from .lddt import lddt
from .symmetry import rename_symmetric_atoms
from .torsion_loss import torsion_angle_loss


def _cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-log softmax(logits)[label], [*] for logits [*, C] and integer labels [*]."""
    return -torch.log_softmax(logits, -1).gather(-1, labels[..., None])[..., 0]


def distogram_loss(
    logits: torch.Tensor,
    pseudo_beta: torch.Tensor,
    pseudo_beta_mask: torch.Tensor,
    first_break: float = 2.3125,
    last_break: float = 21.6875,
) -> torch.Tensor:
    """SI §1.9.8: cross-entropy of the distogram against the true Cβ distances.

    Args:
        logits: [*, N_res, N_res, N_bins] the distogram head's output.
        pseudo_beta: [*, N_res, 3] true Cβ positions (Cα for glycine), Å.
        pseudo_beta_mask: [*, N_res] 1 = the atom exists.
        first_break, last_break: the first and last of the N_bins - 1 bin edges (Å).

    Returns:
        [*] the mean cross-entropy over the pairs that exist.
    """
    N_bins = logits.shape[-1]
    edges = distogram_bin_edges(N_bins, first_break, last_break, device=logits.device)
    # The true bin of every pair: the number of edges below its distance. AF2
    # compares squared distances with squared edges. true_bins: [*, N_res, N_res]
    ### BEGIN SOLUTION
    diff = pseudo_beta[..., :, None, :] - pseudo_beta[..., None, :, :]
    d2 = diff.square().sum(-1, keepdim=True)
    true_bins = (d2 > edges.to(d2.dtype).square()).sum(-1)
    ### END SOLUTION

    # The cross-entropy, averaged over the pairs that exist (AF2 adds 1e-6 to their
    # number). loss: [*]
    ### BEGIN SOLUTION
    pair_mask = pseudo_beta_mask[..., :, None] * pseudo_beta_mask[..., None, :]
    errors = _cross_entropy(logits, true_bins)
    loss = (errors * pair_mask).sum((-2, -1)) / (1e-6 + pair_mask.sum((-2, -1)))
    ### END SOLUTION
    return loss


def masked_msa_loss(
    logits: torch.Tensor, true_msa: torch.Tensor, bert_mask: torch.Tensor
) -> torch.Tensor:
    """SI §1.9.9: cross-entropy of the masked-MSA head at the corrupted positions.

    Args:
        logits: [*, N_seq, N_res, 23] the masked-MSA head's output.
        true_msa: [*, N_seq, N_res] the MSA before BERT corruption (classes 0..21).
        bert_mask: [*, N_seq, N_res] 1 = the position was chosen for corruption.

    Returns:
        [*] the mean cross-entropy over the chosen positions (AF2 adds 1e-8 to their
        number).
    """
    # loss: [*]
    ### BEGIN SOLUTION
    errors = _cross_entropy(logits, true_msa)
    loss = (errors * bert_mask).sum((-2, -1)) / (1e-8 + bert_mask.sum((-2, -1)))
    ### END SOLUTION
    return loss


def plddt_loss(
    logits: torch.Tensor,
    pred_ca: torch.Tensor,
    true_ca: torch.Tensor,
    ca_mask: torch.Tensor,
    cutoff: float = 15.0,
) -> torch.Tensor:
    """SI §1.9.6 and Alg. 29: the pLDDT head learns the lDDT-Cα of its own structure.

    Args:
        logits: [*, N_res, N_bins] the pLDDT head's output.
        pred_ca, true_ca: [*, N_res, 3] predicted and true Cα positions (Å).
        ca_mask: [*, N_res] 1 = the true Cα exists.
        cutoff: lDDT's inclusion radius (Å).

    Returns:
        [*] the mean cross-entropy over the residues, against the binned lDDT-Cα.
    """
    N_bins = logits.shape[-1]
    # The target: each residue's lDDT-Cα, a fact about the structure, not something
    # to optimise: no gradient. Then its bin, floor(lddt * N_bins), at most N_bins - 1
    # (lDDT = 1 falls in the last bin). target: [*, N_res] (long)
    ### BEGIN SOLUTION
    score = lddt(pred_ca, true_ca, ca_mask, cutoff, per_residue=True).detach()
    target = torch.clamp(torch.floor(score * N_bins).long(), max=N_bins - 1)
    ### END SOLUTION

    # The cross-entropy, averaged over the residues (AF2 adds 1e-8 to their number).
    # loss: [*]
    ### BEGIN SOLUTION
    errors = _cross_entropy(logits, target)
    loss = (errors * ca_mask).sum(-1) / (ca_mask.sum(-1) + 1e-8)
    ### END SOLUTION
    return loss


def total_loss(
    sm: dict[str, torch.Tensor],
    heads: dict[str, torch.Tensor],
    truth: dict[str, torch.Tensor],
    true_msa: torch.Tensor,
    bert_mask: torch.Tensor,
    use_clamped_fape: float = 1.0,
    config: LossConfig | None = None,
) -> dict[str, torch.Tensor]:
    """SI Eq. 7: the total loss of one example, and its terms.

    Args:
        sm: the structure module's outputs: ``frames`` [N_layer, N_res, 4, 4],
            ``angles`` and ``unnormalized_angles`` [N_layer, N_res, 7, 2].
        heads: the logits ``distogram_logits`` [N_res, N_res, 64],
            ``masked_msa_logits`` [N_seq, N_res, 23], ``predicted_lddt_logits``
            [N_res, 50].
        truth: ``reference.ground_truth.make_ground_truth``'s dict.
        true_msa, bert_mask: [N_seq, N_res] the MSA before BERT, the chosen positions.
        use_clamped_fape: 1 = clamped backbone FAPE (90% of batches, SI §1.11.5).
        config: the loss settings (weights, FAPE and lDDT constants; default SI's).

    Returns:
        dict of ``loss`` [] and the terms ``fape``, ``aux``, ``distogram``,
        ``masked_msa``, ``plddt`` [].
    """
    c = config or LossConfig()
    aatype = truth["aatype"]
    # The final layer's rigid-group frames and atoms, rebuilt from its backbone frames
    # and angles (SI Alg. 24), then the truth renamed to match them (SI Alg. 26).
    backbone = Rigid.from_tensor_4x4(sm["frames"][-1])
    groups = torsion_angles_to_frames(backbone, sm["angles"][-1], aatype)
    atoms = frames_to_atom14_pos(groups, aatype)
    renamed = rename_symmetric_atoms(atoms, truth)
    fape = all_atom_fape(
        groups.to_tensor_4x4(),
        atoms,
        renamed["frames"],
        truth["frames_mask"],
        renamed["atom14_positions"],
        renamed["atom14_mask"],
        c.fape_clamp,
        c.fape_length_scale,
    )
    # Differs from SI: only the chi angles are supervised (the norm penalty covers
    # all 7), as the released AF2 code does.
    chi_mask = truth["torsion_mask"] * truth["torsion_mask"].new_tensor(
        [0, 0, 0, 1, 1, 1, 1]
    )
    terms = {"fape": fape}
    # SI Alg. 20, lines 17-23: L_aux, the backbone FAPE and torsion loss of every
    # layer, averaged over the layers (each function averages over them).
    # Hint: backbone_fape's frames mask is truth["frames_mask"][..., 0].
    ### BEGIN SOLUTION
    terms["aux"] = backbone_fape(
        sm["frames"],
        truth["frames"][..., 0, :, :],
        truth["frames_mask"][..., 0],
        use_clamped_fape,
        c.fape_clamp,
        c.fape_length_scale,
    ) + torsion_angle_loss(
        sm["angles"],
        sm["unnormalized_angles"],
        truth["alpha"],
        truth["alt_alpha"],
        chi_mask,
        truth["seq_mask"],
    )
    ### END SOLUTION
    terms["distogram"] = distogram_loss(
        heads["distogram_logits"],
        truth["pseudo_beta"],
        truth["pseudo_beta_mask"],
        c.distogram_first_break,
        c.distogram_last_break,
    )
    terms["masked_msa"] = masked_msa_loss(
        heads["masked_msa_logits"], true_msa, bert_mask
    )
    terms["plddt"] = plddt_loss(
        heads["predicted_lddt_logits"],
        backbone.trans,
        truth["ca_positions"],
        truth["ca_mask"],
        c.lddt_cutoff,
    )
    # SI Eq. 7: the weighted sum (config.weights). loss: []
    ### BEGIN SOLUTION
    loss = sum(c.weights[name] * value for name, value in terms.items())
    ### END SOLUTION
    return {"loss": loss, **terms}
