"""Input features of AlphaFold2 from an a3m alignment (SI §1.2.7 and §1.2.9, Table 1).

``build_features`` turns an alignment into exactly the tensors the model reads, with a
leading pass dimension ``P = num_recycle + 1``: every pass gets its own MSA sample
(cluster centres, BERT corruption, extra rows), as AF2 resamples the MSA in recycling.

| key | shape | dtype |
|---|---|---|
| ``aatype``, ``residue_index`` | [P, N_res] | long |
| ``seq_mask`` | [P, N_res] | float |
| ``target_feat`` | [P, N_res, 22] | float |
| ``msa_feat``, ``msa_mask`` | [P, N_clust, N_res, 49], [P, N_clust, N_res] | float |
| ``extra_msa`` | [P, N_extra, N_res] | long |
| ``extra_has_deletion``, ``extra_deletion_value`` | [P, N_extra, N_res] | float |
| ``extra_msa_mask`` | [P, N_extra, N_res] | float |

MSA rows are padded to exactly ``N_clust`` / ``N_extra`` rows: padded rows have mask 0,
``msa_feat`` 0, and ``extra_msa`` 0 (class 'A'), as AF2 pads them.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from .a3m import A3M, read_a3m
from .msa_clustering import (
    GAP,
    NUM_CLASSES,
    UNKNOWN,
    crop_extra_indices,
    make_masked_msa,
    nearest_neighbor_clusters,
    sample_msa_indices,
    summarize_clusters,
)
from .residue_constants import restypes


def _lookup_tables() -> tuple[torch.Tensor, torch.Tensor]:
    """ASCII code -> class, for MSA rows and for the query's ``aatype``; -1 = invalid.

    MSA rows use HHblits' letter classes re-ordered to AF order, as AF2's
    ``HHBLITS_AA_TO_ID`` + ``MAP_HHBLITS_AATYPE_TO_OUR_AATYPE`` do: B -> D, Z -> E,
    U -> C, every other non-standard letter (J, O, X) -> X, '-' -> gap. ``aatype``
    (AF2's ``sequence_to_onehot(map_unknown_to_x=True)``) maps every non-standard
    upper-case letter to X and allows no gap.
    """
    msa_table = torch.full((128,), -1, dtype=torch.long)
    aatype_table = torch.full((128,), -1, dtype=torch.long)
    for code in range(ord("A"), ord("Z") + 1):
        msa_table[code] = aatype_table[code] = UNKNOWN
    for index, letter in enumerate(restypes):
        msa_table[ord(letter)] = aatype_table[ord(letter)] = index
    for letter, same_as in {"B": "D", "Z": "E", "U": "C"}.items():
        msa_table[ord(letter)] = restypes.index(same_as)
    msa_table[ord("-")] = GAP
    return msa_table, aatype_table


MSA_LOOKUP, AATYPE_LOOKUP = _lookup_tables()


def encode(sequences: list[str], lookup: torch.Tensor = MSA_LOOKUP) -> torch.Tensor:
    """Turn equal-length sequences into a tensor of residue classes.

    Args:
        sequences: N_seq strings of N_res letters.
        lookup: [128] class of each ASCII code (``MSA_LOOKUP`` or ``AATYPE_LOOKUP``).

    Returns:
        [N_seq, N_res] long.

    Raises:
        ValueError: rows of unequal length, or a letter the table does not allow.
    """
    num_res = len(sequences[0])
    if any(len(s) != num_res for s in sequences):
        raise ValueError("sequences of unequal length")
    codes = torch.frombuffer(bytearray("".join(sequences), "ascii"), dtype=torch.uint8)
    # [N_seq * N_res] -> [N_seq, N_res]; the plain form: [[table[c] for c in s] ...]
    ### BEGIN SOLUTION
    classes = lookup[codes.long()].reshape(len(sequences), num_res)
    ### END SOLUTION
    if (classes < 0).any():
        bad = sorted({c for s in sequences for c in s if lookup[ord(c) % 128] < 0})
        raise ValueError(f"letters not allowed here: {bad}")
    return classes


def deduplicate_msa(a3m: A3M) -> A3M:
    """Keep the first occurrence of each aligned sequence (and its deletions).

    As AF2's ``pipeline.make_msa_features`` does upstream (the query, row 0, always
    stays). Rows equal once insertions are removed count as duplicates.

    Returns:
        A new ``A3M`` with the kept rows in their original order.
    """
    seen: set[str] = set()
    rows = []
    # Hint: collect the indices of rows whose sequence was not seen before.
    ### BEGIN SOLUTION
    for i, sequence in enumerate(a3m.sequences):
        if sequence not in seen:
            seen.add(sequence)
            rows.append(i)
    ### END SOLUTION
    return A3M(
        [a3m.sequences[i] for i in rows],
        [a3m.deletion_matrix[i] for i in rows],
        [a3m.descriptions[i] for i in rows],
    )


def make_msa_features(
    a3m: A3M, *, deduplicate: bool = True, dtype: torch.dtype = torch.float32
) -> dict[str, torch.Tensor]:
    """The raw MSA features of AF2's ``pipeline.make_msa_features``, in AF order.

    Returns:
        ``msa``: [N_seq, N_res] long, classes 0..21; ``deletion_matrix``:
        [N_seq, N_res] deletion counts in ``dtype``.
    """
    if deduplicate:
        a3m = deduplicate_msa(a3m)
    return {
        "msa": encode(a3m.sequences),
        "deletion_matrix": torch.tensor(a3m.deletion_matrix, dtype=dtype),
    }


def hhblits_profile(
    msa: torch.Tensor, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Per-column frequency of each class over all MSA rows (used by BERT masking).

    Args:
        msa: [N_seq, N_res] classes 0..21.

    Returns:
        [N_res, 22] each column's class frequencies (rows sum to 1).
    """
    # [N_res, 22]: the mean over rows of the one-hot encoding (22 classes)
    ### BEGIN SOLUTION
    profile = F.one_hot(msa, 22).to(dtype).mean(0)
    ### END SOLUTION
    return profile


def target_feat(
    aatype: torch.Tensor, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """The per-residue target feature.

    SI §1.2.9, Table 1 (``target_feat``): AF2 prepends a ``has_break`` channel, always
    0 for one chain, to the one-hot of the query residues (20 amino acids + X).

    Args:
        aatype: [*, N_res] long, classes 0..20.

    Returns:
        [*, N_res, 22]: channel 0 = has_break, channels 1..21 = one-hot(aatype, 21).
    """
    # [*, N_res, 22]: a zero channel, then one-hot(aatype, 21), in ``dtype``
    ### BEGIN SOLUTION
    has_break = torch.zeros(*aatype.shape, 1, dtype=dtype, device=aatype.device)
    feat = torch.cat([has_break, F.one_hot(aatype, 21).to(dtype)], dim=-1)
    ### END SOLUTION
    return feat


def make_sequence_features(
    sequence: str, dtype: torch.dtype = torch.float32
) -> dict[str, torch.Tensor]:
    """``aatype``, ``residue_index`` (0..N_res-1), ``seq_mask`` (ones), ``target_feat``.

    Args:
        sequence: the query, N_res upper-case letters (no gaps).
    """
    aatype = encode([sequence], AATYPE_LOOKUP)[0]
    return {
        "aatype": aatype,
        "residue_index": torch.arange(len(sequence)),
        "seq_mask": torch.ones(len(sequence), dtype=dtype),
        "target_feat": target_feat(aatype, dtype),
    }


def deletion_value(deletion_matrix: torch.Tensor) -> torch.Tensor:
    """Squash deletion counts into [0, 1): ``atan(d / 3) * 2 / pi``.

    SI §1.2.9, Table 1 (``cluster_deletion_value``): 0, 1, 3, 8 -> 0, .2048, .5, .7716.
    """
    ### BEGIN SOLUTION
    value = torch.atan(deletion_matrix / 3.0) * (2.0 / math.pi)
    ### END SOLUTION
    return value


def make_msa_feat(
    msa: torch.Tensor,
    deletion_matrix: torch.Tensor,
    cluster_profile: torch.Tensor,
    cluster_deletion_mean: torch.Tensor,
) -> torch.Tensor:
    """The 49 channels of the cluster-centre MSA feature.

    SI §1.2.9, Table 1: ``cluster_msa`` (23), ``cluster_has_deletion`` (1),
    ``cluster_deletion_value`` (1), ``cluster_profile`` (23),
    ``cluster_deletion_mean`` (1, squashed like the deletion value), in that order.

    Args:
        msa: [N_clust, N_res] classes 0..22 (after BERT masking).
        deletion_matrix: [N_clust, N_res] deletion counts.
        cluster_profile: [N_clust, N_res, 23].
        cluster_deletion_mean: [N_clust, N_res].

    Returns:
        [N_clust, N_res, 49].
    """
    dtype = deletion_matrix.dtype
    # [N_clust, N_res, 49]: concatenate the five parts in the order above;
    # has_deletion = clamp(deletion_matrix, 0, 1), values through deletion_value
    ### BEGIN SOLUTION
    feat = torch.cat(
        [
            F.one_hot(msa, NUM_CLASSES).to(dtype),
            deletion_matrix.clamp(0, 1)[..., None],
            deletion_value(deletion_matrix)[..., None],
            cluster_profile,
            deletion_value(cluster_deletion_mean)[..., None],
        ],
        dim=-1,
    )
    ### END SOLUTION
    return feat


def extra_msa_feat(
    extra_msa: torch.Tensor,
    extra_has_deletion: torch.Tensor,
    extra_deletion_value: torch.Tensor,
) -> torch.Tensor:
    """The 25 channels the extra-MSA embedder reads (AF2 builds them in the model).

    SI §1.2.9, Table 1: ``extra_msa`` (23), ``extra_msa_has_deletion`` (1),
    ``extra_msa_deletion_value`` (1); no profile channels.

    Args:
        extra_msa: [*, N_extra, N_res] classes 0..21.
        extra_has_deletion, extra_deletion_value: [*, N_extra, N_res].

    Returns:
        [*, N_extra, N_res, 25].
    """
    dtype = extra_has_deletion.dtype
    # [*, N_extra, N_res, 25]
    ### BEGIN SOLUTION
    feat = torch.cat(
        [
            F.one_hot(extra_msa, NUM_CLASSES).to(dtype),
            extra_has_deletion[..., None],
            extra_deletion_value[..., None],
        ],
        dim=-1,
    )
    ### END SOLUTION
    return feat


def pad_rows(x: torch.Tensor, num_rows: int) -> torch.Tensor:
    """Zero-pad the first dimension of ``x`` to exactly ``num_rows`` (AF2's
    ``make_fixed_size``). ``x``: [N, ...] with N <= num_rows."""
    # [num_rows, ...]: x.new_zeros keeps the dtype and device
    ### BEGIN SOLUTION
    padding = x.new_zeros(num_rows - x.shape[0], *x.shape[1:])
    padded = torch.cat([x, padding], dim=0)
    ### END SOLUTION
    return padded


def sample_msa_features(
    msa: torch.Tensor,
    deletion_matrix: torch.Tensor,
    profile: torch.Tensor,
    generator: torch.Generator,
    max_msa_clusters: int = 512,
    max_extra_msa: int = 1024,
    training: bool = False,
) -> dict[str, torch.Tensor]:
    """One pass's MSA sample, in AF2's order: centres, BERT, clusters, extra crop.

    Args:
        msa: [N_seq, N_res] classes 0..21 (``make_msa_features``).
        deletion_matrix: [N_seq, N_res] float deletion counts.
        profile: [N_res, 22] ``hhblits_profile(msa)``.
        generator: CPU generator for the random steps.
        training: also return the targets of the masked-MSA loss, ``bert_mask``
            and ``true_msa`` [N_clust, N_res] (the centres before BERT).

    Returns:
        ``msa_feat`` [N_clust, N_res, 49], ``msa_mask``, ``extra_msa``,
        ``extra_has_deletion``, ``extra_deletion_value``, ``extra_msa_mask``
        (padded to ``max_msa_clusters`` / ``max_extra_msa`` rows).
    """
    clusters, extra = sample_msa_indices(msa.shape[0], max_msa_clusters, generator)
    bert_msa, bert_mask = make_masked_msa(msa[clusters], profile, generator)
    deletions, extra_deletions = deletion_matrix[clusters], deletion_matrix[extra]
    mask, extra_mask = torch.ones_like(deletions), torch.ones_like(extra_deletions)
    assignment = nearest_neighbor_clusters(bert_msa, mask, msa[extra], extra_mask)
    cluster_profile, deletion_mean = summarize_clusters(
        bert_msa, mask, deletions, msa[extra], extra_mask, extra_deletions, assignment
    )
    extra = extra[crop_extra_indices(len(extra), max_extra_msa, generator)]
    extra_deletions = deletion_matrix[extra]
    features = {
        "msa_feat": make_msa_feat(bert_msa, deletions, cluster_profile, deletion_mean),
        "msa_mask": mask,
        "extra_msa": msa[extra],
        "extra_has_deletion": extra_deletions.clamp(0, 1),
        "extra_deletion_value": deletion_value(extra_deletions),
        "extra_msa_mask": torch.ones_like(extra_deletions),
    }
    if training:
        features.update(bert_mask=bert_mask, true_msa=msa[clusters])
    rows = {"extra": max_extra_msa}
    return {
        k: pad_rows(v, rows.get(k.split("_")[0], max_msa_clusters))
        for k, v in features.items()
    }


def build_features(
    a3m_path_or_parsed: str | Path | A3M,
    *,
    num_recycle: int = 3,
    max_msa_clusters: int = 512,
    max_extra_msa: int = 1024,
    generator: torch.Generator | None = None,
    deduplicate: bool = True,
    dtype: torch.dtype = torch.float32,
    training: bool = False,
) -> dict[str, torch.Tensor]:
    """Every feature the model reads, for ``num_recycle + 1`` passes (module docstring).

    Args:
        a3m_path_or_parsed: an a3m file or a parsed ``A3M`` (query first).
        num_recycle: recycling iterations; P = num_recycle + 1 MSA samples.
        max_msa_clusters: N_clust (512 in AF2's monomer models).
        max_extra_msa: N_extra (AF2's default 1024; its config sets 5120 for
            ``model_1``, ``model_3``, ``model_4`` and their ``_ptm`` versions).
        generator: CPU generator for the random steps (default: seeded with 0).
        deduplicate: drop repeated aligned rows first (upstream AF2; ColabFold's
            fork does not).
        dtype: float dtype of the float features.
        training: also return ``bert_mask`` and ``true_msa`` [P, N_clust, N_res]
            (see ``sample_msa_features``).

    Returns:
        dict of tensors, each with a leading dimension P.
    """
    a3m = a3m_path_or_parsed
    if not isinstance(a3m, A3M):
        a3m = read_a3m(a3m)
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    raw = make_msa_features(a3m, deduplicate=deduplicate, dtype=dtype)
    profile = hhblits_profile(raw["msa"], dtype)
    passes = [
        sample_msa_features(
            raw["msa"],
            raw["deletion_matrix"],
            profile,
            generator,
            max_msa_clusters,
            max_extra_msa,
            training,
        )
        for _ in range(num_recycle + 1)
    ]
    features = {k: torch.stack([p[k] for p in passes]) for k in passes[0]}
    for k, v in make_sequence_features(a3m.query, dtype).items():
        features[k] = v.expand(num_recycle + 1, *v.shape).clone()
    return features
