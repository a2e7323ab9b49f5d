"""Exercises of ``reference/losses.py`` (lesson 8): the heads' losses, the total."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(Exercise, lesson=8)


def _distogram(d: Draw, **kwargs):
    x = d.randn("cb", "B", "N_res", 3, scale=8.0)
    return (
        d.gradient(d.randn("logits", "B", "N_res", "N_res", "N_bins"), "logits"),
        x,
        d.mask("mask", "B", "N_res"),
    ), kwargs


def _masked_msa(d: Draw):
    logits = d.gradient(d.randn("logits", "B", "N_seq", "N_res", 23), "logits")
    true_msa = d.randint("true msa", 22, "B", "N_seq", "N_res")
    bert = (d.rand("bert", "B", "N_seq", "N_res") < 0.3).double()
    bert[-1] = 0  # an example with nothing masked
    bert[..., -1] = 0  # and a column never chosen
    return (logits, true_msa, bert), {}


def _plddt(d: Draw, **kwargs):
    true = d.randn("true", "B", "N_res", 3, scale=6.0)
    pred = (
        true + d.randn("error", "B", "N_res", 3) * d.rand("size", "B", "N_res", 1) * 3
    )
    pred[..., 0, :] = true[..., 0, :]  # a perfect residue: lDDT 1, the last bin
    logits = d.gradient(d.randn("logits", "B", "N_res", "N_bins"), "logits")
    pred = d.gradient(pred, "pred_positions")
    return (logits, pred, true, d.mask("mask", "B", "N_res")), kwargs


def _total(d: Draw, bert: bool = True):
    """A small real-looking example: true atoms from torsion angles and frames, a
    prediction of random frames and angles, random logits."""
    from reference import all_atom
    from reference.geometry import Rigid, quat_to_rot
    from reference.ground_truth import make_ground_truth

    n, L = d.N_res, d.N_layer
    aatype = torch.tensor([3, 13, 6, 18, 0, 11, 7, 15, 2])[:n]
    backbone = Rigid(
        quat_to_rot(d.randn("true q", n, 4)), d.randn("true t", n, 3, scale=5.0)
    )
    true_alpha = d.randn("true alpha", n, 7, 2)
    true_alpha = true_alpha / true_alpha.norm(dim=-1, keepdim=True)
    atom14 = all_atom.frames_to_atom14_pos(
        all_atom.torsion_angles_to_frames(backbone, true_alpha, aatype), aatype
    )
    atom37 = all_atom.atom14_to_atom37(atom14, aatype)
    mask37 = all_atom.make_atom14_masks(aatype)["atom37_atom_exists"].double()
    truth = make_ground_truth(aatype, atom37, mask37)
    frames = Rigid(quat_to_rot(d.randn("q", L, n, 4)), d.randn("t", L, n, 3, scale=5.0))
    unnormalized = d.randn("alpha", L, n, 7, 2)
    sm = {
        "frames": frames.to_tensor_4x4(),
        "angles": unnormalized / unnormalized.norm(dim=-1, keepdim=True),
        "unnormalized_angles": unnormalized,
    }
    heads = {
        "distogram_logits": d.randn("dist", n, n, 64),
        "masked_msa_logits": d.randn("msa", d.N_seq, n, 23),
        "predicted_lddt_logits": d.randn("plddt", n, 50),
    }
    # The check compares the gradient with respect to every prediction too.
    sm = {k: d.gradient(v, k) for k, v in sm.items()}
    heads = {k: d.gradient(v, k) for k, v in heads.items()}
    true_msa = d.randint("true msa", 21, d.N_seq, n)
    bert_mask = (d.rand("bert", d.N_seq, n) < 0.4).double() * bert
    return (sm, heads, truth, true_msa, bert_mask, 0.0 if bert else 1.0), {}


EXERCISES = [
    row(
        "losses.distogram_loss",
        points=1,
        sizes=dict(B=2, N_res=5, N_bins=7),
        hidden=dict(B=3, N_res=6, N_bins=9),
        cases=[
            Case("7 bins", partial(_distogram, first_break=4.0, last_break=14.0)),
            Case("AF2's bin edges", _distogram),
        ],
        mistakes=edits(r"""
        compare squared distances with *squared* bin edges (or distances with edges)
            (d2 > edges.to(d2.dtype).square()) => (d2 > edges.to(d2.dtype))
        average over the pairs that exist: divide by the number of pairs in the mask
            / (1e-6 + pair_mask.sum((-2, -1))) => / (1e-6 + pair_mask[0].numel())
        a pair counts only when both its residues exist: the outer product of the
        mask
            pseudo_beta_mask[..., :, None] * pseudo_beta_mask[..., None, :] \
                => pseudo_beta_mask[..., :, None].expand_as(d2[..., 0])
        """),
    ),
    row(
        "losses.masked_msa_loss",
        points=1,
        sizes=dict(B=2, N_seq=3, N_res=5),
        hidden=dict(B=3, N_seq=4, N_res=7),
        cases=[Case("30% of the positions", _masked_msa)],
        mistakes=edits(r"""
        only the positions BERT chose (bert_mask) are scored
            (errors * bert_mask).sum((-2, -1)) / (1e-8 + bert_mask.sum((-2, -1))) \
                => errors.mean((-2, -1))
        divide by the number of chosen positions, not by all positions
            / (1e-8 + bert_mask.sum((-2, -1))) => / bert_mask[0].numel()
        """),
    ),
    row(
        "losses.plddt_loss",
        points=1,
        sizes=dict(B=2, N_res=7, N_bins=5),
        hidden=dict(B=3, N_res=9, N_bins=6),
        cases=[
            Case("5 bins", _plddt),
            Case("cutoff 8 Å", partial(_plddt, cutoff=8.0)),
        ],
        mistakes=edits(r"""
        the bin of an lDDT is floor(lddt * N_bins) (lDDT = 1 in the last bin)
            torch.floor(score * N_bins).long() => torch.round(score * N_bins).long()
        lDDT = 1 belongs to the last bin, N_bins - 1: clamp the index
            torch.clamp(torch.floor(score * N_bins).long(), max=N_bins - 1) \
                => torch.floor(score * N_bins).long().clamp(max=N_bins)
        average over the residues whose true Cα exists (ca_mask)
            (errors * ca_mask).sum(-1) / (ca_mask.sum(-1) + 1e-8) => errors.mean(-1)
        """),
    ),
    row(
        "losses.total_loss",
        points=1,
        sizes=dict(N_layer=3, N_res=5, N_seq=2),
        hidden=dict(N_layer=2, N_res=7, N_seq=3),
        cases=[
            Case("unclamped", _total),
            Case("clamped, nothing masked", partial(_total, bert=False)),
        ],
        mistakes=edits(r"""
        L_aux is the backbone FAPE *plus* the torsion loss
            ) + torsion_angle_loss( => ) * torsion_angle_loss(
        the torsion loss of the auxiliary term covers every layer, not the last
            sm["angles"],\n        sm["unnormalized_angles"], \
                => sm["angles"][-1],\n        sm["unnormalized_angles"][-1],
        the backbone FAPE of L_aux covers every layer's frames
            sm["frames"],\n        truth["frames"][..., 0, :, :], \
                => sm["frames"][-1:],\n        truth["frames"][..., 0, :, :],
        weigh each term with the SI's weight (config.weights), then add them
            sum(c.weights[name] * value for name, value in terms.items()) \
                => sum(terms.values())
        """),
    ),
]
