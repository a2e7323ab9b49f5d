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
# # Lesson 4 — Feature embedding
#
# Lesson 1 turned an alignment into feature tensors; lesson 3 refined two
# representations, the MSA representation `m [N_clust, N_res, c_m]` and the pair
# representation `z [N_res, N_res, c_z]`. This lesson builds the bridge: the
# **embedders** that make the first `m` and `z` from the features (SI Alg. 2, lines
# 5–16):
#
# | SI | step | writes |
# |---|---|---|
# | Alg. 3 | input embedder: `target_feat`, `msa_feat` | `m`, `z` |
# | Alg. 4, 5 | relative positions from `residue_index` | `z` |
# | Alg. 32 | recycling embedder: the previous `m_1`, `z`, structure | `m[0]`, `z` |
# | Alg. 2, line 15; Alg. 18, 19 | extra-MSA embedder and stack | `z` |
#
# Your code goes into `student/embedders.py` and `student/extra_msa_stack.py`: fill each
# `# YOUR CODE HERE`, save, run the check cell. The checks use float64, toy sizes and
# the reference for everything but the exercise checked.

# %%
import math

import matplotlib.pyplot as plt
import student.a3m
import student.embedders
import student.extra_msa_stack
import student.features
import torch

from grader import check
from grader.lesson import ROOT, data_path, reference_of, yours_or_reference
from reference import plots
from reference.ideal_backbone import ALPHA_HELIX, ideal_chain
from reference.protein_io import to_pdb

torch.set_printoptions(precision=3, sci_mode=False)


def module_or_reference(cls, init: dict, *args, method: str = "forward"):
    """``cls(**init).<method>(*args)`` with seeded weights, without gradients; while
    your code raises ``NotImplementedError``, the reference module with the same
    weights."""
    torch.manual_seed(0)
    module = cls(**init)
    with torch.no_grad():
        try:
            return getattr(module, method)(*args)
        except NotImplementedError:
            print(
                f"(your {cls.__name__}.{method} is not written yet: this cell uses the"
                " reference one)"
            )
            ref = reference_of(cls)(**init)
            ref.load_state_dict(module.state_dict())
            return getattr(ref, method)(*args)


def pair_map(ax, values, title: str, label: str, signed: bool = False):
    """A square pair map on ``ax``: residue i down, residue j across."""
    limit = float(values.abs().max()) if signed else None
    shown = ax.imshow(
        values,
        cmap="RdBu_r" if signed else "viridis",
        vmin=-limit if signed else None,
        vmax=limit,
        interpolation="nearest",
    )
    ax.set(xlabel="residue j", ylabel="residue i", title=title)
    ax.figure.colorbar(shown, ax=ax, label=label, shrink=0.8)


# The query of the course's synthetic MSA and its features (lesson 1's functions).
msa_file = data_path("inputs", "synthetic.a3m")
a3m = yours_or_reference(student.a3m.read_a3m, msa_file)
query = yours_or_reference(student.features.make_sequence_features, a3m.query)
print(f"query: {a3m.query} ({len(a3m.query)} residues)")
for key, value in query.items():
    print(f"{key:14s} {list(value.shape)}")

# %% [markdown]
# ## 1. The input embedder (SI Alg. 3)
#
# The pair representation needs a start. The cheapest one that depends on both
# residues: two linear maps of the target feature (residue type), one read along the
# rows and one along the columns, and their **outer sum**
#
# $$a_i = \text{Linear}(f_i), \quad b_j = \text{Linear}(f_j), \quad
# z_{ij} = a_i + b_j \in \mathbb{R}^{c_z},$$
#
# `a = linear_tf_z_i(target_feat)`, `b = linear_tf_z_j(target_feat)`, both
# `[*, N_res, c_z]`, broadcast to `z [*, N_res, N_res, c_z]`. Two vectors per residue
# give all $N_\text{res}^2$ pairs; everything specific to a *pair* (contacts,
# co-evolution) is left to the Evoformer. Because $a \ne b$, $z_{ij} \ne z_{ji}$: the
# pair representation is not symmetric. The MSA representation adds the target
# feature, **the same for every sequence** $s$, to each row:
# $m_{si} = \text{Linear}(f^\text{msa}_{si}) + \text{Linear}(f_i)$,
# `[*, N_clust, N_res, c_m]`.
#
# **Exercise**: `InputEmbedder.forward` (`student/embedders.py`); the relative
# positions (`relpos`, section 2) are a separate exercise.

# %% tags=["check"] points=2 exercise="embedders.InputEmbedder"
check.exercise("embedders.InputEmbedder", student.embedders.InputEmbedder)

# %% [markdown]
# The outer sum as an image: one channel of $z_{ij} = a_i + b_j$ for the query, with
# random weights. The target feature is a one-hot of the residue type, so $a_i$ and
# $b_j$ depend on the residue type only: every row of the same amino acid is the same
# row.

# %%
torch.manual_seed(0)
linear_i, linear_j = torch.nn.Linear(22, 8), torch.nn.Linear(22, 8)
with torch.no_grad():
    a = linear_i(query["target_feat"])[:, 0]  # [N_res], channel 0
    b = linear_j(query["target_feat"])[:, 0]
z_sum = a[:, None] + b[None, :]  # [N_res, N_res]

fig, axes = plt.subplots(
    2,
    2,
    figsize=(6.5, 6),
    gridspec_kw={"width_ratios": [1, 12], "height_ratios": [1, 12]},
)
limit = float(z_sum.abs().max())
style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit, "aspect": "auto"}
axes[0, 0].axis("off")
axes[0, 1].imshow(b[None, :], **style)
axes[0, 1].set(title="$b_j$ (top), $a_i$ (left), $z_{ij} = a_i + b_j$", xticks=[])
axes[0, 1].set_yticks([])
axes[1, 0].imshow(a[:, None], **style)
axes[1, 0].set(ylabel="residue i", xticks=[])
shown = axes[1, 1].imshow(z_sum, **style)
axes[1, 1].set(xlabel="residue j", yticks=[])
fig.colorbar(shown, ax=axes, label="channel 0 (arbitrary units)", shrink=0.8)
plt.show()
same = [i for i in range(1, len(a3m.query)) if a3m.query[i] == a3m.query[0]]
print(f"residue 0 is {a3m.query[0]}; rows with the same residue: {same}")

# %% [markdown]
# ## 2. Relative positions (SI Alg. 4 with the one-hot of Alg. 5)
#
# The embedders see no order in the residues: without help, residue 3 and residue 30
# look alike. AF2 tells the pair $(i, j)$ how far apart the two residues are **along
# the chain**, from their numbers $r_i$ (`residue_index`):
#
# $$d_{ij} = r_i - r_j, \qquad
# p_{ij} = \text{Linear}\big(\text{one\_hot}(d_{ij},\ v_\text{bins})\big), \qquad
# v_\text{bins} = [-32, -31, \dots, 32].$$
#
# The sign matters ($d_{ij} = -d_{ji}$: which residue comes first). Alg. 5's one-hot
# marks the *nearest* bin; for integers that is the offset **clipped** to
# $[-32, 32]$, so the bin index is `clamp(d + k, 0, 2k)` with $k = 32$, 65 bins in all:
# beyond 32 residues, sequence separation says little, and every far pair shares one
# bin. Relative, not absolute: the same motif anywhere in the chain looks the same, and
# a jump in the numbering (missing residues, or a linker trick for complexes) is a gap.
# Shapes: `residue_index [*, N_res]` → `d [*, N_res, N_res]` → one-hot
# `[*, N_res, N_res, 65]` → `[*, N_res, N_res, c_z]`.
#
# **Exercise**: `InputEmbedder.relpos`.

# %% tags=["check"] points=2 exercise="embedders.InputEmbedder.relpos"
check.exercise("embedders.InputEmbedder.relpos", student.embedders.InputEmbedder)

# %%
short = torch.arange(5)
print("offsets r_i - r_j for a chain of 5 residues (row i, column j):")
print(short[:, None] - short[None, :])

k = 32
gapped = torch.cat([torch.arange(24), torch.arange(24) + 64])  # 40 residues missing
offset = gapped[:, None] - gapped[None, :]  # [N_res, N_res]
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
pair_map(axes[0], offset, "$r_i - r_j$, a gap after residue 23", "residues", True)
pair_map(axes[1], offset.clamp(-k, k), "clipped to ±32: the bin − 32", "residues", True)
plt.show()
init = dict(tf_dim=22, msa_dim=49, c_m=16, c_z=8, relpos_k=k)
p = module_or_reference(
    student.embedders.InputEmbedder, init, gapped, method="relpos"
)  # [N_res, N_res, c_z]
print("relpos(residue_index):", list(gapped.shape), "->", list(p.shape))
print("pairs across the gap share one encoding:", bool((p[0, 24:] == p[0, 24]).all()))

# %% [markdown]
# ## 3. Recycling (SI Alg. 32)
#
# AF2 runs the whole network several times (3 recycling iterations at inference, 4
# passes) and feeds each pass what the previous one produced: its first MSA row
# `m_1 [N_res, c_m]`, its pair representation `z [N_res, N_res, c_z]` and its
# structure. The structure enters as one point per residue, the **pseudo-β** atom:
# Cβ, where the side chain starts, or Cα for glycine, which has no Cβ. In the atom37
# layout (lesson 5) they are slots `atom_order["CA"] = 1` and `atom_order["CB"] = 3`;
# glycine is `restype_order["G"] = 7` in AF order (`ARNDCQEGHILKMFPSTWYV`).
#
# **Exercise**: `pseudo_beta(aatype, atom37)`, `[*, N_res]` and `[*, N_res, 37, 3]` →
# `x [*, N_res, 3]`.

# %% tags=["check"] points=1 exercise="embedders.pseudo_beta"
check.exercise("embedders.pseudo_beta", student.embedders.pseudo_beta)

# %% [markdown]
# The recycling embedder reads the structure through its pairwise distances, binned:
#
# $$d_{ij} = \lVert x_i - x_j \rVert, \qquad
# z_{ij} \mathrel{+}= \text{Linear}(\text{one\_hot}(d_{ij})) + \text{LayerNorm}(z_{ij}),
# \qquad m_{1i} \mathrel{+}= \text{LayerNorm}(m_{1i}).$$
#
# As the released code does it: 15 bins with lower edges
# $l_b$ = `linspace(3.25, 20.75, 15)` Å (1.25 Å apart); bin $b$ holds
# $l_b < d < l_{b+1}$, **strict** on both sides, and the last bin is open
# ($l_{15} = \infty$, coded as $10^8$ Å²). Squared distances against squared edges
# save a square root. So a distance below 3.25 Å (the diagonal, and every pair on the
# first pass, when all positions are zero) and a distance **exactly on an edge** fall
# in no bin: an all-zero one-hot, and only the linear layer's bias remains. (Exactly
# on an edge is rare in practice, and rounding of the edges decides it: in DeepMind's
# float32 code the 15.75 Å edge comes out a hair high.)
#
# **Exercises**: `RecyclingEmbedder.distance_bins`: `x [*, N_res, 3]` →
# `[*, N_res, N_res, 15]`; then `RecyclingEmbedder.forward`, which returns the two
# updates, `m_1 [*, N_res, c_m]` and `z [*, N_res, N_res, c_z]`.

# %% tags=["check"] points=2 exercise="embedders.RecyclingEmbedder.distance_bins"
check.exercise(
    "embedders.RecyclingEmbedder.distance_bins", student.embedders.RecyclingEmbedder
)

# %% tags=["check"] points=2 exercise="embedders.RecyclingEmbedder"
check.exercise("embedders.RecyclingEmbedder", student.embedders.RecyclingEmbedder)

# %% [markdown]
# A real-looking previous structure: an ideal α-helix of 24 residues built from its
# backbone angles (φ, ψ) = (−57°, −47°) with `reference.ideal_backbone` (you build it
# yourself in lesson 5), with three glycines. The helix turns every 3.6 residues:
# residues $i+3$ and $i+4$, one turn up, sit closer in space than $i+2$, and the bins
# show it. Only the diagonal (zero distance) falls in no bin here.

# %%
helix_seq = "AEELLKKGAEELLKKGAEELLKKA"
aatype = yours_or_reference(student.features.make_sequence_features, helix_seq)[
    "aatype"
]
phi = torch.full((len(helix_seq),), math.radians(ALPHA_HELIX[0]), dtype=torch.float64)
psi = torch.full_like(phi, math.radians(ALPHA_HELIX[1]))
atom37, atom_mask = ideal_chain(aatype, phi, psi)  # [N_res, 37, 3] Å
x = yours_or_reference(student.embedders.pseudo_beta, aatype, atom37)  # [N_res, 3]
bins = module_or_reference(
    student.embedders.RecyclingEmbedder, {}, x.float(), method="distance_bins"
)  # [N_res, N_res, 15]
print(
    "atom37",
    list(atom37.shape),
    "-> pseudo-β",
    list(x.shape),
    "-> bins",
    list(bins.shape),
)
plots.show_structure(to_pdb(atom37, atom_mask, aatype), color_by="rainbow")

# %%
distance = (x[:, None] - x[None, :]).norm(dim=-1)  # [N_res, N_res] Å
bin_index = torch.where(bins.any(-1), bins.argmax(-1).double(), torch.nan)
fig, axes = plt.subplots(1, 3, figsize=(16, 4.2), layout="constrained")
pair_map(axes[0], distance, "pseudo-β distances $d_{ij}$", "Å")
pair_map(axes[1], bin_index, "bin of $d_{ij}$ (white: no bin, < 3.25 Å)", "bin")
shown = axes[2].imshow(
    bins[0].T, cmap="viridis", aspect="auto", interpolation="nearest"
)
axes[2].set(xlabel="residue j", ylabel="bin b", title="one-hot of row i = 0")
axes[2].set_yticks(range(15), [f"{3.25 + 1.25 * b:g}" for b in range(15)], fontsize=7)
fig.colorbar(shown, ax=axes[2], label="one-hot value", shrink=0.8)
plt.show()
print("pseudo-β distance from residue 0 to residues 1..5 (Å):", distance[0, 1:6])

# %% [markdown]
# ## 4. Recycling in training
#
# Inference runs a fixed number of passes. Training (SI §1.10) makes recycling cheap:
# each training example runs a **random** number of passes (uniformly 1 to 4), and the
# loss back-propagates through the **last pass only**. The recycled inputs enter the
# last pass through a *stop-gradient* — in PyTorch, `.detach()`, as `reference`'s
# `AlphaFold.forward_pass` does with its `prev` outputs — so the earlier passes run
# without keeping their activations. The network thus learns to improve any
# intermediate prediction it is handed, which is what recycling needs at inference.
#
# The SI puts the cost of this scheme at **+37.5 %** training time, against **+300 %**
# for four passes unrolled with gradients through all of them. (Figures that follow if
# a training pass, forward and backward, costs about four forward passes: on average
# 1.5 extra forward-only passes add 1.5/4; four back-propagated passes cost 4×.)
# Below, a toy network run three times: the gradient comes from the last pass alone.

# %%
torch.manual_seed(0)
toy = torch.nn.Linear(4, 4)
inputs = torch.randn(4)


def one_pass(prev):
    return torch.tanh(toy(inputs) + prev)


prev = torch.zeros(4)
for _ in range(2):  # earlier passes: no graph kept
    with torch.no_grad():
        prev = one_pass(prev)
one_pass(prev.detach()).sum().backward()
recycled = toy.weight.grad.clone()
toy.zero_grad()
fixed = prev.clone()  # the same pass with the previous output as a plain constant
one_pass(fixed).sum().backward()
print("gradient of the last pass alone:", torch.equal(recycled, toy.weight.grad))

# %% [markdown]
# ## 5. The extra MSA (SI Alg. 2, line 15; Alg. 18, 19)
#
# Only up to 512 cluster centres enter the Evoformer. The other rows are not wasted:
# up to 1,024 of them (5,120 for some models) go through the **extra-MSA stack**, and
# all of them shape the cluster profiles (lesson 1). Thousands of rows cost memory, so
# the extra MSA gets a thin embedding, $e_{si} = \text{Linear}(f^\text{extra}_{si})$ of
# the 25 channels of lesson 1's `extra_msa_feat` to $c_e = 64$, and four blocks that
# are Evoformer blocks (lesson 3, your own modules) except for:
#
# - **global column attention** (Alg. 19, lesson 2): one query per column, the masked
#   mean over the sequences, with a single shared key and value head, so a column costs
#   $O(N_\text{extra})$ instead of $O(N_\text{extra}^2)$;
# - smaller channels: $c_e = 64$, 8 channels per attention head.
#
# Only the pair representation `z` leaves the stack; `e [*, N_extra, N_res, c_e]` is
# dropped.
#
# **Exercise**: `ExtraMsaEmbedder.forward`: `extra_msa [*, N_extra, N_res]` and the two
# deletion features → `e [*, N_extra, N_res, c_e]`.

# %% tags=["check"] points=1 exercise="embedders.ExtraMsaEmbedder"
check.exercise("embedders.ExtraMsaEmbedder", student.embedders.ExtraMsaEmbedder)

# %% [markdown]
# **Exercises**: `ExtraMsaBlock._msa_stack` (row attention with pair bias, global
# column attention, transition, each residual; the pair stack is your Evoformer
# block's) and the loop of `ExtraMsaStack.forward` (`student/extra_msa_stack.py`).

# %% tags=["check"] points=2 exercise="extra_msa_stack.ExtraMsaBlock"
check.exercise("extra_msa_stack.ExtraMsaBlock", student.extra_msa_stack.ExtraMsaBlock)

# %% tags=["check"] points=1 exercise="extra_msa_stack.ExtraMsaStack"
check.exercise("extra_msa_stack.ExtraMsaStack", student.extra_msa_stack.ExtraMsaStack)

# %% [markdown]
# How the rows of an MSA are shared out with AF2's sizes (512 cluster centres, 1,024
# extra rows), and what attention over a column of the extra MSA would cost: the
# attention logits of one column hold $N_\text{head} N^2$ numbers with full
# attention, $N_\text{head} N$ with global attention. A downloaded MSA (see section 6)
# is added when present.

# %%
real_msa = ROOT / "msas" / "tautomerase_2op8.a3m"
depths = {"synthetic": len(a3m), "1,000": 1000, "5,000": 5000, "20,000": 20000}
if real_msa.exists():
    depths["downloaded"] = len(yours_or_reference(student.a3m.read_a3m, real_msa))
clusters = {name: min(n, 512) for name, n in depths.items()}
extra = {name: min(n - clusters[name], 1024) for name, n in depths.items()}
rest = {name: n - clusters[name] - extra[name] for name, n in depths.items()}

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
names = list(depths)
ax1.bar(names, [clusters[n] for n in names], label="cluster centres (Evoformer)")
ax1.bar(
    names,
    [extra[n] for n in names],
    bottom=[clusters[n] for n in names],
    label="extra rows (extra-MSA stack)",
)
ax1.bar(
    names,
    [rest[n] for n in names],
    bottom=[clusters[n] + extra[n] for n in names],
    label="in the profiles only",
)
ax1.set(yscale="log", ylim=(50, 40000), ylabel="rows", xlabel="MSA depth")
ax1.set_title("where the rows go")
ax1.legend(fontsize=8)
n_seq = torch.logspace(1, 4, 50)
ax2.loglog(n_seq, 8 * n_seq**2 * 4, label="full attention, 8 heads")
ax2.loglog(n_seq, 8 * n_seq * 4, label="global attention, 8 heads")
ax2.axvline(1024, color="grey", ls="--", lw=0.8)
ax2.set(
    xlabel="sequences N in a column",
    ylabel="bytes of logits per column (fp32)",
    title="attention over the extra MSA",
)
ax2.legend(fontsize=8)
plt.show()
for name in names:
    print(
        f"{name:10s} {depths[name]:6d} rows: {clusters[name]} centres, "
        f"{extra[name]} extra, {rest[name]} only in the profiles"
    )

# %% [markdown]
# ## 6. From an a3m file to `m` and `z`
#
# The whole path of one pass (SI Alg. 2, lines 5–16), with your lesson-1 features and
# this lesson's embedders, AF2's channel sizes and random weights: features →
# input embedder (with relpos) → recycling embedder (first pass: zeros) → extra-MSA
# embedder and stack. Small MSA sizes keep it fast (64 centres, 128 extra rows; AF2
# uses 512 and 1,024). For a real MSA, download one from ColabFold's server at the
# repository root (it needs the internet once), and this cell uses it:
#
# ```
# python -m reference.download msa --dest msas/ --name tautomerase_2op8 \
#     --sequence $(tail -n +2 data/inputs/tautomerase_2op8.fasta | tr -d '\n')
# ```

# %%
source = real_msa if real_msa.exists() else msa_file
features = yours_or_reference(
    student.features.build_features,
    source,
    num_recycle=0,
    max_msa_clusters=64,
    max_extra_msa=128,
    generator=torch.Generator().manual_seed(0),
)
f = {key: value[0] for key, value in features.items()}  # the first (only) pass
print(f"{source.name}: features of pass 0")
for key, value in f.items():
    print(f"  {key:22s} {list(value.shape)}")

c_m, c_z, c_e = 256, 128, 64
n_res = f["aatype"].shape[-1]
init = dict(tf_dim=22, msa_dim=49, c_m=c_m, c_z=c_z, relpos_k=32)
m, z_input = module_or_reference(
    student.embedders.InputEmbedder,
    init,
    f["target_feat"],
    f["residue_index"],
    f["msa_feat"],
)
z_relpos = module_or_reference(
    student.embedders.InputEmbedder, init, f["residue_index"], method="relpos"
)
print("input embedder:     m", list(m.shape), " z", list(z_input.shape))

prev_m_1, prev_z = torch.zeros(n_res, c_m), torch.zeros(n_res, n_res, c_z)
prev_x = torch.zeros(n_res, 3)  # the first pass: no previous structure
m_1, dz = module_or_reference(
    student.embedders.RecyclingEmbedder, {}, prev_m_1, prev_z, prev_x
)
m = torch.cat([m[:1] + m_1, m[1:]])  # the recycled row goes to the first row only
z_recycled = z_input + dz
print("recycling embedder: m", list(m.shape), " z", list(z_recycled.shape))

e = module_or_reference(
    student.embedders.ExtraMsaEmbedder,
    {},
    f["extra_msa"],
    f["extra_has_deletion"],
    f["extra_deletion_value"],
)
print("extra-MSA embedder: e", list(e.shape))
pair_mask = f["seq_mask"][:, None] * f["seq_mask"][None, :]
z = module_or_reference(
    student.extra_msa_stack.ExtraMsaStack,
    {},
    e,
    z_recycled,
    f["extra_msa_mask"],
    pair_mask,
)
print("extra-MSA stack:    z", list(z.shape))
print(f"ready for the Evoformer: m {list(m.shape)}, z {list(z.shape)}")

# %% [markdown]
# The norm $\lVert z_{ij} \rVert$ after each step. The outer sum has the row and
# column pattern of section 1 (residue types); relpos adds a smooth dependence on
# $i - j$; the first-pass recycling adds one and the same vector to every pair (the
# linear layer's bias and the layer-norm offset); the extra-MSA stack, four residual
# blocks, grows the norm several-fold as it writes what the extra rows say about each
# pair. (Random weights: the shapes carry over to the trained model, not the values.)

# %%
steps = {
    "outer sum": z_input - z_relpos,
    "+ relpos": z_input,
    "+ recycling (first pass)": z_recycled,
    "+ extra-MSA stack": z,
}
fig, axes = plt.subplots(1, 4, figsize=(20, 4.2), layout="constrained")
for ax, (title, value) in zip(axes, steps.items()):
    pair_map(
        ax, value.norm(dim=-1), title, "norm $\\Vert z_{ij} \\Vert$ (arbitrary units)"
    )
plt.show()
for title, value in steps.items():
    print(f"{title:26s} mean |z_ij| = {value.norm(dim=-1).mean():.2f}")

# %% [markdown]
# ## Recap
#
# - The input embedder starts the pair representation as an outer sum
#   $z_{ij} = a_i + b_j$ of the residue types, plus relative positions
#   $r_i - r_j$ clipped to ±32 (65 bins); the MSA representation is each
#   row's `msa_feat` plus the target feature, the same for every row.
# - Recycling feeds back the first MSA row and the pair representation (layer-normed)
#   and the pseudo-β distances in 15 bins with strict edges from 3.25 Å (none below,
#   none exactly on an edge, the last open); it runs on the first pass too, from
#   zeros. In training, a random number of passes with gradients through the last one
#   only (+37.5 % instead of +300 %).
# - The extra MSA, up to 1,024 more rows, gets 64 channels and four Evoformer blocks
#   with global column attention, and only its pair representation goes on. Next
#   lesson: geometry, the language of the structure module.
#
# Your progress over all lessons (your saved files, checked in a separate process):

# %% tags=["status"]
from grader import status

status.show(lessons=[4])
