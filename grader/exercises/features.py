"""Exercises of ``reference/features.py`` (lesson 1)."""

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
F64 = {"dtype": torch.float64}


def _a3m(d: Draw, n_rows: int | None = None):
    """Repeated rows; some repeats have the same deletions, some other ones."""
    from reference.a3m import A3M

    rows = ["MKVAL", "MK-AL", "MKVAL", "GK-AL", "MK-AL", "GK-AL", "MKVAL"]
    if d.hidden:
        rows = ["ACDEFGH", "ACDEFGH", "A-DEFGH", "ACDEFGH", "A-DEFGH", "W-DEFGH"]
    rows = rows[:n_rows]
    deletions = [[i % 2] + [0] * (len(rows[0]) - 1) for i in range(len(rows))]
    return (A3M(rows, deletions, [f"seq{i}" for i in range(len(rows))]),), {}


def _encode(d: Draw, query: bool):
    from reference.features import AATYPE_LOOKUP

    if query:
        return (["ZBUJOXWYV", "ACDEFGHIK"] if d.hidden else ["MKVBZUX"],), {
            "lookup": AATYPE_LOOKUP
        }
    return (
        ["HILKMFPST", "W-YVBZUJO", "ACDEFGHIK"] if d.hidden else ["MKV-BZU", "AXJ-OWY"],
    ), {}


def _msa_feat(d: Draw):
    msa = d.randint("msa", 23, "N_clust", "N_res")
    deletions = d.randint("deletions", 4, "N_clust", "N_res").double()
    profile = d.probabilities("profile", "N_clust", "N_res", 23, power=1)
    return (
        msa,
        deletions,
        profile,
        d.rand("deletion mean", "N_clust", "N_res") * 5,
    ), {}


def _extra_feat(d: Draw):
    from reference.features import deletion_value

    deletions = d.randint("deletions", 4, 3, "N_extra", "N_res").double()
    extra_msa = d.randint("extra msa", 22, 3, "N_extra", "N_res")
    return (extra_msa, deletions.clamp(0, 1), deletion_value(deletions)), {}


EXERCISES = [
    row(
        "features.encode",
        points=1,
        sizes={},
        hidden={},
        cases=[
            Case("MSA rows", partial(_encode, query=False)),
            Case("query, aatype table", partial(_encode, query=True)),
        ],
        mistakes=edits(r"""
        use the `lookup` argument: the query's aatype table differs from the MSA
        table (B, Z, U map to X)
            lookup[codes.long()] => MSA_LOOKUP[codes.long()]
        the letters are row after row: reshape(N_seq, N_res)
            .reshape(len(sequences), num_res) => .reshape(num_res, len(sequences)).T
        """),
    ),
    row(
        "features.deduplicate_msa",
        points=1,
        sizes={},
        hidden={},
        cases=[
            Case("rows with repeats", _a3m),
            Case("no repeats", partial(_a3m, n_rows=2)),
        ],
        mistakes=edits(r"""
        drop the repeated rows
            if sequence not in seen: => if True:
        keep the *first* occurrence of each sequence (with its deletions)
            if sequence not in seen: => \
                rows[:] = [r for r in rows if a3m.sequences[r] != sequence] \
                \n        if True:
        rows are repeats when their aligned sequences are equal, whatever their
        deletions
            if sequence not in seen: => \
                if (sequence, *a3m.deletion_matrix[i]) not in seen:
            seen.add(sequence) => seen.add((sequence, *a3m.deletion_matrix[i]))
        keep the rows in their original order (the query first), not sorted
            rows.append(i) \
                => rows.append(i)\n            rows.sort(key=lambda r: a3m.sequences[r])
        """),
    ),
    row(
        "features.hhblits_profile",
        points=1,
        cases=[
            Case(
                "float64", lambda d: ((d.randint("msa", 22, "N_extra", "N_res"),), F64)
            ),
            Case(
                "default dtype",
                lambda d: ((d.randint("msa", 22, "N_clust", "N_res"),), {}),
            ),
        ],
        mistakes=edits(r"""
        a profile holds frequencies: the mean over rows
            .mean(0) => .sum(0)
        use the `dtype` argument for the result
            .to(dtype) => .float()
        the mean is over the rows (dim 0): one profile per column
            .mean(0) => .mean(1)
        """),
    ),
    row(
        "features.target_feat",
        points=1,
        cases=[
            Case("one chain", lambda d: ((d.randint("aatype", 21, "N_res"),), F64)),
            Case(
                "batched",
                lambda d: ((d.randint("aatype", 21, "N_clust", "N_res"),), F64),
            ),
        ],
        mistakes=edits(r"""
        channel 0 is has_break (0); the one-hot of the 21 classes follows in
        channels 1..21
            torch.cat([has_break, F.one_hot(aatype, 21).to(dtype)], dim=-1) \
                => F.one_hot(aatype, 22).to(dtype)
        has_break (channel 0) is 0 for a single chain: no break anywhere
            torch.zeros( => torch.ones(
        """),
    ),
    row(
        "features.deletion_value",
        points=1,
        cases=[
            Case(
                "counts 0..9",
                lambda d: ((d.randint("counts", 10, "N_clust", "N_res").double(),), {}),
            ),
            Case(
                "table values",
                lambda d: ((torch.tensor([0.0, 1.0, 3.0, 8.0, 40.0 + d.hidden]),), {}),
            ),
        ],
        mistakes=edits(r"""
        multiply by 2/pi so that the values lie in [0, 1)
            * (2.0 / math.pi) =>
        divide the counts by 3 inside the arctan
            deletion_matrix / 3.0 => deletion_matrix
        compute a new tensor: div_ changes the caller's deletion counts
            torch.atan(deletion_matrix / 3.0) => deletion_matrix.div_(3.0).atan_()
        """),
    ),
    row(
        "features.make_msa_feat",
        points=2,
        cases=[Case("centres with profiles", _msa_feat)],
        mistakes=edits(r"""
        channel 23 is has_deletion (clamped count), channel 24 the deletion value
            deletion_matrix.clamp(0, 1)[ => deletion_value(deletion_matrix)[
            deletion_value(deletion_matrix)[ => deletion_matrix.clamp(0, 1)[
        the cluster deletion mean (channel 48) is squashed with deletion_value too
            deletion_value(cluster_deletion_mean) => cluster_deletion_mean
        order: one-hot (23), has_deletion, deletion_value, profile (23), deletion mean
            deletion_matrix.clamp(0, 1)[..., None] => cluster_profile
            deletion_value(deletion_matrix)[ => deletion_matrix.clamp(0, 1)[
            cluster_profile, => deletion_value(deletion_matrix)[..., None],
        has_deletion is 1 where a residue was deleted: clamp the counts to [0, 1]
            deletion_matrix.clamp(0, 1) => deletion_matrix
        """),
    ),
    row(
        "features.extra_msa_feat",
        points=1,
        cases=[Case("3 passes", _extra_feat)],
        mistakes=edits(r"""
        channel 23 is has_deletion, channel 24 the deletion value
            extra_has_deletion[..., None], => extra_deletion_value[..., None],
            extra_deletion_value[..., None], => extra_has_deletion[..., None],
        the one-hot has 23 classes (the mask token too): 25 channels in all
            F.one_hot(extra_msa, NUM_CLASSES) => F.one_hot(extra_msa, 22)
        """),
    ),
    row(
        "features.pad_rows",
        points=1,
        cases=[
            Case(
                "float rows",
                lambda d: ((d.rand("x", "N_clust", "N_res", 3), d.N_extra), {}),
            ),
            Case(
                "long rows",
                lambda d: ((d.randint("x", 22, "N_clust", "N_res"), d.N_extra + 2), {}),
            ),
            Case(
                "already full",
                lambda d: ((d.rand("x", "N_clust", "N_res"), d.N_clust), {}),
            ),
        ],
        mistakes=edits(r"""
        the padding rows go after the real rows
            [x, padding] => [padding, x]
        keep the input's dtype (x.new_zeros)
            x.new_zeros( => torch.zeros(
        pad up to num_rows rows in all: num_rows - N new rows
            x.new_zeros(num_rows - x.shape[0], => x.new_zeros(num_rows,
        """),
    ),
]
