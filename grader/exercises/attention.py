"""Exercises of ``reference/attention.py`` (lesson 2).

Sizes: batch 2, Q = 5 queries, K = 7 keys, c_q = 6, c_k = 9, c = 4, N_head = 3,
c_out = 11 (hidden: other sizes and seeds). Masks hide some keys, and every key of
one batch element in one case (a padding row: AF2's 1e9 bias keeps it finite).

The helpers here (``padded_mask``, ``variant``, ``attend``) are shared by the lesson 3
registry files: ``attend`` is the attention core with one typical mistake switched on.
"""

from __future__ import annotations

import numpy as np
import torch

from ..cases import Case, Exercise, ModuleCase, Mutant, randn, rng

LESSON = 2
ATOL, RTOL = 1e-7, 1e-5  # masked logits are ~1e9: summation order costs ~1e-7


def padded_mask(
    seed: int, *shape: int, p_keep: float = 0.7, pad_last: int = 1
) -> torch.Tensor:
    """float64 0/1 mask [*, A, B]: random holes, the last ``pad_last`` entries of the last
    axis masked everywhere (padding residues), the first entry kept."""
    m = (rng(seed).random(shape) < p_keep).astype(np.float64)
    m[..., 0] = 1.0
    if pad_last:
        m[..., -pad_last:] = 0.0
    return torch.from_numpy(m)


def variant(get_cls, forward=None, **methods):
    """A constructor of a subclass of the reference class ``get_cls()`` (same
    parameters) with another ``forward`` or other methods; the reference module is
    imported only when the mutant is first built."""
    if forward is not None:
        methods["forward"] = forward

    def make(*args, **kwargs):
        cls = get_cls()
        return type(cls.__name__, (cls,), {"__module__": __name__, **methods})(
            *args, **kwargs
        )

    return make


def attend(
    mha,
    q_x,
    kv_x,
    biases=(),
    *,
    softmax_dim=-1,
    scale=True,
    gate="sigmoid",
    bias_after_softmax=False,
    heads_inner=False,
):
    """``reference.attention.Attention.forward`` with a mistake: softmax over another
    axis, no 1/sqrt(c), gate missing ("none") or without sigmoid ("linear"), biases
    added to the weights, or heads split as (c, N_head)."""
    split = (mha.c, mha.N_head) if heads_inner else (mha.N_head, mha.c)

    def heads(x):
        x = x.unflatten(-1, split)
        return (x.transpose(-1, -2) if heads_inner else x).transpose(-2, -3)

    q, k, v = (
        heads(mha.linear_q(q_x)),
        heads(mha.linear_k(kv_x)),
        heads(mha.linear_v(kv_x)),
    )
    logits = (q * mha.c**-0.5 if scale else q) @ k.transpose(-1, -2)
    if not bias_after_softmax:
        logits = sum(biases, logits)
    a = torch.softmax(logits, dim=softmax_dim)
    if bias_after_softmax:
        a = sum(biases, a)
    o = (a @ v).transpose(-2, -3)
    o = (o.transpose(-1, -2) if heads_inner else o).flatten(-2)
    if mha.linear_g is not None and gate != "none":
        g = mha.linear_g(q_x)
        o = (torch.sigmoid(g) if gate == "sigmoid" else g) * o
    return mha.linear_o(o)


def _ref(name: str):
    from reference import attention

    return getattr(attention, name)


# --- cases ---------------------------------------------------------------------------
def _attention_cases(hidden: bool) -> list[ModuleCase]:
    B, Q, K, c_q, c_k, c, H, c_out = (
        (3, 6, 4, 5, 7, 3, 2, 8) if hidden else (2, 5, 7, 6, 9, 4, 3, 11)
    )
    s = 500 if hidden else 300
    mask_bias = _ref("mask_bias")

    def self_attention():
        x = randn(s, B, Q, c_q)
        return (x, x), {}

    def cross_with_biases():
        mask = padded_mask(s + 3, B, K)
        mask[-1] = 0.0  # a batch element with every key masked
        pair_bias = randn(s + 2, B, H, Q, K)
        return (randn(s, B, Q, c_q), randn(s + 1, B, K, c_k)), {
            "biases": (pair_bias, mask_bias(mask)[:, None, None, :])
        }

    def ungated_two_batch_dims():
        x = randn(s + 4, 2, B, Q, c_q)
        return (x, x, (mask_bias(padded_mask(s + 5, 2, B, Q))[..., None, None, :],)), {}

    init = {"c_q": c_q, "c_k": c_q, "c": c, "N_head": H, "c_out": c_out}
    return [
        ModuleCase("self-attention, no bias", init, self_attention, seed=s),
        ModuleCase(
            "cross-attention, pair bias and mask",
            dict(init, c_k=c_k),
            cross_with_biases,
            seed=s + 1,
        ),
        ModuleCase(
            "no gate, two batch dims, mask",
            dict(init, gating=False),
            ungated_two_batch_dims,
            seed=s + 2,
        ),
    ]


def _global_cases(hidden: bool) -> list[ModuleCase]:
    B, N_seq, c_in, c, H, c_out = (4, 9, 5, 3, 6, 7) if hidden else (3, 7, 6, 4, 5, 9)
    s = 520 if hidden else 320

    def masked_columns():
        mask = padded_mask(s + 1, B, N_seq, p_keep=0.6)
        mask[-1, 1:] = 0.0  # one column with a single sequence
        return (randn(s, B, N_seq, c_in), mask), {}

    def two_batch_dims():
        return (
            randn(s + 2, 2, B, N_seq, c_in),
            padded_mask(s + 3, 2, B, N_seq, pad_last=2),
        ), {}

    init = {"c_in": c_in, "c": c, "N_head": H, "c_out": c_out}
    return [
        ModuleCase("masked columns", init, masked_columns, seed=s),
        ModuleCase("two batch dims", init, two_batch_dims, seed=s + 1),
    ]


# --- mutants -------------------------------------------------------------------------
def _attention_mutant(**mistake):
    def forward(self, q_x, kv_x, biases=()):
        return attend(self, q_x, kv_x, biases, **mistake)

    return variant(lambda: _ref("Attention"), forward)


def _global_mutant(
    *,
    masked_mean=True,
    key_mask=True,
    scale=True,
    softmax_dim=-1,
    gate="sigmoid",
    mean=True,
):
    """``GlobalAttention`` with one mistake."""

    def forward(self, m, mask):
        mask = mask.to(m.dtype)
        weights = mask[..., None] if masked_mean else torch.ones_like(mask[..., None])
        q = (weights * m).sum(-2)
        if mean:
            q = q / (weights.sum(-2) + 1e-10)
        q = self.linear_q(q).unflatten(-1, (self.N_head, self.c)) * (
            self.c**-0.5 if scale else 1.0
        )
        k, v = self.linear_k(m), self.linear_v(m)
        logits = q @ k.transpose(-1, -2)
        if key_mask:
            logits = logits + _ref("mask_bias")(mask)[..., None, :]
        o = (torch.softmax(logits, dim=softmax_dim) @ v).flatten(-2)[..., None, :]
        g = self.linear_g(m)
        o = {
            "sigmoid": torch.sigmoid(g) * o,
            "linear": g * o,
            "none": o.expand(g.shape),
        }[gate]
        return self.linear_o(o)

    return variant(lambda: _ref("GlobalAttention"), forward)


def _attention_mutants() -> list[Mutant]:
    return [
        Mutant(
            "softmax over the wrong axis: normalise over the keys (dim=-1), not the queries",
            _attention_mutant(softmax_dim=-2),
        ),
        Mutant(
            "the logits must be scaled by 1/sqrt(c) (c = channels per head)",
            _attention_mutant(scale=False),
        ),
        Mutant(
            "the output is gated: o = sigmoid(linear_g(q_x)) * o",
            _attention_mutant(gate="none"),
        ),
        Mutant(
            "the gate goes through a sigmoid: sigmoid(linear_g(q_x))",
            _attention_mutant(gate="linear"),
        ),
        Mutant(
            "add the biases to the logits, before the softmax, not to the weights",
            _attention_mutant(bias_after_softmax=True),
        ),
        Mutant(
            "split the channels as (N_head, c): unflatten(-1, (N_head, c)), heads first",
            _attention_mutant(heads_inner=True),
        ),
    ]


def _global_mutants() -> list[Mutant]:
    return [
        Mutant(
            "the query is the *masked* mean: multiply m by the mask, divide by the kept count",
            _global_mutant(masked_mean=False),
        ),
        Mutant(
            "masked sequences must be masked as keys too: add 1e9 * (mask - 1) to the logits",
            _global_mutant(key_mask=False),
        ),
        Mutant("the query is scaled by 1/sqrt(c)", _global_mutant(scale=False)),
        Mutant(
            "softmax over the wrong axis: normalise over the sequences (dim=-1), not the heads",
            _global_mutant(softmax_dim=-2),
        ),
        Mutant(
            "the output is gated per sequence: sigmoid(linear_g(m)) * o",
            _global_mutant(gate="none"),
        ),
        Mutant("the gate goes through a sigmoid", _global_mutant(gate="linear")),
        Mutant(
            "the query is the mean over the sequences, not the sum",
            _global_mutant(mean=False),
        ),
    ]


def _ref(name: str):
    from reference import attention

    return getattr(attention, name)


def _mask_bias_cases(hidden: bool) -> list[Case]:
    s = 40 + hidden
    return [
        Case(
            "masks with holes and padding",
            lambda: ((padded_mask(s, 2, 5 + 2 * hidden, 7),), {}),
        )
    ]


def _weights_inputs(seed: int, hidden: bool):
    b, h, n_q, n_k, c = 2, 3 + 2 * hidden, 5, 7 + 2 * hidden, 4
    q, k = randn(seed, b, h, n_q, c), randn(seed + 1, b, h, n_k, c)
    pair_bias = randn(seed + 2, b, h, n_q, n_k)
    key_bias = _ref("mask_bias")(padded_mask(seed + 3, b, 1, 1, n_k))
    return q, k, pair_bias, key_bias


def _weights_cases(hidden: bool) -> list[Case]:
    s = 50 + 10 * hidden

    def no_bias():
        q, k, _, _ = _weights_inputs(s, hidden)
        return (q, k), {}

    def biased():
        q, k, pair_bias, key_bias = _weights_inputs(s + 5, hidden)
        return (q, k, (pair_bias, key_bias)), {}

    return [Case("no bias", no_bias), Case("pair bias and mask bias", biased)]


def _weights_mutant(*, dim=-1, scale=0.5, after=False):
    def weights(q, k, biases=()):
        logits = q @ k.transpose(-1, -2) * q.shape[-1] ** -scale
        if not after:
            logits = logits + sum(biases)
        a = torch.softmax(logits, dim=dim)
        return a + sum(biases) if after else a

    return weights


def _mask_bias_mutants() -> list[Mutant]:
    return [
        Mutant(
            "masked keys get a large *negative* bias: 1e9 * (mask - 1), not 1e9 * (1 - mask)",
            lambda mask: 1e9 * (1 - mask),
        ),
        Mutant(
            "the mask is 1 where a key is kept: the bias must be 0 there, -1e9 where mask is 0",
            lambda mask: -1e9 * mask,
        ),
        Mutant(
            "use a large finite number (-1e9), not -inf: a fully masked row would give NaN",
            lambda mask: torch.where(mask > 0, 0.0, -torch.inf).to(mask.dtype),
        ),
    ]


def _weights_mutants() -> list[Mutant]:
    return [
        Mutant(
            "softmax over the keys (last axis), not over the queries",
            _weights_mutant(dim=-2),
        ),
        Mutant("scale the logits by 1/sqrt(c)", _weights_mutant(scale=0.0)),
        Mutant("scale by 1/sqrt(c), not 1/c", _weights_mutant(scale=1.0)),
        Mutant(
            "add the biases to the logits, before the softmax",
            _weights_mutant(after=True),
        ),
    ]


EXERCISES = [
    Exercise(
        "attention.mask_bias",
        points=1,
        cases=_mask_bias_cases,
        mutants=_mask_bias_mutants(),
    ),
    Exercise(
        "attention.attention_weights",
        points=2,
        cases=_weights_cases,
        mutants=_weights_mutants(),
        atol=ATOL,
        rtol=RTOL,
    ),
    Exercise(
        "attention.Attention",
        points=3,
        cases=_attention_cases,
        mutants=_attention_mutants(),
        atol=ATOL,
        rtol=RTOL,
    ),
    Exercise(
        "attention.GlobalAttention",
        points=2,
        cases=_global_cases,
        mutants=_global_mutants(),
        atol=ATOL,
        rtol=RTOL,
    ),
]
