"""Exercises of ``reference/msa_clustering.py`` (lesson 1). Random steps get a fresh
``torch.Generator`` per call."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(
    Exercise,
    lesson=1,
    sizes=dict(N_clust=5, N_extra=9, N_res=7),
    hidden=dict(N_clust=6, N_extra=11, N_res=13),
)


def _indices(label: str, visible: tuple[int, int], hidden: tuple[int, int]) -> Case:
    """``(number of rows, most to keep, generator)``."""
    return Case(
        label, lambda d: ((*(hidden if d.hidden else visible), d.generator("g")), {})
    )


def _bert(d: Draw, **fractions):
    msa = d.randint("msa", 22, "N_clust", "N_res")
    return (msa, d.probabilities("profile", "N_res", 22)), fractions


def _categorical(d: Draw):
    probs = d.probabilities("probs", "N_clust", "N_res", 23, power=2)
    return (probs, d.rand("u", "N_clust", "N_res")), {}


def _steps(d: Draw):
    """u exactly on a cdf step: the class after the step."""
    probs = torch.tensor([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]], dtype=torch.float64)
    return (probs, torch.tensor([0.5, 0.25], dtype=torch.float64)), {}


def _round_off(d: Draw):
    """Ten 0.1 sum to 1 - 2**-53 < 1, so u = 1 - 2**-53 is above every step."""
    tenths = torch.full((3, 10), 0.1, dtype=torch.float64)
    return (tenths, torch.tensor([0.0, 0.35, 1.0 - 2**-53], dtype=torch.float64)), {}


def _masked_msa(d: Draw, fraction: float):
    msa = d.randint("msa", 22, "N_clust", "N_res")
    profile = d.probabilities("profile", "N_res", 22)
    return (msa, profile, d.generator("g")), {"replace_fraction": fraction}


def _clusters(d: Draw) -> dict:
    """Centres (classes 0..22) and extra rows (0..21) with masks: holes, a padded
    column, a fully masked centre and extra row."""
    return dict(
        msa=d.randint("msa", 23, "N_clust", "N_res"),
        msa_mask=d.mask("msa mask", "N_clust", "N_res"),
        extra_msa=d.randint("extra msa", 22, "N_extra", "N_res"),
        extra_msa_mask=d.mask("extra mask", "N_extra", "N_res"),
    )


def _gaps(d: Draw):
    """Counting shared gaps would send both rows to centre 0; residues say centre 1."""
    msa = torch.tensor([[21, 21, 21, 0, 1], [2, 3, 4, 5, 6], [7, 8, 22, 10, 11]])
    extra = torch.tensor([[21, 21, 21, 5, 6], [2, 3, 21, 21, 21]])
    ones = torch.ones(3, 5, dtype=torch.float64)
    return (msa, ones, extra, ones[:2]), {}


def _summaries(d: Draw):
    c = _clusters(d)
    c["deletion_matrix"] = d.randint("deletions", 4, "N_clust", "N_res").double()
    c["extra_deletion_matrix"] = d.randint("extra", 4, "N_extra", "N_res").double()
    # The last centre gets no row: with its masked row, its counts are 0.
    c["assignment"] = d.randint("assignment", d.N_clust - 1, "N_extra")
    return (), c


EXERCISES = [
    row(
        "msa_clustering.sample_msa_indices",
        points=1,
        sizes={},
        hidden={},
        cases=[
            _indices("more rows than centres", (9, 5), (14, 5)),
            _indices("fewer rows than centres", (4, 7), (6, 9)),
            _indices("many rows", (11, 3), (12, 3)),
        ],
        mistakes=edits(r"""
        the query (row 0) is always the first centre: shuffle rows 1..N_seq-1 only
            torch.randperm(num_seq - 1, generator=generator) + 1 => \
                torch.randperm(num_seq, generator=generator)
            [torch.zeros(1, dtype=torch.long), shuffled] => [shuffled]
        the extra rows keep the order of the same permutation; do not sort them
            num_clusters = min(max_msa_clusters, num_seq) => \
                num_clusters = min(max_msa_clusters, num_seq) \
                \n    order[num_clusters:] = order[num_clusters:].sort().values
        """),
    ),
    row(
        "msa_clustering.crop_extra_indices",
        points=1,
        sizes={},
        hidden={},
        cases=[
            _indices("more rows than kept", (9, 5), (13, 6)),
            _indices("fewer rows than kept", (3, 7), (4, 9)),
        ],
        mistakes=edits(r"""
        the extra rows are a random subset (one randperm), not the first ones
            torch.randperm(num_extra, generator=generator) => torch.arange(num_extra)
        keep the random order of the permutation; do not sort the kept indices
            [:max_extra_msa] => [:max_extra_msa].sort().values
        """),
    ),
    row(
        "msa_clustering.bert_probabilities",
        points=2,
        cases=[
            Case("defaults", _bert),
            Case("other fractions", partial(_bert, uniform_prob=0.2, profile_prob=0.3)),
        ],
        mistakes=edits(r"""
        the uniform part covers the 20 amino acids only (0.05 each), not all 22
        classes
            uniform_prob * uniform => uniform_prob / 22
        the `same_prob` share (keep the residue: one-hot of msa) is missing
            + same_prob * F.one_hot(msa, 22).to(dtype) =>
        the mask-token channel is missing: pad the last axis with the rest
            probs = F.pad(probs, (0, 1), value=mask_prob) => probs = probs
        the mask token gets what the three fractions leave: 1 minus their sum
            1.0 - uniform_prob - profile_prob - same_prob => 0.7
        """),
    ),
    row(
        "msa_clustering.sample_categorical",
        points=1,
        cases=[
            Case("random rows", _categorical),
            Case("u on a step", _steps),
            Case("round-off", _round_off),
        ],
        mistakes=edits(r"""
        off by one on a step: count the cdf values `<= u`, not `< u`
            <= => <
        round-off can leave cdf[-1] just below u: clamp the class to C - 1
            .clamp(max=probs.shape[-1] - 1) =>
        compare u with the cumulative sum (cumsum), not with the probabilities
            probs.cumsum(-1) => probs
        """),
    ),
    row(
        "msa_clustering.make_masked_msa",
        points=2,
        cases=[
            Case("replace 0.15", partial(_masked_msa, fraction=0.15)),
            Case("replace 0.5", partial(_masked_msa, fraction=0.5)),
        ],
        mistakes=edits(r"""
        the draws are in the wrong order: first the positions, then the
        replacements
            chosen = torch.rand(msa.shape, generator=generator) => \
                u = torch.rand(msa.shape, generator=generator)
            u = torch.rand(msa.shape, generator=generator) => \
                chosen = torch.rand(msa.shape, generator=generator) < replace_fraction
            < replace_fraction =>
        chosen positions are replaced by a draw from bert_probabilities, not always
        the mask token
            torch.where(chosen, replacement, msa) => torch.where(chosen, 22, msa)
        a position is chosen when its draw is *below* replace_fraction
            < replace_fraction => > replace_fraction
        """),
    ),
    row(
        "msa_clustering.nearest_neighbor_clusters",
        points=2,
        cases=[Case("with masks", lambda d: ((), _clusters(d))), Case("gaps", _gaps)],
        mistakes=edits(r"""
        gaps (class 21) and the mask token do not count as agreement: classes
        0..20 only
            (msa[..., None] == classes) => F.one_hot(msa, 23)[..., :22]
            (extra_msa[..., None] == classes) => F.one_hot(extra_msa, 23)[..., :22]
        masked positions do not count: multiply the one-hots by the masks
            * msa_mask[..., None] =>
            * extra_msa_mask[..., None] =>
        the nearest centre is the one with the *most* agreement: argmax
            .argmax(-1) => .argmin(-1)
        """),
    ),
    row(
        "msa_clustering.summarize_clusters",
        points=2,
        cases=[Case("with masks", _summaries)],
        rtol=1e-10,
        atol=1e-12,
        mistakes=edits(r"""
        each cluster's count includes its centre (msa_mask)
            mask_counts = msa_mask + 1e-6 + counts => mask_counts = 1e-6 + counts
        AF2 divides by (count + 1e-6): an empty, masked centre has count 0
            + 1e-6 =>
        extra rows' deletions are multiplied by extra_msa_mask
            extra_msa_mask * extra_deletion_matrix => extra_deletion_matrix
        index_add_ changes the caller's deletion_matrix: use index_add
            deletion_matrix.index_add( => deletion_matrix.index_add_(
        """),
    ),
]
