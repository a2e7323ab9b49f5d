"""MSA sampling, BERT-style masking and clustering (SI §1.2.7).

A deep MSA (thousands of rows) is too big for the Evoformer's MSA stack. Each pass
AlphaFold2 picks at most ``N_clust = 512`` rows as *cluster centres* (the query is
always row 0), corrupts them BERT-style, assigns every other row to its nearest
centre, and summarises each cluster by its residue profile and mean deletion count.
A random subset of the rows not picked (``N_extra = 1024``) goes to the extra-MSA stack.

Random steps take a CPU ``torch.Generator`` (draws are float32 on the CPU whatever
the dtype and device of the data, so one seed gives one sample); the deterministic
steps take tensors only.

Residue classes (``NUM_CLASSES`` = 23, AF order): 0..19 amino acids
``ARNDCQEGHILKMFPSTWYV``, 20 = X, 21 = gap ``-``, 22 = the BERT mask token.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

UNKNOWN, GAP, MASK_TOKEN = 20, 21, 22
NUM_CLASSES = 23  # 20 amino acids, X, gap, mask token


def sample_msa_indices(
    num_seq: int, max_msa_clusters: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Choose the cluster centres: the query, then a random permutation of the rest.

    SI §1.2.7: ``N_clust`` sequences are selected at random, the query always first.

    Args:
        num_seq: N_seq, the number of MSA rows (row 0 = query).
        max_msa_clusters: N_clust, the most centres to pick (512 in AF2).
        generator: the source of randomness (draws one ``randperm``).

    Returns:
        ``(cluster_rows, extra_rows)``: [min(N_clust, N_seq)] row indices starting
        with 0, and [N_seq - min(N_clust, N_seq)] the rows not picked, in the order
        of the same permutation.
    """
    # Hint: torch.randperm(num_seq - 1, generator=...) + 1 shuffles rows 1..N_seq-1.
    # YOUR CODE HERE
    raise NotImplementedError()
    return order[:num_clusters], order[num_clusters:]


def crop_extra_indices(
    num_extra: int, max_extra_msa: int, generator: torch.Generator
) -> torch.Tensor:
    """Choose which extra rows the extra-MSA stack sees.

    SI §1.2.7: a random subset of at most ``N_extra`` of the rows not chosen.

    Args:
        num_extra: number of extra rows available.
        max_extra_msa: N_extra, the most to keep (1024 in AF2).
        generator: the source of randomness (draws one ``randperm``).

    Returns:
        [min(N_extra, num_extra)] indices into the extra rows, in random order.
    """
    # Hint: one torch.randperm(num_extra, generator=...), then keep the first ones.
    # YOUR CODE HERE
    raise NotImplementedError()
    return keep


def bert_probabilities(
    msa: torch.Tensor,
    profile: torch.Tensor,
    uniform_prob: float = 0.1,
    profile_prob: float = 0.1,
    same_prob: float = 0.1,
) -> torch.Tensor:
    """The distribution a BERT-masked position is replaced from.

    SI §1.2.7: 10% a uniformly random amino acid, 10% a draw from the MSA profile,
    10% unchanged, and the remaining 70% the mask token.

    Args:
        msa: [N_clust, N_res] residue classes 0..21.
        profile: [N_res, 22] column frequencies of classes 0..21 over all rows.

    Returns:
        [N_clust, N_res, 23] probabilities; each row sums to 1.
    """
    dtype = profile.dtype
    # uniform over the 20 amino acids only (X and gap get 0)
    uniform = torch.zeros(22, dtype=dtype, device=profile.device)
    uniform[:20] = 0.05
    # [N_clust, N_res, 22]
    # YOUR CODE HERE
    raise NotImplementedError()
    # [N_clust, N_res, 23]: the rest of the mass on the mask token
    # YOUR CODE HERE
    raise NotImplementedError()
    return probs


def sample_categorical(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Draw one class per row of ``probs`` by inverting the cumulative distribution.

    Args:
        probs: [*, C] probabilities (summing to 1 along the last axis).
        u: [*] uniform draws in [0, 1).

    Returns:
        [*] long: the class ``i`` with ``cdf[i-1] <= u < cdf[i]``.
    """
    # Hint: count the cumulative sums that are <= u; clamp to C - 1 against round-off.
    # YOUR CODE HERE
    raise NotImplementedError()
    return draws


def make_masked_msa(
    msa: torch.Tensor,
    profile: torch.Tensor,
    generator: torch.Generator,
    replace_fraction: float = 0.15,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Corrupt the cluster centres BERT-style (active at inference too).

    SI §1.2.7: each position, the query row included, is chosen with probability
    ``replace_fraction`` and replaced by a draw from ``bert_probabilities``.

    Args:
        msa: [N_clust, N_res] residue classes 0..21 of the chosen centres.
        profile: [N_res, 22] the MSA profile (``features.hhblits_profile``).
        generator: the source of randomness (draws two ``torch.rand`` of msa's shape:
            first the positions, then the replacements).
        replace_fraction: the fraction of positions chosen (0.15).

    Returns:
        ``(bert_msa, bert_mask)``: [N_clust, N_res] classes 0..22, and
        [N_clust, N_res] 1 where a position was chosen (profile's dtype).
    """
    probs = bert_probabilities(msa, profile)
    # [N_clust, N_res]: draw u1 (positions: u1 < replace_fraction), then u2 for
    # sample_categorical; keep msa where not chosen
    # YOUR CODE HERE
    raise NotImplementedError()
    return bert_msa, chosen.to(profile.dtype)


def nearest_neighbor_clusters(
    msa: torch.Tensor,
    msa_mask: torch.Tensor,
    extra_msa: torch.Tensor,
    extra_msa_mask: torch.Tensor,
) -> torch.Tensor:
    """Assign every extra row to the cluster centre it agrees with at most columns.

    SI §1.2.7. Only classes 0..20 (amino acids and X) count as agreement; gaps and
    the mask token do not. Masked positions do not count. Ties go to the first centre.

    Args:
        msa: [N_clust, N_res] centres after BERT masking, classes 0..22.
        msa_mask: [N_clust, N_res] 1 = real.
        extra_msa: [N_extra, N_res] the rows not chosen, classes 0..21.
        extra_msa_mask: [N_extra, N_res] 1 = real.

    Returns:
        [N_extra] long: the index of each extra row's centre.
    """
    classes = torch.arange(21, device=msa.device)
    # [N_clust, N_res, 21] and [N_extra, N_res, 21]: one-hot of classes 0..20, masked
    # YOUR CODE HERE
    raise NotImplementedError()
    # [N_extra, N_clust]: agreement[e, n] = matching columns; argmax keeps the first
    # YOUR CODE HERE
    raise NotImplementedError()
    return assignment


def summarize_clusters(
    msa: torch.Tensor,
    msa_mask: torch.Tensor,
    deletion_matrix: torch.Tensor,
    extra_msa: torch.Tensor,
    extra_msa_mask: torch.Tensor,
    extra_deletion_matrix: torch.Tensor,
    assignment: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each cluster's residue profile and mean deletion count, its centre included.

    SI §1.2.7 and Table 1 (``cluster_profile``, ``cluster_deletion_mean``).

    Args:
        msa: [N_clust, N_res] centres after BERT masking, classes 0..22.
        msa_mask: [N_clust, N_res] 1 = real.
        deletion_matrix: [N_clust, N_res] the centres' deletion counts.
        extra_msa: [N_extra, N_res] classes 0..21.
        extra_msa_mask: [N_extra, N_res] 1 = real.
        extra_deletion_matrix: [N_extra, N_res] deletion counts.
        assignment: [N_extra] each extra row's centre (``nearest_neighbor_clusters``).

    Returns:
        ``(cluster_profile, cluster_deletion_mean)``: [N_clust, N_res, 23] and
        [N_clust, N_res]; averages over the centre and its assigned rows.
    """
    # [N_clust, N_res]: rows per cluster and column, the centre included
    # (plus 1e-6 against division by zero, added in AF2's order)
    # YOUR CODE HERE
    raise NotImplementedError()
    # [N_clust, N_res, 23]: summed one-hots of the centre and its rows. Plain form:
    #   one_hot(msa).index_add(0, assignment, one_hot(extra_msa) * extra_msa_mask)
    # here each extra residue is added at its flat index (cluster, column, class).
    # Hint: Tensor.index_add(0, assignment, x) sums the rows of x into their cluster.
    num_res = msa.shape[1]
    # YOUR CODE HERE
    raise NotImplementedError()
    # [N_clust, N_res]: summed deletion counts of the centre and its rows
    # YOUR CODE HERE
    raise NotImplementedError()
    return msa_sum / mask_counts[..., None], del_sum / mask_counts
