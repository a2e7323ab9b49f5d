"""Exercises of ``reference/embedders.py`` (lesson 4): the input embedder and its
relative positions, the pseudo-β atoms, the recycling embedder and its distance bins,
and the extra-MSA embedder."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

SIZES = dict(B=2, N_clust=3, N_res=7, tf_dim=10, msa_dim=11, c_m=6, c_z=5, k=4)
HIDDEN = dict(B=3, N_clust=4, N_res=9, tf_dim=8, msa_dim=13, c_m=7, c_z=6, k=5)
row = partial(Exercise, lesson=4, sizes=SIZES, hidden=HIDDEN)
INPUT = dict(tf_dim="tf_dim", msa_dim="msa_dim", c_m="c_m", c_z="c_z", relpos_k="k")
RECYCLING = dict(c_m="c_m", c_z="c_z")  # the bins are AF2's: 3.25..20.75 Å, 15


# --- inputs ---------------------------------------------------------------------------
def _index_with_gap(d: Draw) -> torch.Tensor:
    """[N_res] numbering that starts at 5 and jumps by more than 2k after three
    residues: offsets inside each segment stay within ±k, the others are clipped."""
    index = torch.arange(d.N_res) + 5
    index[3:] += 3 * d.k
    return index


def _index_batched(d: Draw) -> torch.Tensor:
    """[B, N_res] increasing numbering with random steps of 1 to k, one chain each."""
    return d.randint("steps", d.k + 1, "B", "N_res", low=1).cumsum(-1)


def _relpos(d: Draw, batch: bool):
    return ((_index_batched(d) if batch else _index_with_gap(d)),), {}


def _input(d: Draw, batch: bool):
    lead = ("B",) if batch else ()
    index = _index_batched(d) if batch else _index_with_gap(d)
    target_feat = d.randn("target_feat", *lead, "N_res", "tf_dim")
    msa_feat = d.randn("msa_feat", *lead, "N_clust", "N_res", "msa_dim")
    return (target_feat, index, msa_feat), {}


def _pseudo_beta(d: Draw, batch: bool):
    """Random residue types with glycine, glutamine (5, glycine's alphabetical index)
    and X among them; atom37 positions in every slot, so that each slot a mistake
    reads gives other numbers."""
    lead = ("B",) if batch else ()
    aatype = d.randint("aatype", 21, *lead, "N_res")
    aatype[..., 1], aatype[..., 3], aatype[..., -2] = 7, 5, 20  # G, Q, X in AF order
    return (aatype, d.randn("atom37", *lead, "N_res", 37, 3, scale=5.0)), {}


# Distances exactly on edges of linspace(3.25, 20.75, 15) (3.25, 8.25, 12, 20.75 from
# the origin), below the first edge (1.5, 0), between edges and beyond the last
# (40). Multiples of 1/4 on one axis: every squared distance is exact in float64.
ON_AXIS = {
    False: [0.0, 1.5, 3.25, 8.25, 12.0, 20.75, 40.0],
    True: [0.0, 2.0, 4.5, 9.5, 13.25, 17.0, 20.75, 41.5, 6.0],
}


def _edges(d: Draw):
    x = torch.zeros(d.N_res, 3, dtype=torch.float64)
    x[:, 0] = torch.tensor(ON_AXIS[d.hidden])
    return (x,), {}


def _zero_positions(d: Draw):
    return (torch.zeros(d.shape("B", "N_res", 3), dtype=torch.float64),), {}


def _random_positions(d: Draw):
    return (d.randn("x", "B", "N_res", 3, scale=8.0),), {}


def _recycled(d: Draw, first: bool):
    """The previous pass's ``m_1, z, x``: zeros on the first pass (one chain), random
    on a later one (batched)."""
    if first:
        shapes = [("N_res", "c_m"), ("N_res", "N_res", "c_z"), ("N_res", 3)]
        return tuple(torch.zeros(d.shape(*s), dtype=torch.float64) for s in shapes), {}
    m_1, z = (
        d.randn("m_1", "B", "N_res", "c_m"),
        d.randn("z", "B", "N_res", "N_res", "c_z"),
    )
    return (m_1, z, d.randn("x", "B", "N_res", 3, scale=8.0)), {}


def _extra(d: Draw, batch: bool):
    """Extra rows as the features hold them: deletion values in (0, 1) where
    has_deletion is 1; the last two rows are padding as AF2 pads (class 0, no
    deletions). Batched: int32 classes, as in the feature dict."""
    lead = ("B",) if batch else ()
    msa = d.randint("extra_msa", 22, *lead, "N_extra", "N_res")
    has_deletion = d.randint("has_deletion", 2, *lead, "N_extra", "N_res").double()
    msa[..., -2:, :], has_deletion[..., -2:, :] = 0, 0.0
    value = has_deletion * d.rand("deletion_value", *lead, "N_extra", "N_res")
    return (msa.int() if batch else msa, has_deletion, value), {}


RELPOS_CASES = [
    Case("one chain with a gap in residue_index", partial(_relpos, batch=False)),
    Case("batched chains, steps of 1 to k", partial(_relpos, batch=True)),
]
EXERCISES = [
    row(
        "embedders.InputEmbedder.relpos",
        points=2,
        init=INPUT,
        cases=RELPOS_CASES,
        mistakes=edits(r"""
        the offset is d_ij = r_i - r_j (row i minus column j): its sign tells which
        residue comes first
            residue_index[..., :, None] - residue_index[..., None, :] => \
                residue_index[..., None, :] - residue_index[..., :, None]
        the offset keeps its sign: bins -k..k, not |r_i - r_j|
            d = residue_index[..., :, None] - residue_index[..., None, :] => \
                d = (residue_index[..., :, None] - residue_index[..., None, :]).abs()
        use the residue numbers (residue_index), not the positions in the array: a
        gap in the numbering is a gap in the chain
            d = residue_index[..., :, None] - residue_index[..., None, :] => \
                n = torch.arange(residue_index.shape[-1]) \
                \n        d = (n[:, None] - n[None, :]).expand(*residue_index.shape, -1)
        shift by k before clipping: the bin of offset d is d + k, clipped to [0, 2k]
            (d + k).clamp(0, 2 * k) => d.clamp(0, 2 * k)
        """),
    ),
    row(
        "embedders.InputEmbedder",
        points=2,
        init=INPUT,
        cases=[
            Case("one chain with a gap in residue_index", partial(_input, batch=False)),
            Case("batched", partial(_input, batch=True)),
        ],
        mistakes=edits(r"""
        the outer sum is z_ij = a_i + b_j: a (linear_tf_z_i) varies along i (rows),
        b (linear_tf_z_j) along j (columns)
            a[..., :, None, :] + b[..., None, :, :] => \
                a[..., None, :, :] + b[..., :, None, :]
        an outer *sum* a_i + b_j, not a product
            a[..., :, None, :] + b[..., None, :, :] => \
                a[..., :, None, :] * b[..., None, :, :]
        a and b come from two linear layers: linear_tf_z_i for a, linear_tf_z_j for b
            b = self.linear_tf_z_j(target_feat) => b = self.linear_tf_z_i(target_feat)
        add the relative-position encoding to z (SI Alg. 3, line 3)
            z = z + self.relpos(residue_index) => z = z
        the target features go to every sequence s (tiled over N_clust), not only to
        the first row
            m = self.linear_msa_m(msa_feat) + \
                self.linear_tf_m(target_feat)[..., None, :, :] => \
                m = self.linear_msa_m(msa_feat) \
                \n        m = torch.cat([m[..., :1, :, :] + \
                self.linear_tf_m(target_feat)[..., None, :, :], m[..., 1:, :, :]], -3)
        """),
    ),
    row(
        "embedders.pseudo_beta",
        points=1,
        sizes=dict(B=2, N_res=7),
        hidden=dict(B=3, N_res=9),
        cases=[
            Case("glycine and other residues", partial(_pseudo_beta, batch=False)),
            Case("batched", partial(_pseudo_beta, batch=True)),
        ],
        mistakes=edits(r"""
        the pseudo-β atom is Cβ; only glycine (no Cβ) uses Cα
            x = torch.where(is_gly, ca, cb) => x = ca
        glycine has no Cβ: use its Cα
            x = torch.where(is_gly, ca, cb) => x = cb
        Cα for glycine, Cβ for the others: torch.where(is_gly, ca, cb), not reversed
            x = torch.where(is_gly, ca, cb) => x = torch.where(is_gly, cb, ca)
        Cβ is atom37 slot 3 (N, CA, C, CB, O, ...); slot 4 is O (atom14 puts CB there)
            atom37[..., rc.atom_order["CB"], :] => atom37[..., 4, :]
        glycine is 7 in AF order (ARNDCQEGHILKMFPSTWYV): rc.restype_order["G"], not its
        alphabetical position 5
            aatype == rc.restype_order["G"] => aatype == 5
        """),
    ),
    row(
        "embedders.RecyclingEmbedder.distance_bins",
        points=2,
        init=RECYCLING,
        cases=[
            Case("distances on edges, below the first, beyond the last", _edges),
            Case("first pass: every position zero", _zero_positions),
            Case("batched random positions", _random_positions),
        ],
        mistakes=edits(r"""
        the bins are open at their lower edge (d² > lower, strict): a distance exactly
        on an edge falls in no bin, as in AF2
            (d2 > lower) => (d2 >= lower)
        the bins are open at their upper edge (d² < upper, strict): a distance exactly
        on an edge falls in no bin, as in AF2
            (d2 < upper) => (d2 <= upper)
        compare squared distances with *squared* edges (lower**2)
            lower = lower**2 => lower = lower
        3.25 and 20.75 Å are the lower edges of the first and the last of the 15 bins
        (linspace(min_bin, max_bin, num_bins)); the last bin is open
            lower = torch.linspace( => \
                edges = torch.linspace(
            self.num_bins, dtype=x.dtype => self.num_bins + 1, dtype=x.dtype
            lower = lower**2 => lower = edges[:-1] ** 2
            upper = torch.cat([lower[1:], lower.new_tensor([1e8])]) => \
                upper = edges[1:] ** 2
        a distance below the first edge (0 on the diagonal and on the first pass) falls
        in no bin: all-zero one-hot, not bin 0
            d = ((d2 > lower) & (d2 < upper)).to(x.dtype) => \
                d = F.one_hot(torch.bucketize(d2[..., 0], lower[1:]), self.num_bins) \
                .to(x.dtype)
        """),
    ),
    row(
        "embedders.RecyclingEmbedder",
        points=2,
        init=RECYCLING,
        cases=[
            Case("first pass: zeros", partial(_recycled, first=True)),
            Case("a later pass, batched", partial(_recycled, first=False)),
        ],
        mistakes=edits(r"""
        layer-normalise the previous pair: Linear(one_hot(d)) + LayerNorm(z)
            + self.layer_norm_z(z) => + z
        layer-normalise the previous first MSA row: LayerNorm(m_1)
            m_1 = self.layer_norm_m(m_1) => m_1 = m_1
        the layer norm is of z alone; the distance term is added after it
            self.linear_d(self.distance_bins(x)) + self.layer_norm_z(z) => \
                self.layer_norm_z(self.linear_d(self.distance_bins(x)) + z)
        add the embedded distances to z: Linear(one_hot(d)) + LayerNorm(z)
            self.linear_d(self.distance_bins(x)) + self.layer_norm_z(z) => \
                self.layer_norm_z(z)
        the embedder runs on the first pass too: from zeros it adds the linear layer's
        bias and the layer-norm offsets
            z = self.linear_d(self.distance_bins(x)) + self.layer_norm_z(z) => \
                z = self.linear_d(self.distance_bins(x)) + self.layer_norm_z(z) \
                if z.any() else z
            m_1 = self.layer_norm_m(m_1) => \
                m_1 = self.layer_norm_m(m_1) if m_1.any() else m_1
        """),
    ),
    row(
        "embedders.ExtraMsaEmbedder",
        points=1,
        sizes=dict(B=2, N_extra=5, N_res=7, c_e=6),
        hidden=dict(B=3, N_extra=4, N_res=9, c_e=5),
        init=dict(c_e="c_e"),
        cases=[
            Case("extra rows and padded rows", partial(_extra, batch=False)),
            Case("batched, int32 classes", partial(_extra, batch=True)),
        ],
        mistakes=edits(r"""
        channel 23 is has_deletion, channel 24 the deletion value: pass them in
        extra_msa_feat's order
            extra_has_deletion, extra_deletion_value) => \
                extra_deletion_value, extra_has_deletion)
        has_deletion (0 or 1) and the deletion value are two features: pass both
            extra_msa.long(), extra_has_deletion, => \
                extra_msa.long(), extra_deletion_value,
        """),
    ),
]
