"""Exercises of ``reference/features.py`` (lesson 1).

Sizes: N_clust = 5 (extra rows: 9), N_res = 7 (hidden: 6, 11, 13), float64 inputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..cases import Case, Exercise, Mutant, rand, randint

LESSON = 1


def _ref(name: str):
    from reference import features

    return getattr(features, name)


def _sizes(hidden: bool) -> tuple[int, int, int]:
    return (6, 11, 13) if hidden else (5, 9, 7)


# --- cases ---------------------------------------------------------------------------
def _encode_cases(hidden: bool) -> list[Case]:
    rows = (
        ["MKV-BZU", "AXJ-OWY", "RNDCQEG"]
        if not hidden
        else ["HILKMFPST", "W-YVBZUJO", "ACDEFGHIK", "---QRSTVW"]
    )
    query = ["MKVBZUX"] if not hidden else ["ZBUJOXWYV", "ACDEFGHIK"]
    return [
        Case("MSA rows", lambda: ((rows,), {})),
        Case(
            "query, aatype table", lambda: ((query,), {"lookup": _ref("AATYPE_LOOKUP")})
        ),
    ]


def _a3m(sequences, deletions):
    from reference.a3m import A3M

    return A3M(
        list(sequences),
        [list(d) for d in deletions],
        [f"seq{i}" for i in range(len(sequences))],
    )


def _dedup_cases(hidden: bool) -> list[Case]:
    seqs = ["MKVAL", "MK-AL", "MKVAL", "GK-AL", "MK-AL", "GK-AL", "MKVAL"]
    if hidden:
        seqs = ["ACDEFGH", "ACDEFGH", "A-DEFGH", "ACDEFGH", "A-DEFGH", "W-DEFGH"]
    dels = [
        [i % 3, 0, i % 2, 0, i] + [0] * (len(seqs[0]) - 5) for i in range(len(seqs))
    ]
    return [
        Case(f"{len(seqs)} rows with repeats", lambda: ((_a3m(seqs, dels),), {})),
        Case("no repeats", lambda: ((_a3m(seqs[:2], dels[:2]),), {})),
    ]


def _profile_cases(hidden: bool) -> list[Case]:
    n_clust, n_extra, n_res = _sizes(hidden)
    return [
        Case(
            "float64",
            lambda: (
                (randint(200 + hidden, 22, n_extra, n_res),),
                {"dtype": torch.float64},
            ),
        ),
        Case(
            "default dtype", lambda: ((randint(202 + hidden, 22, n_clust, n_res),), {})
        ),
    ]


def _target_cases(hidden: bool) -> list[Case]:
    n_clust, _, n_res = _sizes(hidden)
    return [
        Case(
            "one chain",
            lambda: ((randint(210 + hidden, 21, n_res),), {"dtype": torch.float64}),
        ),
        Case(
            "batched",
            lambda: (
                (randint(212 + hidden, 21, n_clust, n_res),),
                {"dtype": torch.float64},
            ),
        ),
    ]


def _deletion_value_cases(hidden: bool) -> list[Case]:
    n_clust, _, n_res = _sizes(hidden)
    return [
        Case(
            "counts 0..9",
            lambda: ((randint(220 + hidden, 10, n_clust, n_res).double(),), {}),
        ),
        Case("table values", lambda: ((torch.tensor([0.0, 1.0, 3.0, 8.0, 40.0]),), {})),
    ]


def _msa_feat_cases(hidden: bool) -> list[Case]:
    n_clust, _, n_res = _sizes(hidden)
    s = 230 + 10 * hidden

    def build():
        profile = rand(s + 2, n_clust, n_res, 23)
        return (
            randint(s, 23, n_clust, n_res),
            randint(s + 1, 4, n_clust, n_res).double(),
            profile / profile.sum(-1, keepdim=True),
            rand(s + 3, n_clust, n_res) * 5,
        ), {}

    return [Case(f"{n_clust} centres, {n_res} residues", build)]


def _extra_feat_cases(hidden: bool) -> list[Case]:
    _, n_extra, n_res = _sizes(hidden)
    s = 250 + 10 * hidden

    def build():
        deletions = randint(s + 1, 4, 3, n_extra, n_res).double()
        return (
            randint(s, 22, 3, n_extra, n_res),
            deletions.clamp(0, 1),
            _ref("deletion_value")(deletions),
        ), {}

    return [Case(f"3 passes, {n_extra} rows, {n_res} residues", build)]


def _pad_cases(hidden: bool) -> list[Case]:
    n_clust, n_extra, n_res = _sizes(hidden)
    return [
        Case(
            "float rows", lambda: ((rand(260 + hidden, n_clust, n_res, 3), n_extra), {})
        ),
        Case(
            "long rows",
            lambda: ((randint(262 + hidden, 22, n_clust, n_res), 11 + 2 * hidden), {}),
        ),
        Case(
            "already full", lambda: ((rand(264 + hidden, n_clust, n_res), n_clust), {})
        ),
    ]


# --- mutants -------------------------------------------------------------------------
def _encode_ignores_lookup(sequences, lookup=None):
    return _ref("encode")(sequences)


def _encode_by_restypes(sequences, lookup=None):
    from reference.residue_constants import restypes

    letters = list(restypes) + ["X", "-"]
    return torch.tensor(
        [[letters.index(c) if c in letters else 20 for c in s] for s in sequences]
    )


def _dedup_last(a3m):
    from reference.a3m import A3M

    last = {s: i for i, s in enumerate(a3m.sequences)}
    rows = sorted(last.values())
    pick = lambda xs: [xs[i] for i in rows]  # noqa: E731
    return A3M(pick(a3m.sequences), pick(a3m.deletion_matrix), pick(a3m.descriptions))


def _dedup_with_deletions(a3m):
    from reference.a3m import A3M

    seen, rows = set(), []
    for i, (s, d) in enumerate(zip(a3m.sequences, a3m.deletion_matrix)):
        if (s, tuple(d)) not in seen:
            seen.add((s, tuple(d)))
            rows.append(i)
    pick = lambda xs: [xs[i] for i in rows]  # noqa: E731
    return A3M(pick(a3m.sequences), pick(a3m.deletion_matrix), pick(a3m.descriptions))


def _dedup_sorted(a3m):
    from reference.a3m import A3M

    first = {}
    for i, s in enumerate(a3m.sequences):
        first.setdefault(s, i)
    rows = [first[s] for s in sorted(first)]
    pick = lambda xs: [xs[i] for i in rows]  # noqa: E731
    return A3M(pick(a3m.sequences), pick(a3m.deletion_matrix), pick(a3m.descriptions))


def _profile_counts(msa, dtype=torch.float32):
    return F.one_hot(msa, 22).to(dtype).sum(0)


def _profile_float32(msa, dtype=torch.float32):
    return F.one_hot(msa, 22).float().mean(0)


def _target_shifted(aatype, dtype=torch.float32):
    return F.one_hot(aatype, 22).to(dtype)


def _target_break_one(aatype, dtype=torch.float32):
    feat = _ref("target_feat")(aatype, dtype)
    return torch.cat([torch.ones_like(feat[..., :1]), feat[..., 1:]], dim=-1)


def _value_no_scale(deletion_matrix):
    return torch.atan(deletion_matrix / 3.0)


def _value_no_third(deletion_matrix):
    return torch.atan(deletion_matrix) * (2.0 / math.pi)


def _msa_feat_order(msa, deletion_matrix, cluster_profile, cluster_deletion_mean):
    feat = _ref("make_msa_feat")(
        msa, deletion_matrix, cluster_profile, cluster_deletion_mean
    )
    return torch.cat(
        [feat[..., :23], feat[..., 24:25], feat[..., 23:24], feat[..., 25:]], dim=-1
    )


def _msa_feat_raw_mean(msa, deletion_matrix, cluster_profile, cluster_deletion_mean):
    feat = _ref("make_msa_feat")(
        msa, deletion_matrix, cluster_profile, cluster_deletion_mean
    )
    return torch.cat([feat[..., :48], cluster_deletion_mean[..., None]], dim=-1)


def _msa_feat_profile_first(
    msa, deletion_matrix, cluster_profile, cluster_deletion_mean
):
    feat = _ref("make_msa_feat")(
        msa, deletion_matrix, cluster_profile, cluster_deletion_mean
    )
    return torch.cat(
        [feat[..., :23], feat[..., 25:48], feat[..., 23:25], feat[..., 48:]], dim=-1
    )


def _extra_order(extra_msa, extra_has_deletion, extra_deletion_value):
    return _ref("extra_msa_feat")(extra_msa, extra_deletion_value, extra_has_deletion)


def _extra_22_classes(extra_msa, extra_has_deletion, extra_deletion_value):
    feat = _ref("extra_msa_feat")(extra_msa, extra_has_deletion, extra_deletion_value)
    return torch.cat([feat[..., :22], feat[..., 23:]], dim=-1)


def _pad_front(x, num_rows):
    return torch.cat([x.new_zeros(num_rows - x.shape[0], *x.shape[1:]), x], dim=0)


def _pad_last(x, num_rows):
    return F.pad(x, (0, max(num_rows - x.shape[-1], 0)))


def _pad_float(x, num_rows):
    return torch.cat(
        [
            x.double(),
            torch.zeros(num_rows - x.shape[0], *x.shape[1:], dtype=torch.float64),
        ]
    )


EXERCISES = [
    Exercise(
        "features.encode",
        points=1,
        cases=_encode_cases,
        mutants=[
            Mutant(
                "use the `lookup` argument: the query's aatype table differs from the MSA table (B, Z, U map to X)",
                _encode_ignores_lookup,
            ),
            Mutant(
                "in MSA rows B, Z, U are read as D, E, C (use the lookup table, not restypes.index)",
                _encode_by_restypes,
            ),
        ],
    ),
    Exercise(
        "features.deduplicate_msa",
        points=1,
        cases=_dedup_cases,
        mutants=[
            Mutant(
                "keep the *first* occurrence of each sequence (with its deletions and description)",
                _dedup_last,
            ),
            Mutant(
                "rows are duplicates when their aligned sequences are equal, whatever their deletions",
                _dedup_with_deletions,
            ),
            Mutant(
                "keep the rows in their original order (the query first), not sorted",
                _dedup_sorted,
            ),
        ],
    ),
    Exercise(
        "features.hhblits_profile",
        points=1,
        cases=_profile_cases,
        mutants=[
            Mutant(
                "a profile holds frequencies: divide the counts by N_seq (mean over rows)",
                _profile_counts,
            ),
            Mutant("use the `dtype` argument for the result", _profile_float32),
        ],
    ),
    Exercise(
        "features.target_feat",
        points=1,
        cases=_target_cases,
        mutants=[
            Mutant(
                "channel 0 is has_break (0); the one-hot of the 21 classes follows in channels 1..21",
                _target_shifted,
            ),
            Mutant(
                "has_break (channel 0) is 0 for a single chain: no break anywhere",
                _target_break_one,
            ),
        ],
    ),
    Exercise(
        "features.deletion_value",
        points=1,
        cases=_deletion_value_cases,
        mutants=[
            Mutant("multiply by 2/pi so the values lie in [0, 1)", _value_no_scale),
            Mutant("divide the counts by 3 inside the arctan", _value_no_third),
        ],
    ),
    Exercise(
        "features.make_msa_feat",
        points=2,
        cases=_msa_feat_cases,
        mutants=[
            Mutant(
                "channel 23 is has_deletion (clamped count), channel 24 the deletion value",
                _msa_feat_order,
            ),
            Mutant(
                "the cluster deletion mean (channel 48) is squashed with deletion_value too",
                _msa_feat_raw_mean,
            ),
            Mutant(
                "order: one-hot (23), has_deletion, deletion_value, profile (23), deletion mean",
                _msa_feat_profile_first,
            ),
        ],
    ),
    Exercise(
        "features.extra_msa_feat",
        points=1,
        cases=_extra_feat_cases,
        mutants=[
            Mutant(
                "channel 23 is has_deletion, channel 24 the deletion value",
                _extra_order,
            ),
            Mutant(
                "the one-hot has 23 classes (the mask token too), so 25 channels in all",
                _extra_22_classes,
            ),
        ],
    ),
    Exercise(
        "features.pad_rows",
        points=1,
        cases=_pad_cases,
        mutants=[
            Mutant("the padding rows go after the real rows", _pad_front),
            Mutant("keep the input's dtype (x.new_zeros)", _pad_float, diagnose=False),
            Mutant("pad the first dimension (the rows), not the last", _pad_last),
        ],
    ),
]
