"""Exercises of ``reference/model.py`` (lesson 7): one pass of the trunk, and the
recycling loop. The embedders, stacks, structure module and heads inside are the
reference ones while these are checked (their lessons grade them).

The model is tiny (a few channels, one or two blocks of each stack) and runs in
float64, with the features of every pass drawn at random in AF2's layout."""

from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

from reference.config import AlphaFoldConfig

from ..cases import Case, Exercise, edits
from ..inputs import Draw


@dataclass(frozen=True, repr=False)
class ToyConfig(AlphaFoldConfig):
    """AF2's hyperparameters shrunk so that a pass takes milliseconds (the sizes
    that differ between the visible and the hidden run come from the row's sizes)."""

    def __repr__(self) -> str:
        return "<toy sizes>"


TOY = ToyConfig(
    c_e=4,
    N_extra_block=1,
    c_extra_att=2,
    N_head_extra=2,
    c_msa_att=3,
    N_head_msa=2,
    c_opm=2,
    c_tri_mul=3,
    c_tri_att=2,
    N_head_tri=2,
    transition_n=2,
    N_structure_layer=2,
    c_ipa=3,
    N_head_ipa=2,
    N_query_points=2,
    N_point_values=3,
    c_resnet=4,
    c_plddt=5,
    ptm=True,
)
INIT = dict(config=TOY, c_m="c_m", c_z="c_z", c_s="c_s", N_evoformer_block="N_block")
row = partial(
    Exercise,
    lesson=7,
    init=INIT,
    sizes=dict(N_res=7, N_clust=3, N_extra=5, c_m=8, c_z=6, c_s=10, N_block=1, P=2),
    hidden=dict(N_res=9, N_clust=4, N_extra=6, c_m=7, c_z=5, c_s=11, N_block=2, P=3),
    atol=1e-7,  # atom positions are ~10 Å, after two or three passes
    rtol=1e-6,
)


def features(d: Draw, passes: bool = True) -> dict[str, torch.Tensor]:
    """The processed features of ``P`` passes (without ``passes``: of one), float64.

    As AF2's pipeline makes them: the query's residue types in ``aatype`` and
    ``target_feat`` (glycines among them: their recycled position is Cα), residue
    numbers with a chain break, the last cluster row and the last extra row padding
    (mask 0; a padded extra row reads as class 0). What differs between passes (the
    MSA samples) differs between the slices.
    """
    lead = ("P",) if passes else ()
    aatype = d.randint("aatype", 21, "N_res")
    aatype[1::3] = 7  # glycine
    residue_index = torch.arange(d.N_res)
    residue_index[d.N_res // 2 :] += 40  # a break: farther than relpos's 32
    msa_mask = torch.ones(d.N_clust, d.N_res, dtype=torch.float64)
    extra_mask = torch.ones(d.N_extra, d.N_res, dtype=torch.float64)
    msa_mask[-1], extra_mask[-1] = 0.0, 0.0
    extra_msa = (
        d.randint("extra msa", 22, *lead, "N_extra", "N_res") * extra_mask.long()
    )
    same = {
        "aatype": aatype,
        "residue_index": residue_index,
        "seq_mask": torch.ones(d.N_res, dtype=torch.float64),
        "target_feat": torch.cat(
            [torch.zeros(d.N_res, 1), F.one_hot(aatype, 21)], -1
        ).double(),
        "msa_mask": msa_mask,
        "extra_msa_mask": extra_mask,
    }
    if passes:
        same = {k: v.expand(d.P, *v.shape).clone() for k, v in same.items()}
    return {
        **same,
        "msa_feat": d.rand("msa feat", *lead, "N_clust", "N_res", 49)
        * msa_mask[..., None],
        "extra_msa": extra_msa,
        "extra_has_deletion": (d.rand("has deletion", *lead, "N_extra", "N_res") < 0.3)
        * extra_mask,
        "extra_deletion_value": d.rand("deletion value", *lead, "N_extra", "N_res")
        * extra_mask,
    }


def previous(d: Draw, zeros: bool) -> dict[str, torch.Tensor]:
    """The previous pass's outputs: zeros (the first pass) or a later pass's."""
    prev = {
        "prev_msa_first_row": d.randn("prev m", "N_res", "c_m"),
        "prev_pair": d.randn("prev z", "N_res", "N_res", "c_z"),
        "prev_pos": d.randn("prev x", "N_res", 37, 3, scale=8.0),
    }
    return {k: torch.zeros_like(v) for k, v in prev.items()} if zeros else prev


def _recycling(d: Draw):
    return (features(d),), {"num_recycle": d.P - 1}


EXERCISES = [
    row(
        "model.AlphaFold.embed_and_evoform",
        points=3,
        cases=[
            Case(
                "the first pass (zeros recycled)",
                lambda d: ((features(d, False), previous(d, zeros=True)), {}),
            ),
            Case(
                "a later pass",
                lambda d: ((features(d, False), previous(d, zeros=False)), {}),
            ),
        ],
        mistakes=edits(r"""
        the recycled first row goes into the first MSA row only (m[..., 0, :, :]), not
        every row
            torch.cat([m[..., :1, :, :] + m_1[..., None, :, :], m[..., 1:, :, :]], \
                -3) => m + m_1[..., None, :, :]
        the recycled positions enter as pseudo-β atoms (pseudo_beta: Cβ, Cα for
        glycine), not as Cα
            pseudo_beta(batch["aatype"], prev["prev_pos"]) => \
                prev["prev_pos"][..., 1, :]
        the recycled pair is *added* to the new pair representation: z = z + dz
            z = z + dz => z = dz
        the recycling embedder runs on the first pass too: its biases and layer-norm
        offsets count even when the previous outputs are zeros
            z = z + dz => first = not prev["prev_pos"].any() \
                \n        z = z if first else z + dz
            m[..., :1, :, :] + m_1[..., None, :, :] => \
                m[..., :1, :, :] + (0 if first else m_1[..., None, :, :])
        the extra-MSA stack runs before the Evoformer (SI Alg. 2): it updates the pair
        representation that the Evoformer reads
            z = self.extra_msa_stack(e, z, => z_extra = self.extra_msa_stack(e, z,
            s = self.linear_single(m[..., 0, :, :]) => \
                s = self.linear_single(m[..., 0, :, :]) \
                \n        z = self.extra_msa_stack(e, z, batch["extra_msa_mask"], \
                pair_mask, chunk)
        the single representation is a Linear of the first MSA row, s_i = Linear(m_1i),
        not of the mean over the rows
            self.linear_single(m[..., 0, :, :]) => self.linear_single(m.mean(-3))
        """),
    ),
    row(
        "model.AlphaFold",
        points=3,
        cases=[Case("recycling", _recycling)],
        mistakes=edits(r"""
        feed the atom positions of each pass back (prev_pos = final_atom_positions),
        not the zeros of the first pass
            "prev_pos": sm["final_atom_positions"].detach(), => \
                "prev_pos": prev["prev_pos"],
        the recycled pair is this pass's pair representation, not the one it received
            "prev_pair": rep["pair"].detach(), => "prev_pair": prev["prev_pair"],
        each pass reads the previous pass's outputs: set prev = out["prev"] after the
        pass, not None (which starts every pass from zeros)
            prev = out["prev"] => prev = None
        pass r reads slice r of the features (a fresh MSA sample), not always slice 0
            self.pass_features(batch, r, num_recycle + 1) => \
                self.pass_features(batch, 0, num_recycle + 1)
        the prediction is the last pass's output, the one that has seen every recycle
            prev = out["prev"] => \
                prev, first = out["prev"], out if r == 0 else first \
                \n        out = first
        """),
    ),
]
