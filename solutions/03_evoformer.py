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
# # Lesson 3 — The Evoformer
#
# The Evoformer (SI §1.6, Alg. 6) is the trunk of AlphaFold2: 48 blocks that refine two
# representations together.
#
# - the **MSA representation** $m$: `[N_seq, N_res, c_m]` (c_m = 256), one vector per
#   sequence and residue: what the alignment says;
# - the **pair representation** $z$: `[N_res, N_res, c_z]` (c_z = 128), one vector per
#   residue pair $(i, j)$: what the model believes about their relation (distance,
#   contact, orientation).
#
# Each block lets the pair steer the MSA (row attention biased by $z$), lets the MSA
# write into the pair (outer product mean), and makes the pair geometrically
# consistent (triangle updates). Every step returns an **update** that the block adds
# (a residual). You write the steps in `student/msa_attention.py`, `transition.py`,
# `outer_product_mean.py`, `triangle_multiplication.py`, `triangle_attention.py` and
# `evoformer.py`; the attention core is the one of lesson 2 (the checks use the
# reference one, so a lesson 2 bug costs no points here).

# %%
import matplotlib.pyplot as plt
import student.evoformer
import student.msa_attention
import student.outer_product_mean
import student.transition
import student.triangle_attention
import student.triangle_multiplication
import torch

from grader import check
from grader.lesson import reference_of

torch.set_printoptions(precision=3, sci_mode=False)
g = torch.Generator().manual_seed(0)
N_seq, N_res, c_m, c_z = 4, 6, 8, 5
m = torch.randn(N_seq, N_res, c_m, generator=g)  # [N_seq, N_res, c_m]
z = torch.randn(N_res, N_res, c_z, generator=g)  # [N_res, N_res, c_z]
msa_mask = torch.ones(N_seq, N_res)
msa_mask[:, -1] = 0.0  # the last residue is padding
pair_mask = msa_mask[0, :, None] * msa_mask[0, None, :]  # [N_res, N_res]


def forward_or_reference(cls, init: dict, *args):
    """``cls(**init)(*args)``; while your forward is not written, the reference module
    with the same weights."""
    torch.manual_seed(0)
    module = cls(**init)
    with torch.no_grad():
        try:
            return module(*args)
        except NotImplementedError:
            print(
                f"(your {cls.__name__} is not written yet: this cell uses the reference one)"
            )
            ref = reference_of(cls)(**init)
            ref.load_state_dict(module.state_dict())
            return ref(*args)


# %% [markdown]
# ## 1. MSA row attention with pair bias (SI Alg. 7)
#
# Within each sequence $s$, residue $i$ attends to residues $j$ (lesson 2's attention
# along `N_res`), and the pair representation biases who listens to whom:
#
# $$m_{si} \leftarrow \text{LayerNorm}(m_{si}), \quad b_{ij}^h = \text{LinearNoBias}(\text{LayerNorm}(z_{ij})),$$
# $$a_{sij}^h = \operatorname{softmax}_j\Big(\tfrac{1}{\sqrt{c}}\, q_{si}^{h\top} k_{sj}^h + b_{ij}^h\Big).$$
#
# The same bias `[N_head, N_res, N_res]` serves every sequence, so it gets a size-1
# sequence axis: `pair_bias [*, 1, N_head, N_res, N_res]`; masked residues are masked
# as keys, `key_bias [*, N_seq, 1, 1, N_res]`. Output `[*, N_seq, N_res, c_m]`.
# (`chunk_layer` runs the attention a few rows at a time for long MSAs; with
# `chunk_size=None` it is one call.)
#
# **Exercise**: `MSARowAttentionWithPairBias.forward` (`student/msa_attention.py`).

# %% tags=["check"] points=2 exercise="msa_attention.MSARowAttentionWithPairBias"
check.exercise(
    "msa_attention.MSARowAttentionWithPairBias",
    student.msa_attention.MSARowAttentionWithPairBias,
)

# %% [markdown]
# ## 2. MSA column attention (SI Alg. 8) and global column attention (SI Alg. 19)
#
# Within each column $i$, sequence $s$ attends to the other sequences $t$: the same
# residue in homologues. No pair bias. Transpose so the sequences become the attended
# axis, `m [*, N_res, N_seq, c_m]`, attend, transpose back. The extra-MSA stack
# (lesson 4) uses lesson 2's global attention instead, the same way.
#
# **Exercises**: `MSAColumnAttention.forward`, `MSAColumnGlobalAttention.forward`.

# %% tags=["check"] points=2 exercise="msa_attention.MSAColumnAttention"
check.exercise(
    "msa_attention.MSAColumnAttention", student.msa_attention.MSAColumnAttention
)

# %% tags=["check"] points=1 exercise="msa_attention.MSAColumnGlobalAttention"
check.exercise(
    "msa_attention.MSAColumnGlobalAttention",
    student.msa_attention.MSAColumnGlobalAttention,
)

# %% [markdown]
# ## 3. Transitions (SI Alg. 9 and 15)
#
# After the attentions, a two-layer MLP on every element alone: LayerNorm, a Linear that
# widens $c$ to $4c$, ReLU, a Linear back to $c$. The same body serves the MSA
# (`[*, N_seq, N_res, c_m]`) and the pair (`[*, N_res, N_res, c_z]`).
#
# **Exercises**: `Transition.forward` and `Transition._mlp`. `MSATransition` and
# `PairTransition` only set the sizes, so one check runs your body on an MSA and on a pair.

# %% tags=["check"] points=2 exercise="transition.Transition"
check.exercise("transition.Transition", student.transition.Transition)

# %% [markdown]
# ## 4. The outer product mean (SI Alg. 10): co-evolution into the pair
#
# Two residues in contact co-vary across the sequences (lesson 1). The outer product
# mean measures it: project each MSA entry to $a_{si}, b_{si} \in \mathbb{R}^c$ and
# average over the **sequences** the outer product of residue $i$'s and residue $j$'s
# vectors:
#
# $$o_{ij} = \text{Linear}\Big(\operatorname{flatten}\big(\tfrac{1}{N_\text{seq}} \textstyle\sum_s a_{si} \otimes b_{sj}\big)\Big) \in \mathbb{R}^{c_z}.$$
#
# Shapes: `a, b [*, N_seq, N_res, c]` → outer product `[*, N_res, N_res, c, c]` →
# flatten `[*, N_res, N_res, c*c]` → `[*, N_res, N_res, c_z]`. AF2 masks $a$ and $b$
# and divides *after* the Linear by $10^{-3} +$ the number of sequences kept at both
# $i$ and $j$ (a deviation from the SI, noted in the code).
#
# **Exercise**: `OuterProductMean.forward` and `_outer_product`.

# %% tags=["check"] points=2 exercise="outer_product_mean.OuterProductMean"
check.exercise(
    "outer_product_mean.OuterProductMean", student.outer_product_mean.OuterProductMean
)

# %%
o = forward_or_reference(
    student.outer_product_mean.OuterProductMean,
    {"c_m": c_m, "c_z": c_z, "c": 3},
    m,
    msa_mask,
)
print("m", list(m.shape), "-> pair update", list(o.shape))

# %% [markdown]
# ## 5. Triangle multiplicative updates (SI Alg. 11 and 12)
#
# Read $z_{ij}$ as the edge $i \to j$ of a graph whose nodes are residues. Distances obey
# the **triangle inequality**, $d_{ij} \le d_{ik} + d_{kj}$: an edge is constrained by
# every path of two edges through a third node $k$. The triangle updates let each
# edge collect those paths. With gated projections $a_{ij}, b_{ij} \in \mathbb{R}^c$
# (zero on masked edges) and an output gate $g_{ij}$:
#
# - **outgoing** (Alg. 11): $\tilde z_{ij} = g_{ij} \odot \text{Linear}(\text{LayerNorm}(\sum_k a_{ik} \odot b_{jk}))$ —
#   the two edges *leaving* $i$ and $j$ towards $k$;
# - **incoming** (Alg. 12): $\sum_k a_{ki} \odot b_{kj}$ — the two edges *arriving* at
#   $i$ and $j$ from $k$.
#
# The two differ only in the combination (`_combine`, one einsum each); the shared
# `forward` is yours too. Shapes stay `[*, N_res, N_res, c]` then `c_z`.


# %%
def triangle_edges():
    """A figure of the edges that update edge (i, j) in each triangle module."""
    nodes = {"i": (0.0, 0.0), "j": (1.0, 0.0), "k": (0.5, 0.85)}
    panels = [
        ("multiplication, outgoing", [("i", "k"), ("j", "k")]),
        ("multiplication, incoming", [("k", "i"), ("k", "j")]),
        ("attention, starting node", [("i", "k")]),
        ("attention, ending node", [("k", "j")]),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
    for ax, (title, edges) in zip(axes, panels):
        ax.annotate(
            "",
            nodes["j"],
            nodes["i"],
            arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 2.5},
        )
        for a, b in edges:
            ax.annotate(
                "",
                nodes[b],
                nodes[a],
                arrowprops={"arrowstyle": "-|>", "color": "tab:orange", "lw": 2},
            )
        if "attention" in title:  # the bias edge
            a, b = ("j", "k") if "starting" in title else ("k", "i")
            ax.annotate(
                "",
                nodes[b],
                nodes[a],
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "tab:blue",
                    "ls": "--",
                    "lw": 1.5,
                },
            )
        for name, (x, y) in nodes.items():
            ax.text(
                x,
                y,
                name,
                ha="center",
                va="center",
                fontsize=13,
                bbox={"boxstyle": "circle", "fc": "white", "ec": "grey"},
            )
        ax.set(title=title, xlim=(-0.2, 1.2), ylim=(-0.2, 1.05), aspect="equal")
        ax.axis("off")
    fig.suptitle(
        "edge (i, j) in black; edges it reads in orange; attention bias in blue (dashed)"
    )
    return fig


triangle_edges()
plt.show()

# %% [markdown]
# **Exercises**: `TriangleMultiplication.forward`, `TriangleMultiplicationOutgoing._combine`,
# `TriangleMultiplicationIncoming._combine` (`student/triangle_multiplication.py`).
# The checks use pair masks that are not symmetric, so one direction cannot pass the
# other's check.

# %% tags=["check"] points=2 exercise="triangle_multiplication.TriangleMultiplicationOutgoing"
check.exercise(
    "triangle_multiplication.TriangleMultiplicationOutgoing",
    student.triangle_multiplication.TriangleMultiplicationOutgoing,
)

# %% tags=["check"] points=1 exercise="triangle_multiplication.TriangleMultiplicationIncoming"
check.exercise(
    "triangle_multiplication.TriangleMultiplicationIncoming",
    student.triangle_multiplication.TriangleMultiplicationIncoming,
)

# %% [markdown]
# ## 6. Triangle self-attention (SI Alg. 13 and 14)
#
# Attention between edges that share a node, biased by the triangle's third edge:
#
# - **starting node** (Alg. 13): edge $(i, j)$ attends to the edges $(i, k)$, with bias
#   $b_{jk}^h = \text{LinearNoBias}(\text{LayerNorm}(z_{jk}))$: lesson 2's attention within
#   each row $i$ of $z$, `tri_bias [*, 1, N_head, N_res, N_res]` shared by the rows;
# - **ending node** (Alg. 14): edge $(i, j)$ attends to the edges $(k, j)$, with bias
#   $b_{ki}$: the starting-node attention on the transposed pair $z_{ji}$, transposed back.
#
# **Exercises**: `TriangleAttentionStartingNode.forward`, `TriangleAttentionEndingNode.forward`.

# %% tags=["check"] points=2 exercise="triangle_attention.TriangleAttentionStartingNode"
check.exercise(
    "triangle_attention.TriangleAttentionStartingNode",
    student.triangle_attention.TriangleAttentionStartingNode,
)

# %% tags=["check"] points=1 exercise="triangle_attention.TriangleAttentionEndingNode"
check.exercise(
    "triangle_attention.TriangleAttentionEndingNode",
    student.triangle_attention.TriangleAttentionEndingNode,
)

# %% [markdown]
# ## 7. The Evoformer block and stack (SI Alg. 6)
#
# One block, every update residual (`m = m + update`, `z = z + update`):
#
# | SI Alg. 6 line | step | updates |
# |---|---|---|
# | 2 | MSA row attention with pair bias (Alg. 7) | `m [*, N_seq, N_res, c_m]` |
# | 3 | MSA column attention (Alg. 8) | `m` |
# | 4 | MSA transition (Alg. 9) | `m` |
# | 5 | outer product mean (Alg. 10) of the updated `m` | `z [*, N_res, N_res, c_z]` |
# | 6–7 | triangle multiplication outgoing, incoming (Alg. 11, 12) | `z` |
# | 8–9 | triangle attention starting, ending node (Alg. 13, 14) | `z` |
# | 10 | pair transition (Alg. 15) | `z` |
#
# The attribute names are AF2's weight scopes.
#
# **Exercise**: `EvoformerBlock._msa_stack`, `forward` and `_pair_stack` (`student/evoformer.py`).

# %% tags=["check"] points=3 exercise="evoformer.EvoformerBlock"
check.exercise("evoformer.EvoformerBlock", student.evoformer.EvoformerBlock)

# %% [markdown]
# ### The stack (SI Alg. 6)
#
# `EvoformerStack` runs `N_block` blocks (48 in AF2), each with its **own** weights
# (`self.blocks[i]`), each reading the `(m, z)` that the block before it returned.
# Shapes never change along the stack: `m: [*, N_seq, N_res, c_m]`,
# `z: [*, N_res, N_res, c_z]` in and out. In DeepMind's weight files the 48 blocks are one
# array per parameter with a leading block axis of length 48.
#
# **Exercise**: the loop body of `EvoformerStack.forward` (`student/evoformer.py`).

# %% tags=["check"] points=1 exercise="evoformer.EvoformerStack"
check.exercise("evoformer.EvoformerStack", student.evoformer.EvoformerStack)

# %%
sizes = {
    "c_m": c_m,
    "c_z": c_z,
    "c_hidden_msa_att": 4,
    "N_head_msa": 2,
    "c_hidden_opm": 3,
    "c_hidden_mul": 6,
    "c_hidden_pair_att": 4,
    "N_head_pair": 2,
}
m_out, z_out = forward_or_reference(
    student.evoformer.EvoformerBlock, sizes, m, z, msa_mask, pair_mask
)
print(
    "m",
    list(m.shape),
    "->",
    list(m_out.shape),
    "; z",
    list(z.shape),
    "->",
    list(z_out.shape),
)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
change = (z_out - z).norm(dim=-1)
shown = ax1.imshow(change, cmap="viridis", vmin=0)
ax1.set(
    xlabel="residue j", ylabel="residue i", title="|update of $z_{ij}$| after one block"
)
fig.colorbar(shown, ax=ax1, label="norm (arbitrary units)")
shown = ax2.imshow((m_out - m).norm(dim=-1), cmap="viridis", vmin=0, aspect="auto")
ax2.set(xlabel="residue i", ylabel="sequence s", title="|update of $m_{si}$|")
fig.colorbar(shown, ax=ax2, label="norm (arbitrary units)")
plt.show()

# %% [markdown]
# ## Recap
#
# - The Evoformer refines an MSA representation `[N_seq, N_res, c_m]` and a pair
#   representation `[N_res, N_res, c_z]` together: the pair biases the MSA row attention,
#   and the outer product mean (a mean over sequences of $a_{si} \otimes b_{sj}$) carries
#   co-evolution back into the pair.
# - The triangle updates treat $z$ as a graph's edges: edge $(i, j)$ gathers the
#   two-edge paths through every $k$ — outgoing $(i,k),(j,k)$ vs incoming $(k,i),(k,j)$
#   for the multiplication, row $(i,k)$ vs column $(k,j)$ for the attention — so the
#   pair can become consistent with a 3D geometry (triangle inequality).
# - Each step is LayerNorm → computation → gate, returned as an update that the block
#   adds residually; 48 blocks with their own weights form the stack. Next lesson: the
#   embedders that produce the first `m` and `z`.
#
# Your progress over all lessons (your saved files, checked in a separate process):

# %% tags=["status"]
from grader import status

status.show(lessons=[3])
