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
# # Lesson 2 — Attention
#
# Every layer of AlphaFold2 that lets residues or sequences exchange information is an
# **attention**: the MSA row and column attention, the triangle attention, and the
# invariant point attention of the structure module. In this lesson you write the one
# core they share, gated multi-head attention with additive biases (SI Alg. 7, lines
# 2 and 4–7), and its cheap cousin, global attention (SI Alg. 19).
#
# Your code goes into `student/attention.py`: fill each `# YOUR CODE HERE`, save, run
# the check cell. You need PyTorch basics: tensors, `nn.Linear`, broadcasting.

# %%
import matplotlib.pyplot as plt
import student.attention
import torch

from grader import check
from grader.lesson import reference_of
from reference.attention import mask_bias

torch.set_printoptions(precision=3, sci_mode=False)


def forward_or_reference(cls, init: dict, *args, **kwargs):
    """``cls(**init)(*args)``; while your forward is not written, the reference module
    with the same weights."""
    torch.manual_seed(0)
    module = cls(**init)
    with torch.no_grad():
        try:
            return module(*args, **kwargs)
        except NotImplementedError:
            print(
                f"(your {cls.__name__} is not written yet: this cell uses the reference one)"
            )
            ref = reference_of(cls)(**init)
            ref.load_state_dict(module.state_dict())
            return ref(*args, **kwargs)


# %% [markdown]
# ## 1. Queries, keys, values
#
# Take $Q$ elements that ask (queries) and $K$ elements that answer (keys and values).
# Each query $q_i \in \mathbb{R}^c$ scores each key $k_j$ by a dot product, the scores
# become weights by a softmax **over the keys**, and the output is the weighted mean of
# the values:
#
# $$a_{ij} = \operatorname{softmax}_j\Big(\frac{q_i^\top k_j}{\sqrt{c}}\Big), \qquad o_i = \sum_j a_{ij}\, v_j .$$
#
# The $1/\sqrt{c}$ keeps the scores of order one whatever the width $c$ (a dot product
# of $c$ random unit-variance numbers has variance $c$); without it the softmax
# saturates. In code: `q [*, Q, c]`, `k, v [*, K, c]`, `a = softmax(q @ k.T / sqrt(c), dim=-1)`
# is `[*, Q, K]`: each **row** sums to one.


# %%
def attention_map(a, title: str, ax=None):
    """A figure of attention weights ``a [Q, K]`` (rows: queries, columns: keys)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(4, 3.5))
    shown = ax.imshow(a, cmap="viridis", vmin=0, vmax=1)
    ax.set(xlabel="key j", ylabel="query i", title=title)
    fig.colorbar(shown, ax=ax, label="weight $a_{ij}$")
    return fig


g = torch.Generator().manual_seed(0)
Q, K, c = 6, 8, 16
q, k = torch.randn(Q, c, generator=g), torch.randn(K, c, generator=g)
logits = q @ k.T / c**0.5  # [Q, K]
a = torch.softmax(logits, dim=-1)
print("rows sum to", a.sum(-1))
attention_map(a, "softmax over the keys")
plt.show()

# %% [markdown]
# ## 2. Biases: steering attention from outside
#
# AlphaFold2 adds **biases** to the logits before the softmax. The MSA row attention
# adds a bias $b_{ij}$ computed from the pair representation (lesson 3): if the pair
# representation believes residues $i$ and $j$ interact, residue $i$ listens to $j$.
# **Masking** is a bias too: padding keys get $-10^9$, so $e^{-10^9} = 0$ weight; AF2
# writes it `1e9 * (mask - 1)` (`mask_bias`). Biases go *inside* the softmax:
# added afterwards they would break the normalisation (a masked key would get
# weight $-10^9$).

# %%
pair_bias = torch.zeros(Q, K)
pair_bias[torch.arange(Q), torch.arange(Q) + 1] = 4.0  # "i interacts with i + 1"
key_mask = torch.ones(K)
key_mask[-3:] = 0.0  # three padding keys

fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
attention_map(torch.softmax(logits, -1), "no bias", axes[0])
attention_map(
    torch.softmax(logits + pair_bias, -1), "+ pair bias $b_{i,i+1} = 4$", axes[1]
)
attention_map(
    torch.softmax(logits + mask_bias(key_mask), -1),
    "+ mask bias (last 3 keys)",
    axes[2],
)
plt.show()

# %% [markdown]
# **Exercises** (`student/attention.py`):
# - `mask_bias(mask)`: 0 where `mask` is 1, $-10^9$ where it is 0 (same shape as `mask`).
#   A large finite number, not $-\infty$: a row whose keys are all padding must stay finite.
# - `attention_weights(q, k, biases)` (SI Alg. 7, line 5): for every head,
#   `q [*, N_head, Q, c]` and `k [*, N_head, K, c]` give the logits `[*, N_head, Q, K]`;
#   add each bias (they broadcast to that shape), then softmax over the keys.
#   Scale `q` by $1/\sqrt{c}$ before the product, as AF2 does.
#
# `Attention.forward` (section 3) calls your `attention_weights`.

# %% tags=["check"] points=1 exercise="attention.mask_bias"
check.exercise("attention.mask_bias", student.attention.mask_bias)

# %% tags=["check"] points=2 exercise="attention.attention_weights"
check.exercise("attention.attention_weights", student.attention.attention_weights)

# %% [markdown]
# ## 3. Multi-head gated attention (SI Alg. 7, lines 2 and 4–7)
#
# One softmax can only attend to one "kind" of partner. **Multiple heads** run
# $N_\text{head}$ attentions in parallel, each with its own projections:
#
# $$q_i^h, k_j^h, v_j^h = \text{LinearNoBias}(x_i), \quad a_{ij}^h = \operatorname{softmax}_j\Big(\frac{q_i^{h\top} k_j^h}{\sqrt{c}} + b_{ij}^h\Big),$$
# $$g_i^h = \operatorname{sigmoid}(\text{Linear}(x_i)), \quad o_i^h = g_i^h \odot \sum_j a_{ij}^h v_j^h, \quad \tilde{x}_i = \text{Linear}(\operatorname{concat}_h o_i^h).$$
#
# The **gate** $g$ (between 0 and 1, per head and channel) lets each query switch off
# what it received. Shapes, with `*` for any batch dimensions:
#
# | step | tensor | shape |
# |---|---|---|
# | project, split heads | `q` | `[*, N_head, Q, c]` (`Linear` gives `[*, Q, N_head * c]`: `unflatten(-1, (N_head, c))`, then heads first) |
# | | `k`, `v` | `[*, N_head, K, c]` |
# | logits + biases, softmax | `a` | `[*, N_head, Q, K]` (biases broadcast to this) |
# | weighted values, merge heads | `o` | `[*, Q, N_head * c]` |
# | gate, output projection | `o` | `[*, Q, c_out]` |
#
# **Exercise** (`student/attention.py`): `Attention.forward`. The layer names
# (`linear_q`, `linear_k`, `linear_v`, `linear_g`, `linear_o`) are given: they load
# DeepMind's weights in lesson 7. The check runs batched inputs, a cross-attention
# ($Q \ne K$, $c_q \ne c_k$) with a pair bias and a mask, and the layer without gate.

# %% tags=["check"] points=3 exercise="attention.Attention"
check.exercise("attention.Attention", student.attention.Attention)

# %% [markdown]
# Your attention on a batch: 2 sequences of 5 residues, 3 heads; the last two residues
# are padding. Every output row is defined, padding included (it just attends to the
# real keys).

# %%
x = torch.randn(2, 5, 6, generator=g)
mask = torch.tensor([[1.0, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
o = forward_or_reference(
    student.attention.Attention,
    {"c_q": 6, "c_k": 6, "c": 4, "N_head": 3, "c_out": 6},
    x,
    x,
    (mask_bias(mask)[:, None, None, :],),
)
print("x", list(x.shape), "-> o", list(o.shape))

# %% [markdown]
# ## 4. Global attention (SI Alg. 19)
#
# The extra-MSA stack attends over up to 5,120 sequences per column; full attention
# costs $N_\text{seq}^2$. **Global attention** uses one query per head: the masked
# **mean** of the column, $\bar{x} = \sum_s m_s x_s / (\sum_s m_s + 10^{-10})$, and one
# key/value head shared by all query heads:
#
# $$q^h = \frac{\text{LinearNoBias}(\bar{x})}{\sqrt{c}}, \quad k_s, v_s = \text{LinearNoBias}(x_s), \quad a_s^h = \operatorname{softmax}_s(q^{h\top} k_s - 10^9 (1 - m_s)),$$
# $$o_s^h = \operatorname{sigmoid}(\text{Linear}(x_s))^h \odot \sum_t a_t^h v_t, \qquad \tilde{x}_s = \text{Linear}(\operatorname{concat}_h o_s^h).$$
#
# Everyone gets the same averaged message, then gates it individually: linear cost.
# Shapes: `q [*, N_head, c]`, `k, v [*, N_seq, c]`, `a [*, N_head, N_seq]`,
# `o [*, N_seq, N_head * c]`, output `[*, N_seq, c_out]`.
#
# **Exercise** (`student/attention.py`): `GlobalAttention.forward`.

# %% tags=["check"] points=2 exercise="attention.GlobalAttention"
check.exercise("attention.GlobalAttention", student.attention.GlobalAttention)

# %% [markdown]
# ## Recap
#
# - Attention is a softmax **over the keys** of scaled dot products $q^\top k/\sqrt{c}$,
#   then a weighted mean of values; heads run it in parallel, and a sigmoid gate per
#   head and channel lets each query keep or drop what it received.
# - Biases enter **before** the softmax: a pair bias steers who listens to whom, a
#   $-10^9$ mask bias silences padding (AF2's `1e9 * (mask - 1)`).
# - Global attention (SI Alg. 19) replaces $Q$ queries by one masked mean and shares a
#   single key/value head, so its cost is linear in the number of sequences. Next
#   lesson: the Evoformer, built from these pieces.
#
# Your progress over all lessons (your saved files, checked in a separate process):

# %% tags=["status"]
from grader import status

status.show(lessons=[2])
