"""Exercises of ``reference/msa_clustering.py`` (lesson 1).

Sizes: N_clust = 5 centres, N_extra = 9 other rows, N_res = 7 columns (hidden: 6, 11, 13).
Random steps get a fresh ``torch.Generator`` per call.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..cases import Case, Exercise, Mutant, mapped, mask, rand, randint

LESSON = 1
RANDOM = "draws from the generator differ from the reference's: draw exactly what the docstring says, in that order"


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _sizes(hidden: bool) -> tuple[int, int, int]:
    return (6, 11, 13) if hidden else (5, 9, 7)


def _profile(seed: int, n_res: int) -> torch.Tensor:
    p = rand(seed, n_res, 22) ** 3
    return p / p.sum(-1, keepdim=True)


def _clusters(seed: int, hidden: bool) -> dict:
    n_clust, n_extra, n_res = _sizes(hidden)
    return dict(
        msa=randint(seed, 23, n_clust, n_res),
        msa_mask=mask(seed + 1, n_clust, n_res),
        extra_msa=randint(seed + 2, 22, n_extra, n_res),
        extra_msa_mask=mask(seed + 3, n_extra, n_res),
    )


# --- cases ---------------------------------------------------------------------------
def _sample_cases(hidden: bool) -> list[Case]:
    sizes = [(14, 5), (6, 9), (12, 3)] if hidden else [(9, 5), (4, 7), (11, 3)]
    return [
        Case(
            f"{n} rows, at most {k} centres",
            lambda n=n, k=k, s=i: ((n, k, _gen(s)), {}),
        )
        for i, (n, k) in enumerate(sizes)
    ]


def _crop_cases(hidden: bool) -> list[Case]:
    sizes = [(13, 6), (4, 9)] if hidden else [(9, 5), (3, 7)]
    return [
        Case(
            f"{n} extra rows, keep {k}",
            lambda n=n, k=k, s=i: ((n, k, _gen(10 + s)), {}),
        )
        for i, (n, k) in enumerate(sizes)
    ]


def _bert_prob_cases(hidden: bool) -> list[Case]:
    n_clust, _, n_res = _sizes(hidden)
    s = 40 if hidden else 20
    return [
        Case(
            "defaults",
            lambda: ((randint(s, 22, n_clust, n_res), _profile(s + 1, n_res)), {}),
        ),
        Case(
            "other fractions",
            lambda: (
                (randint(s + 2, 22, n_clust, n_res), _profile(s + 3, n_res)),
                dict(uniform_prob=0.2, profile_prob=0.3, same_prob=0.15),
            ),
        ),
    ]


def _categorical_cases(hidden: bool) -> list[Case]:
    n_clust, _, n_res = _sizes(hidden)
    s = 60 if hidden else 30

    def random_rows():
        p = rand(s, n_clust, n_res, 23) ** 2
        return (p / p.sum(-1, keepdim=True), rand(s + 1, n_clust, n_res)), {}

    def edges():
        # u exactly on a cdf step: class 1, not 0
        probs = torch.tensor([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]], dtype=torch.float64)
        return (probs, torch.tensor([0.5, 0.25], dtype=torch.float64)), {}

    def round_off():
        # ten 0.1 sum to 1 - 2**-53 < 1, so u = 1 - 2**-53 is above every step
        tenths = torch.full((3, 10), 0.1, dtype=torch.float64)
        u = torch.tensor([0.0, 0.35, 1.0 - 2**-53], dtype=torch.float64)
        return (tenths, u), {}

    return [
        Case("random rows", random_rows),
        Case("u on a step", edges),
        Case("round-off", round_off),
    ]


def _masked_msa_cases(hidden: bool) -> list[Case]:
    n_clust, _, n_res = _sizes(hidden)
    s = 80 if hidden else 50
    return [
        Case(
            f"{n_clust} rows, {n_res} columns, replace {f}",
            lambda f=f, i=i: (
                (
                    randint(s + i, 22, n_clust, n_res),
                    _profile(s + 5, n_res),
                    _gen(s + i),
                ),
                dict(replace_fraction=f),
            ),
        )
        for i, f in enumerate([0.15, 0.5])
    ]


def _nearest_cases(hidden: bool) -> list[Case]:
    s = 100 if hidden else 70

    def gaps():
        # counting shared gaps would send both rows to centre 0; residues say centre 1
        msa = torch.tensor([[21, 21, 21, 0, 1], [2, 3, 4, 5, 6], [7, 8, 22, 10, 11]])
        extra = torch.tensor([[21, 21, 21, 5, 6], [2, 3, 21, 21, 21]])
        ones = torch.ones(3, 5, dtype=torch.float64)
        return (msa, ones, extra, ones[:2]), {}

    return [Case("with masks", lambda: ((), _clusters(s, hidden))), Case("gaps", gaps)]


def _summarize_cases(hidden: bool) -> list[Case]:
    n_clust, n_extra, n_res = _sizes(hidden)
    s = 120 if hidden else 90

    def build():
        c = _clusters(s, hidden)
        c["extra_msa"] = c["extra_msa"] % 22
        c["deletion_matrix"] = randint(s + 5, 4, n_clust, n_res).double()
        c["extra_deletion_matrix"] = randint(s + 6, 4, n_extra, n_res).double()
        c["assignment"] = randint(
            s + 7, n_clust - 1, n_extra
        )  # the last centre gets no row
        return (), c

    return [Case("with masks", build)]


# --- mutants -------------------------------------------------------------------------
def _ref(name: str):
    from reference import msa_clustering

    return getattr(msa_clustering, name)


def _sample_query_shuffled(num_seq, max_msa_clusters, generator):
    order = torch.randperm(num_seq, generator=generator)
    return order[:max_msa_clusters], order[max_msa_clusters:]


def _sample_sorted_extra(num_seq, max_msa_clusters, generator):
    clusters, extra = _ref("sample_msa_indices")(num_seq, max_msa_clusters, generator)
    return clusters, extra.sort().values


def _crop_first(num_extra, max_extra_msa, generator):
    return torch.arange(num_extra)[:max_extra_msa]


def _crop_sorted(num_extra, max_extra_msa, generator):
    return _ref("crop_extra_indices")(num_extra, max_extra_msa, generator).sort().values


def _bert_uniform_22(msa, profile, uniform_prob=0.1, profile_prob=0.1, same_prob=0.1):
    probs = _ref("bert_probabilities")(
        msa, profile, uniform_prob, profile_prob, same_prob
    )
    probs[..., :22] += uniform_prob * (
        1 / 22 - torch.tensor([0.05] * 20 + [0.0, 0.0], dtype=probs.dtype)
    )
    return probs


def _bert_no_same(msa, profile, uniform_prob=0.1, profile_prob=0.1, same_prob=0.1):
    return _ref("bert_probabilities")(msa, profile, uniform_prob, profile_prob, 0.0)


def _categorical_strict(probs, u):
    return (probs.cumsum(-1) < u[..., None]).sum(-1).clamp(max=probs.shape[-1] - 1)


def _categorical_no_clamp(probs, u):
    return (probs.cumsum(-1) <= u[..., None]).sum(-1)


def _categorical_no_cumsum(probs, u):
    return (probs <= u[..., None]).sum(-1).clamp(max=probs.shape[-1] - 1)


def _masked_swapped_draws(msa, profile, generator, replace_fraction=0.15):
    u = torch.rand(msa.shape, generator=generator)
    chosen = torch.rand(msa.shape, generator=generator) < replace_fraction
    replacement = _ref("sample_categorical")(
        _ref("bert_probabilities")(msa, profile), u
    )
    return torch.where(chosen, replacement, msa), chosen.to(profile.dtype)


def _masked_always_token(msa, profile, generator, replace_fraction=0.15):
    bert_msa, bert_mask = _ref("make_masked_msa")(
        msa, profile, generator, replace_fraction
    )
    return torch.where(bert_mask.bool(), torch.full_like(msa, 22), msa), bert_mask


def _nearest_with_gaps(msa, msa_mask, extra_msa, extra_msa_mask):
    centres = F.one_hot(msa, 23)[..., :22] * msa_mask[..., None]
    extra = F.one_hot(extra_msa, 23)[..., :22] * extra_msa_mask[..., None]
    return torch.einsum("erc,nrc->en", extra.double(), centres.double()).argmax(-1)


def _nearest_unmasked(msa, msa_mask, extra_msa, extra_msa_mask):
    return _ref("nearest_neighbor_clusters")(
        msa, torch.ones_like(msa_mask), extra_msa, torch.ones_like(extra_msa_mask)
    )


def _summarize_no_centre(
    msa,
    msa_mask,
    deletion_matrix,
    extra_msa,
    extra_msa_mask,
    extra_deletion_matrix,
    assignment,
):
    return _ref("summarize_clusters")(
        msa,
        msa_mask * 0,
        deletion_matrix * 0,
        extra_msa,
        extra_msa_mask,
        extra_deletion_matrix,
        assignment,
    )


def _summarize_no_eps(
    msa,
    msa_mask,
    deletion_matrix,
    extra_msa,
    extra_msa_mask,
    extra_deletion_matrix,
    assignment,
):
    counts = msa_mask.index_add(0, assignment, extra_msa_mask)
    one_hot = (
        F.one_hot(msa, 23)
        .to(msa_mask.dtype)
        .index_add(
            0,
            assignment,
            F.one_hot(extra_msa, 23).to(msa_mask.dtype) * extra_msa_mask[..., None],
        )
    )
    deletions = deletion_matrix.index_add(
        0, assignment, extra_msa_mask * extra_deletion_matrix
    )
    return one_hot / counts[..., None].clamp(min=1), deletions / counts.clamp(min=1)


def _summarize_unmasked_deletions(
    msa,
    msa_mask,
    deletion_matrix,
    extra_msa,
    extra_msa_mask,
    extra_deletion_matrix,
    assignment,
):
    profile, _ = _ref("summarize_clusters")(
        msa,
        msa_mask,
        deletion_matrix,
        extra_msa,
        extra_msa_mask,
        extra_deletion_matrix,
        assignment,
    )
    _, mean = _ref("summarize_clusters")(
        msa,
        msa_mask,
        deletion_matrix,
        extra_msa,
        torch.ones_like(extra_msa_mask),
        extra_deletion_matrix,
        assignment,
    )
    return profile, mean


EXERCISES = [
    Exercise(
        "msa_clustering.sample_msa_indices",
        points=1,
        cases=_sample_cases,
        mutants=[
            Mutant(
                "the query (row 0) must always be the first centre: shuffle rows 1..N_seq-1 only",
                _sample_query_shuffled,
            ),
            Mutant(
                "the extra rows keep the order of the same permutation; do not sort them",
                _sample_sorted_extra,
            ),
        ],
    ),
    Exercise(
        "msa_clustering.crop_extra_indices",
        points=1,
        cases=_crop_cases,
        mutants=[
            Mutant(
                "the extra rows must be a random subset (one randperm), not the first ones",
                _crop_first,
            ),
            Mutant(
                "keep the random order of the permutation; do not sort the kept indices",
                _crop_sorted,
            ),
        ],
    ),
    Exercise(
        "msa_clustering.bert_probabilities",
        points=2,
        cases=_bert_prob_cases,
        mutants=[
            Mutant(
                "the uniform part covers the 20 amino acids only (0.05 each), not all 22 classes",
                _bert_uniform_22,
            ),
            Mutant(
                "the `same_prob` share (keep the residue: one-hot of msa) is missing",
                _bert_no_same,
            ),
            Mutant(
                "the mask-token channel is missing: pad the last axis with the remaining probability",
                mapped(
                    lambda *a, **k: _ref("bert_probabilities")(*a, **k),
                    lambda p: p[..., :22],
                ),
            ),
        ],
    ),
    Exercise(
        "msa_clustering.sample_categorical",
        points=1,
        cases=_categorical_cases,
        mutants=[
            Mutant(
                "off by one on a step: count the cdf values `<= u`, not `< u`",
                _categorical_strict,
            ),
            Mutant(
                "round-off can leave cdf[-1] just below u: clamp the class to C - 1",
                _categorical_no_clamp,
            ),
            Mutant(
                "compare u with the cumulative sum (cumsum), not with the probabilities",
                _categorical_no_cumsum,
            ),
        ],
    ),
    Exercise(
        "msa_clustering.make_masked_msa",
        points=2,
        cases=_masked_msa_cases,
        mutants=[
            Mutant(
                "the draws are in the wrong order: first the positions, then the replacements",
                _masked_swapped_draws,
            ),
            Mutant(
                "chosen positions are replaced by a draw from bert_probabilities, not always the mask token",
                _masked_always_token,
            ),
            Mutant(
                "bert_mask must be in the profile's dtype (float), not bool",
                mapped(
                    lambda *a, **k: _ref("make_masked_msa")(*a, **k),
                    lambda o: (o[0], o[1].bool()),
                ),
            ),
        ],
    ),
    Exercise(
        "msa_clustering.nearest_neighbor_clusters",
        points=2,
        cases=_nearest_cases,
        mutants=[
            Mutant(
                "gaps (class 21) must not count as agreement: keep classes 0..20 only",
                _nearest_with_gaps,
            ),
            Mutant(
                "masked positions must not count: multiply the one-hots by the masks",
                _nearest_unmasked,
            ),
        ],
    ),
    Exercise(
        "msa_clustering.summarize_clusters",
        points=2,
        cases=_summarize_cases,
        rtol=1e-10,
        atol=1e-12,
        mutants=[
            Mutant(
                "each cluster's centre counts too, not only its assigned rows",
                _summarize_no_centre,
            ),
            Mutant(
                "AF2 divides by (count + 1e-6), not by the count alone",
                _summarize_no_eps,
            ),
            Mutant(
                "extra rows' deletions must be multiplied by extra_msa_mask",
                _summarize_unmasked_deletions,
            ),
        ],
    ),
]
