"""Exercises of ``reference/features.py`` (lesson 1)."""

import torch

from ..cases import Case, Edit, Exercise
from ..inputs import Draw

SIZES = dict(N_clust=5, N_extra=9, N_res=7)
HIDDEN = dict(N_clust=6, N_extra=11, N_res=13)


def _a3m(sequences: list[str], deletions: list[list[int]]):
    from reference.a3m import A3M

    return A3M(sequences, deletions, [f"seq{i}" for i in range(len(sequences))])


def _msa_with_repeats(d: Draw, n_rows: int | None = None):
    """Repeated rows; some repeats have the same deletions, some other ones."""
    rows = ["MKVAL", "MK-AL", "MKVAL", "GK-AL", "MK-AL", "GK-AL", "MKVAL"]
    if d.hidden:
        rows = ["ACDEFGH", "ACDEFGH", "A-DEFGH", "ACDEFGH", "A-DEFGH", "W-DEFGH"]
    rows = rows[:n_rows]
    deletions = [[i % 2] + [0] * (len(rows[0]) - 1) for i in range(len(rows))]
    return (_a3m(rows, deletions),), {}


def _encode_rows(d: Draw):
    rows = ["HILKMFPST", "W-YVBZUJO", "ACDEFGHIK", "---QRSTVW"]
    return ((rows if d.hidden else ["MKV-BZU", "AXJ-OWY", "RNDCQEG"]),), {}


def _encode_query(d: Draw):
    from reference.features import AATYPE_LOOKUP

    query = ["ZBUJOXWYV", "ACDEFGHIK"] if d.hidden else ["MKVBZUX"]
    return (query,), {"lookup": AATYPE_LOOKUP}


def _msa_feat(d: Draw):
    return (
        d.randint("msa", 23, "N_clust", "N_res"),
        d.randint("deletions", 4, "N_clust", "N_res").double(),
        d.probabilities("profile", "N_clust", "N_res", 23, power=1),
        d.rand("deletion mean", "N_clust", "N_res") * 5,
    ), {}


def _extra_feat(d: Draw):
    from reference.features import deletion_value

    deletions = d.randint("deletions", 4, 3, "N_extra", "N_res").double()
    extra_msa = d.randint("extra msa", 22, 3, "N_extra", "N_res")
    return (extra_msa, deletions.clamp(0, 1), deletion_value(deletions)), {}


MSA_FEAT_23_24 = (
    "deletion_matrix.clamp(0, 1)[..., None],\n"
    "            deletion_value(deletion_matrix)[..., None],"
)
EXTRA_23_24 = (
    "extra_has_deletion[..., None],\n            extra_deletion_value[..., None],"
)
EXERCISES = [
    Exercise(
        "features.encode",
        lesson=1,
        points=1,
        cases=[
            Case("MSA rows", _encode_rows),
            Case("query, aatype table", _encode_query),
        ],
        mistakes=[
            Edit(
                "use the `lookup` argument: the query's aatype table differs from the "
                "MSA table (B, Z, U map to X)",
                "lookup[codes.long()]",
                "MSA_LOOKUP[codes.long()]",
            ),
            Edit(
                "the letters are row after row: reshape(N_seq, N_res)",
                ".reshape(len(sequences), num_res)",
                ".reshape(num_res, len(sequences)).T",
            ),
        ],
    ),
    Exercise(
        "features.deduplicate_msa",
        lesson=1,
        points=1,
        cases=[
            Case("rows with repeats", _msa_with_repeats),
            Case("no repeats", lambda d: _msa_with_repeats(d, 2)),
        ],
        mistakes=[
            Edit("drop the repeated rows", "if sequence not in seen:", "if True:"),
            Edit(
                "keep the *first* occurrence of each sequence (with its deletions)",
                "        if sequence not in seen:\n"
                "            seen.add(sequence)\n"
                "            rows.append(i)",
                "        rows = [r for r in rows if a3m.sequences[r] != sequence]\n"
                "        rows.append(i)",
            ),
            Edit(
                "rows are repeats when their aligned sequences are equal, whatever "
                "their deletions",
                ("if sequence not in seen:", "seen.add(sequence)"),
                (
                    "if (sequence, *a3m.deletion_matrix[i]) not in seen:",
                    "seen.add((sequence, *a3m.deletion_matrix[i]))",
                ),
            ),
            Edit(
                "keep the rows in their original order (the query first), not sorted",
                "            rows.append(i)\n",
                "            rows.append(i)\n    rows.sort(key=lambda r: a3m.sequences[r])\n",
            ),
        ],
    ),
    Exercise(
        "features.hhblits_profile",
        lesson=1,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        cases=[
            Case(
                "float64",
                lambda d: (
                    (d.randint("msa", 22, "N_extra", "N_res"),),
                    {"dtype": torch.float64},
                ),
            ),
            Case(
                "default dtype",
                lambda d: ((d.randint("msa", 22, "N_clust", "N_res"),), {}),
            ),
        ],
        mistakes=[
            Edit(
                "a profile holds frequencies: the mean over rows", ".mean(0)", ".sum(0)"
            ),
            Edit("use the `dtype` argument for the result", ".to(dtype)", ".float()"),
            Edit(
                "the mean is over the rows (dim 0), one profile per column",
                ".mean(0)",
                ".mean(1)",
            ),
        ],
    ),
    Exercise(
        "features.target_feat",
        lesson=1,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        cases=[
            Case(
                "one chain",
                lambda d: (
                    (d.randint("aatype", 21, "N_res"),),
                    {"dtype": torch.float64},
                ),
            ),
            Case(
                "batched",
                lambda d: (
                    (d.randint("aatype", 21, "N_clust", "N_res"),),
                    {"dtype": torch.float64},
                ),
            ),
        ],
        mistakes=[
            Edit(
                "channel 0 is has_break (0); the one-hot of the 21 classes follows in "
                "channels 1..21",
                "torch.cat([has_break, F.one_hot(aatype, 21).to(dtype)], dim=-1)",
                "F.one_hot(aatype, 22).to(dtype)",
            ),
            Edit(
                "has_break (channel 0) is 0 for a single chain: no break anywhere",
                "torch.zeros(",
                "torch.ones(",
            ),
        ],
    ),
    Exercise(
        "features.deletion_value",
        lesson=1,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
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
        mistakes=[
            Edit(
                "multiply by 2/pi so the values lie in [0, 1)", " * (2.0 / math.pi)", ""
            ),
            Edit(
                "divide the counts by 3 inside the arctan",
                "deletion_matrix / 3.0",
                "deletion_matrix",
            ),
            Edit(
                "compute a new tensor: div_ changes the caller's deletion counts",
                "torch.atan(deletion_matrix / 3.0)",
                "deletion_matrix.div_(3.0).atan_()",
            ),
        ],
    ),
    Exercise(
        "features.make_msa_feat",
        lesson=1,
        points=2,
        sizes=SIZES,
        hidden=HIDDEN,
        cases=[Case("centres with profiles", _msa_feat)],
        mistakes=[
            Edit(
                "channel 23 is has_deletion (clamped count), channel 24 the deletion value",
                MSA_FEAT_23_24,
                "deletion_value(deletion_matrix)[..., None],\n"
                "            deletion_matrix.clamp(0, 1)[..., None],",
            ),
            Edit(
                "the cluster deletion mean (channel 48) is squashed with deletion_value too",
                "deletion_value(cluster_deletion_mean)[..., None]",
                "cluster_deletion_mean[..., None]",
            ),
            Edit(
                "order: one-hot (23), has_deletion, deletion_value, profile (23), "
                "deletion mean",
                MSA_FEAT_23_24 + "\n            cluster_profile,",
                "cluster_profile,\n            " + MSA_FEAT_23_24,
            ),
            Edit(
                "has_deletion is 1 where any residue was deleted: clamp the counts to [0, 1]",
                "deletion_matrix.clamp(0, 1)",
                "deletion_matrix",
            ),
        ],
    ),
    Exercise(
        "features.extra_msa_feat",
        lesson=1,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
        cases=[Case("3 passes", _extra_feat)],
        mistakes=[
            Edit(
                "channel 23 is has_deletion, channel 24 the deletion value",
                EXTRA_23_24,
                "extra_deletion_value[..., None],\n            extra_has_deletion[..., None],",
            ),
            Edit(
                "the one-hot has 23 classes (the mask token too), so 25 channels in all",
                "F.one_hot(extra_msa, NUM_CLASSES)",
                "F.one_hot(extra_msa, 22)",
            ),
        ],
    ),
    Exercise(
        "features.pad_rows",
        lesson=1,
        points=1,
        sizes=SIZES,
        hidden=HIDDEN,
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
        mistakes=[
            Edit(
                "the padding rows go after the real rows",
                "[x, padding]",
                "[padding, x]",
            ),
            Edit(
                "keep the input's dtype (x.new_zeros)", "x.new_zeros(", "torch.zeros("
            ),
            Edit(
                "pad up to num_rows rows in all: num_rows - N new rows",
                "x.new_zeros(num_rows - x.shape[0],",
                "x.new_zeros(num_rows,",
            ),
        ],
    ),
]
