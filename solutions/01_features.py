# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["setup"]
# Set-up of the solved lesson, run from solutions/: every `student` component is the
# reference one. (`python -m grader build` puts grader/colab.py's set-up cell here in
# the lesson notebooks.)
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
from grader.colab import setup

setup()

# %% [markdown]
# # Lesson 1 — From an alignment to AlphaFold2's input features
#
# AlphaFold2 never sees a protein structure at inference time. It sees a **multiple
# sequence alignment** (MSA) and turns it into a handful of tensors. In this lesson you
# write that step, the first stage of SI §1.2 (Jumper et al., 2021): reading an a3m file,
# encoding residues, sampling and corrupting the MSA, clustering it, and assembling
# `msa_feat` (49 channels), `extra_msa_feat` (25) and `target_feat` (22).
#
# **How the exercises work.** Your code goes into three files of the `student` package
# (next to this notebook): `student/a3m.py`, `student/msa_clustering.py` and
# `student/features.py`. Each function has a docstring with shapes and hints, and a
# `# YOUR CODE HERE` line where your code replaces `raise NotImplementedError()`. Save
# the file, then run the check cell below the explanation: it prints ✓, or tells you
# what is wrong. Figures use your code once it works and the reference code before.

# %%
import matplotlib.pyplot as plt
import numpy as np
import student.a3m
import student.features
import student.msa_clustering
import torch

from grader import check
from grader.lesson import data_path, yours_or_reference
from reference import plots

torch.set_printoptions(precision=3, sci_mode=False)

# %% [markdown]
# ## 1. Why an alignment carries structure
#
# An MSA stacks a protein (the *query*, row 0) with its homologues, one residue per
# column. Evolution edits these sequences under one constraint: the protein must still
# fold. Two signals follow.
#
# - **Conservation.** A column that never changes is probably essential: a buried core
#   residue, a catalytic site. We measure it by the entropy of the column,
#   $H_i = -\sum_a f_i(a) \log f_i(a)$, where $f_i(a)$ is the frequency of residue $a$ in
#   column $i$ (0 for a column that never changes).
# - **Co-evolution.** When two residues touch, a mutation of one is often compensated by
#   the other: a salt bridge K–E can become E–K. Their columns then vary *together*. The
#   mutual information $M_{ij} = H_i + H_j - H_{ij}$ is large for such pairs.
#
# Below, a toy alignment of 16 sequences: columns 1 and 7 form a salt bridge.

# %%
toy = [
    "MKTLAEVESG",
    "MRTIAEVDDG",
    "METIAEIKSG",
    "MDSLAEIRDG",
    "MKSIGQVESG",
    "MRTVGEVDDG",
    "METVGEIKNG",
    "MDSVGEVRNG",
    "MKSVGQVEDG",
    "MRSVAEVDSG",
    "METIAEIKDG",
    "MDTVGEIRDG",
    "MKSLAQVESG",
    "MRTLAQIDDG",
    "MESVAQIKDG",
    "MDTVAQVRNG",
]
columns = np.array([list(s) for s in toy])  # [N_seq, N_res] letters


def entropy(*cols):
    """Entropy of the joint letters of one or more columns."""
    joint = ["".join(x) for x in zip(*cols)]
    _, counts = np.unique(joint, return_counts=True)
    f = counts / counts.sum()
    return float(-(f * np.log(f)).sum())


n_res = columns.shape[1]
H = np.array([entropy(columns[:, i]) for i in range(n_res)])
M = np.array(
    [
        [
            H[i] + H[j] - entropy(columns[:, i], columns[:, j]) if i != j else 0.0
            for j in range(n_res)
        ]
        for i in range(n_res)
    ]
)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
ax1.bar(range(n_res), H, color="grey")
ax1.set(
    xlabel="column i",
    ylabel="entropy $H_i$ (nats)",
    title="conservation: low = conserved",
)
shown = ax2.imshow(M, cmap="viridis")
ax2.set(xlabel="column j", ylabel="column i", title="mutual information $M_{ij}$")
fig.colorbar(shown, ax=ax2, label="nats")
plt.show()
print("strongest pair:", tuple(int(i) for i in np.unravel_index(M.argmax(), M.shape)))

# %% [markdown]
# Columns 0 and 9 are conserved ($H = 0$); the pair (1, 7) stands out in $M$ although
# neither column is conserved. Real MSAs are noisier: pairs of columns also correlate
# through shared ancestry, which is why AlphaFold2 does not compute $M$ but *learns*
# what to read from the raw MSA, with attention over rows and columns (lessons 2–3).
# What it needs from us is the MSA itself, encoded as tensors.

# %% [markdown]
# ## 2. The a3m format and the deletion matrix
#
# Search tools (HHblits, JackHMMER, MMseqs2) write alignments as **a3m**: a FASTA-like
# file where `>` starts a header and the query comes first. In each sequence line,
#
# - upper-case letters and `-` (a gap) are **aligned**: exactly one per query residue;
# - lower-case letters are **insertions**: residues of the homologue with no column in
#   the query.
#
# AlphaFold2 drops the insertions but remembers how many there were, as the
# **deletion count** of the next aligned column (SI §1.2.9, Table 1, `deletion_matrix`).
# For the row `AbcD-eF`: aligned `AD-F`, deletions `[0, 2, 0, 1]`; lower-case letters
# after the last column are dropped.
#
# **Exercise** (`student/a3m.py`): `split_insertions(row) -> (aligned, deletions)`.

# %% tags=["check"] points=2 exercise="a3m.split_insertions"
check.exercise("a3m.split_insertions", student.a3m.split_insertions)

# %% [markdown]
# With `split_insertions`, `parse_a3m` (given) reads a whole file. The course ships a
# small synthetic alignment (no download needed). Its coverage plot shows which
# positions each homologue covers, coloured by identity to the query, and the
# **depth** (non-gap rows) per position: AlphaFold2's accuracy drops where depth is low.

# %%
msa_file = data_path("inputs", "synthetic.a3m")
a3m = yours_or_reference(
    student.a3m.parse_a3m, msa_file.read_text(), source=msa_file.name
)
print(f"{len(a3m)} sequences x {len(a3m.query)} columns; query: {a3m.query}")
print("row 1 with insertions removed:", a3m.sequences[1])
print(
    "its deletion counts:         ",
    "".join(str(min(d, 9)) for d in a3m.deletion_matrix[1]),
)
plots.plot_msa_coverage(a3m.sequences)

# %% [markdown]
# The synthetic MSA was generated from a few subfamilies with one planted co-evolving
# pair (its header names it, counting columns from 1). Raw mutual information mostly
# finds columns that differ between *subfamilies*: shared ancestry, not contact. The
# average product correction (Dunn et al., 2008),
# $M^\text{APC}_{ij} = M_{ij} - \bar M_{i\cdot}\,\bar M_{\cdot j} / \bar M$, removes
# much of that background, and the planted pair stands out. AlphaFold2 learns such
# corrections (and far more) from the raw alignment.

# %%
cols = np.array([list(s) for s in a3m.sequences])  # [N_seq, N_res] letters
n_res = cols.shape[1]
H = np.array([entropy(cols[:, i]) for i in range(n_res)])
M = np.zeros((n_res, n_res))
for i in range(n_res):
    for j in range(i + 1, n_res):
        M[i, j] = M[j, i] = H[i] + H[j] - entropy(cols[:, i], cols[:, j])
apc = M - np.outer(M.mean(0), M.mean(0)) / M.mean()
np.fill_diagonal(apc, 0.0)

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, matrix, title in zip(
    axes, (M, apc), ("mutual information", "with average product correction")
):
    limit = np.abs(matrix).max()
    shown = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set(xlabel="residue j", ylabel="residue i", title=title)
    fig.colorbar(shown, ax=ax, label="nats")
plt.show()
for name, matrix in (("raw MI", M), ("APC", apc)):
    i, j = np.unravel_index(matrix.argmax(), matrix.shape)
    print(f"{name}: strongest pair = columns {i + 1} and {j + 1} (counting from 1)")
print("planted:", a3m.descriptions[0])

# %% [markdown]
# ## 3. Residues as classes
#
# The model reads residues as integers in **AF order**: 0..19 the amino acids
# `ARNDCQEGHILKMFPSTWYV`, 20 = `X` (unknown), 21 = the gap `-`; BERT masking (section
# 5) adds 22, the mask token. In MSA rows AlphaFold2 reads the ambiguous letters as
# HHblits does: `B` → D, `Z` → E, `U` → C, any other letter → X. The query's `aatype`
# uses a second table (every non-standard letter → X, no gaps). `encode` takes the
# table as its argument, `lookup[ord(letter)]`, so one vectorised gather does it.
#
# **Exercise** (`student/features.py`): `encode(sequences, lookup)` → `[N_seq, N_res]`.

# %% tags=["check"] points=1 exercise="features.encode"
check.exercise("features.encode", student.features.encode)

# %% [markdown]
# Homology searches often return the same aligned sequence many times (different
# species, same segment). AlphaFold2 keeps only the first copy of each
# (`deduplicate_msa`; the query, row 0, always stays); rows that differ only in their
# insertions count as duplicates.
#
# **Exercise**: `deduplicate_msa(a3m) -> A3M`.

# %% tags=["check"] points=1 exercise="features.deduplicate_msa"
check.exercise("features.deduplicate_msa", student.features.deduplicate_msa)

# %% [markdown]
# The **profile** summarises the MSA column by column: $p_{j}(a) = \frac{1}{N_\text{seq}}
# \sum_s [\,\text{msa}_{sj} = a\,]$, the mean of the one-hot encoding over rows,
# `profile[j, a]` ↔ $p_j(a)$, shape `[N_res, 22]`. BERT masking (section 5) draws
# replacements from it. The **target feature** is the query alone: `target_feat[i]` =
# `[has_break, one_hot(aatype_i, 21)]`, 22 channels, where `has_break` marks chain
# breaks and is 0 for a single chain (SI §1.2.9, Table 1).
#
# **Exercises**: `hhblits_profile(msa, dtype)` → `[N_res, 22]`; `target_feat(aatype, dtype)`
# → `[*, N_res, 22]`.

# %% tags=["check"] points=1 exercise="features.hhblits_profile"
check.exercise("features.hhblits_profile", student.features.hhblits_profile)

# %% tags=["check"] points=1 exercise="features.target_feat"
check.exercise("features.target_feat", student.features.target_feat)

# %%
raw = yours_or_reference(student.features.make_msa_features, a3m, dtype=torch.float64)
msa, deletion_matrix = raw["msa"], raw["deletion_matrix"]
profile = yours_or_reference(student.features.hhblits_profile, msa, torch.float64)
print(
    "msa:",
    tuple(msa.shape),
    "deletion_matrix:",
    tuple(deletion_matrix.shape),
    "profile:",
    tuple(profile.shape),
)
conservation = -(profile * profile.clamp(min=1e-9).log()).sum(-1)
fig, ax = plt.subplots(figsize=(8, 2.5))
ax.plot(conservation.numpy(), color="black")
ax.set(
    xlabel="residue",
    ylabel="entropy (nats)",
    title="column entropy of the synthetic MSA (low = conserved)",
)
plt.show()

# %% [markdown]
# ## 4. Choosing the cluster centres (SI §1.2.7)
#
# A real MSA can hold thousands of rows; the Evoformer's MSA stack takes at most
# $N_\text{clust} = 512$. Each pass through the network, AlphaFold2 picks the query plus
# a random subset of the other rows as **cluster centres**. Rows not picked are *extra*
# rows: a random subset of at most $N_\text{extra} = 1024$ of them feeds the cheaper
# extra-MSA stack, and all of them are summarised into the clusters (section 6).
#
# Random steps take a `torch.Generator`, so the checks can replay them: draw exactly
# what the docstring says, in that order.
#
# **Exercises** (`student/msa_clustering.py`): `sample_msa_indices` → `([N_clust], [N_seq - N_clust])`;
# `crop_extra_indices` → `[min(N_extra, num_extra)]`.

# %% tags=["check"] points=1 exercise="msa_clustering.sample_msa_indices"
check.exercise(
    "msa_clustering.sample_msa_indices", student.msa_clustering.sample_msa_indices
)

# %% tags=["check"] points=1 exercise="msa_clustering.crop_extra_indices"
check.exercise(
    "msa_clustering.crop_extra_indices", student.msa_clustering.crop_extra_indices
)

# %% [markdown]
# ## 5. BERT-style masking (SI §1.2.7)
#
# AlphaFold2 was trained to fill in corrupted MSA positions (the masked-MSA loss), and
# the corruption stays on at inference. Each position of a centre is chosen with
# probability 0.15 and replaced by a draw from
#
# $$P(a) = 0.1\,\tfrac{1}{20}[a < 20] + 0.1\,p_j(a) + 0.1\,[a = \text{msa}_{sj}] + 0.7\,[a = \text{mask}],$$
#
# a uniform amino acid, a draw from the profile, the residue unchanged, or the mask
# token (class 22). To draw from a categorical distribution with a uniform number
# $u \in [0, 1)$, take the first class whose cumulative probability exceeds $u$.
#
# **Exercises**: `bert_probabilities` → `[N_clust, N_res, 23]`; `sample_categorical` → `[*]`;
# `make_masked_msa` → `(bert_msa, bert_mask)`, both `[N_clust, N_res]`.

# %% tags=["check"] points=2 exercise="msa_clustering.bert_probabilities"
check.exercise(
    "msa_clustering.bert_probabilities", student.msa_clustering.bert_probabilities
)

# %% tags=["check"] points=1 exercise="msa_clustering.sample_categorical"
check.exercise(
    "msa_clustering.sample_categorical", student.msa_clustering.sample_categorical
)

# %% tags=["check"] points=2 exercise="msa_clustering.make_masked_msa"
check.exercise("msa_clustering.make_masked_msa", student.msa_clustering.make_masked_msa)

# %%
generator = torch.Generator().manual_seed(0)
centres, extra = yours_or_reference(
    student.msa_clustering.sample_msa_indices, msa.shape[0], 31, generator
)
bert_msa, bert_mask = yours_or_reference(
    student.msa_clustering.make_masked_msa, msa[centres], profile, generator
)
print(
    f"{len(centres)} centres, {len(extra)} extra rows; fraction of positions chosen: {bert_mask.mean():.3f}"
)
print(
    "of those, replaced by the mask token:",
    f"{(bert_msa[bert_mask.bool()] == 22).double().mean():.2f}",
    "(expected about 0.7)",
)

# %% [markdown]
# ## 6. Clusters: assignment and summaries (SI §1.2.7)
#
# Every extra row joins the centre it agrees with at most positions, counting only
# residues (classes 0..20: gaps and mask tokens never agree) at unmasked positions.
# With one-hot encodings $x_{e r c}$ (extra row $e$) and $y_{n r c}$ (centre $n$) the
# agreement is one einsum, $A_{en} = \sum_{r, c} x_{erc}\, y_{nrc}$; ties go to the
# first centre (`argmax`). Each cluster is then summarised over its centre and its rows:
# the residue distribution `cluster_profile [N_clust, N_res, 23]` and the mean
# deletion count `cluster_deletion_mean [N_clust, N_res]`, dividing by the count
# $+\,10^{-6}$ as AlphaFold2 does.
#
# **Exercises**: `nearest_neighbor_clusters` → `[N_extra]`; `summarize_clusters`.

# %% tags=["check"] points=2 exercise="msa_clustering.nearest_neighbor_clusters"
check.exercise(
    "msa_clustering.nearest_neighbor_clusters",
    student.msa_clustering.nearest_neighbor_clusters,
)

# %% tags=["check"] points=2 exercise="msa_clustering.summarize_clusters"
check.exercise(
    "msa_clustering.summarize_clusters", student.msa_clustering.summarize_clusters
)

# %%
ones, extra_ones = (
    torch.ones_like(bert_msa, dtype=torch.float64),
    torch.ones_like(msa[extra], dtype=torch.float64),
)
assignment = yours_or_reference(
    student.msa_clustering.nearest_neighbor_clusters,
    bert_msa,
    ones,
    msa[extra],
    extra_ones,
)
sizes = torch.bincount(assignment, minlength=len(centres)) + 1  # + the centre itself
fig, ax = plt.subplots(figsize=(8, 2.5))
ax.bar(range(len(centres)), sizes.numpy(), color="grey")
ax.set(xlabel="cluster (0 = the query's)", ylabel="rows", title="cluster sizes")
plt.show()

# %% [markdown]
# ## 7. The feature tensors (SI §1.2.9, Table 1)
#
# Deletion counts are unbounded, so the network sees them squashed into $[0, 1)$:
# $\text{deletion\_value}(d) = \frac{2}{\pi}\arctan\frac{d}{3}$ (0, 1, 3, 8 → 0, .20, .50, .77).
# The 49 channels of `msa_feat [N_clust, N_res, 49]` are, in this order:
#
# | channels | feature |
# |---|---|
# | 0–22 | `cluster_msa`: one-hot of the (masked) centre, 23 classes |
# | 23 | `cluster_has_deletion`: $\min(d, 1)$ |
# | 24 | `cluster_deletion_value` |
# | 25–47 | `cluster_profile` |
# | 48 | `cluster_deletion_mean`, squashed like the deletion value |
#
# The extra rows get 25 channels (one-hot 23, has-deletion, deletion value), and every
# MSA tensor is zero-padded to exactly $N_\text{clust}$ or $N_\text{extra}$ rows
# (`pad_rows`), with a mask that marks real rows.
#
# **Exercises**: `deletion_value`; `make_msa_feat` → `[N_clust, N_res, 49]`;
# `extra_msa_feat` → `[*, N_extra, N_res, 25]`; `pad_rows` → `[num_rows, ...]`.

# %% tags=["check"] points=1 exercise="features.deletion_value"
check.exercise("features.deletion_value", student.features.deletion_value)

# %% tags=["check"] points=2 exercise="features.make_msa_feat"
check.exercise("features.make_msa_feat", student.features.make_msa_feat)

# %% tags=["check"] points=1 exercise="features.extra_msa_feat"
check.exercise("features.extra_msa_feat", student.features.extra_msa_feat)

# %% tags=["check"] points=1 exercise="features.pad_rows"
check.exercise("features.pad_rows", student.features.pad_rows)

# %% [markdown]
# ## 8. Everything together
#
# `build_features` (given) chains your functions for `num_recycle + 1` passes, each
# with its own MSA sample, as AlphaFold2 resamples the MSA at every recycling pass.
# Below: the shapes the model will read, and the 49 channels of `msa_feat` for the
# query's cluster in the first pass (one row per channel group boundary).

# %%
features = yours_or_reference(
    student.features.build_features,
    msa_file,
    num_recycle=1,
    max_msa_clusters=31,
    max_extra_msa=63,
    generator=torch.Generator().manual_seed(0),
    dtype=torch.float64,
)
for key, value in features.items():
    print(
        f"{key:22s} {str(list(value.shape)):18s} {str(value.dtype).replace('torch.', '')}"
    )

fig, ax = plt.subplots(figsize=(9, 3.5))
shown = ax.imshow(
    features["msa_feat"][0, 0].T.numpy(),
    cmap="viridis",
    aspect="auto",
    interpolation="nearest",
)
for boundary in (22.5, 24.5, 47.5):
    ax.axhline(boundary, color="white", lw=0.8)
ax.set(
    xlabel="residue",
    ylabel="channel",
    title="msa_feat of the query cluster: one-hot | deletions | profile | mean",
)
fig.colorbar(shown, ax=ax, label="feature value")
plt.show()

# %% [markdown]
# ## Recap
#
# - An MSA carries structure through conservation and co-evolution; AlphaFold2 reads
#   the raw alignment and learns what to extract, so the features stay simple: one-hot
#   residues, deletion counts squashed by $\frac{2}{\pi}\arctan(d/3)$, and profiles.
# - Each pass samples at most 512 cluster centres (query first), corrupts them
#   BERT-style (15% of positions), assigns every other row to its nearest centre, and
#   summarises each cluster: `msa_feat` has 49 channels, `extra_msa_feat` 25,
#   `target_feat` 22.
# - Random steps take their randomness as an argument (a `torch.Generator`), which is
#   what makes them testable and reproducible. Next lesson: attention, the operation
#   that reads these tensors.
#
# Your progress over all lessons (your saved files, checked in a separate process):

# %% tags=["status"]
from grader import status

status.show(lessons=[1])
