"""Exercises of ``reference/attention.py`` (lesson 2)."""

from functools import partial

import torch

from ..cases import Case, Exercise, edits
from ..inputs import Draw

# Masked logits are ~1e9: the summation order costs ~1e-7.
TOL = dict(atol=1e-7, rtol=1e-5)
row = partial(
    Exercise,
    lesson=2,
    sizes=dict(B=2, Q=5, K=7, c_q=6, c_k=9, c=4, N_head=3, c_out=11),
    hidden=dict(B=4, Q=6, K=3, c_q=5, c_k=8, c=2, N_head=7, c_out=9),
    **TOL,
)


def key_bias(d: Draw) -> torch.Tensor:
    """[B, 1, 1, K] mask bias: holes, a padded key, the last batch element masked."""
    from reference.attention import mask_bias

    return mask_bias(d.mask("key mask", "B", "K"))[:, None, None, :]


def _weights(d: Draw, biased: bool):
    q, k = d.randn("q", "B", "N_head", "Q", "c"), d.randn("k", "B", "N_head", "K", "c")
    if not biased:
        return (q, k), {}
    return (q, k, (d.randn("pair bias", "B", "N_head", "Q", "K"), key_bias(d))), {}


def _cross(d: Draw):
    x, y = d.randn("q_x", "B", "Q", "c_q"), d.randn("kv_x", "B", "K", "c_k")
    pair_bias = d.randn("pair bias", "B", "N_head", "Q", "K")
    return (x, y), {"biases": (pair_bias, key_bias(d))}


def _two_batch_dims(d: Draw):
    from reference.attention import mask_bias

    x = d.randn("x", 2, "B", "K", "c_q")
    return (x, x, (mask_bias(d.mask("mask", 2, "B", "K"))[..., None, None, :],)), {}


def _global(d: Draw, lead=(), pad=1):
    mask = d.mask("mask", *lead, "B", "N_seq", pad=pad)
    return (d.randn("m", *lead, "B", "N_seq", "c_in"), mask), {}


EXERCISES = [
    row(
        "attention.mask_bias",
        points=1,
        cases=[
            Case(
                "holes, padding, a fully masked row",
                lambda d: ((d.mask("mask", "B", "Q", "K"),), {}),
            )
        ],
        mistakes=edits(r"""
        masked keys get a large *negative* bias: 1e9 * (mask - 1)
            (mask - 1) => (1 - mask)
        the mask is 1 where a key is kept: the bias is 0 there, -1e9 where 0
            1e9 * (mask - 1) => -1e9 * mask
        use a large finite number (-1e9), not -inf: a fully masked row would give
        NaN after the softmax
            1e9 * (mask - 1) => torch.where(mask > 0, 0.0, -torch.inf).to(mask.dtype)
        compute a new tensor: mask.sub_(1) changes the caller's mask
            1e9 * (mask - 1) => mask.sub_(1).mul_(1e9)
        """),
    ),
    row(
        "attention.attention_weights",
        points=2,
        cases=[
            Case("no bias", partial(_weights, biased=False)),
            Case("pair bias and mask bias", partial(_weights, biased=True)),
        ],
        mistakes=edits(r"""
        softmax over the keys (the last axis, dim=-1), not over the queries
            torch.softmax(logits, dim=-1) => torch.softmax(logits, dim=-2)
        scale the logits by 1/sqrt(c)
            (q * q.shape[-1] ** -0.5) => q
        scale by 1/sqrt(c), not 1/c
            ** -0.5 => ** -1.0
        add the biases to the logits, before the softmax, not to the weights
            logits += b => pass
            a = torch.softmax(logits, dim=-1) => \
                a = sum(biases, torch.softmax(logits, dim=-1))
        q.mul_ scales the caller's q: compute a new tensor (q * scale)
            (q * q.shape[-1] ** -0.5) => q.mul_(q.shape[-1] ** -0.5)
        """),
    ),
    row(
        "attention.Attention",
        points=3,
        init=dict(c_q="c_q", c_k="c_q", c="c", N_head="N_head", c_out="c_out"),
        cases=[
            Case(
                "self-attention", lambda d: (2 * (d.randn("x", "B", "Q", "c_q"),), {})
            ),
            Case("cross-attention, pair bias and mask", _cross, dict(c_k="c_k")),
            Case("no gate, two batch dims, mask", _two_batch_dims, dict(gating=False)),
        ],
        mistakes=edits(r"""
        the output is gated: o = sigmoid(linear_g(q_x)) * o
            o = torch.sigmoid(self.linear_g(q_x)) * o => o = o
        the gate goes through a sigmoid: sigmoid(linear_g(q_x))
            torch.sigmoid(self.linear_g(q_x)) => self.linear_g(q_x)
        merge the heads back as (N_head, c): move the heads next to the channels,
        then flatten the last two axes
            (a @ v).transpose(-2, -3).flatten(-2) => \
                (a @ v).transpose(-2, -3).transpose(-1, -2).flatten(-2)
        split the channels as (N_head, c): unflatten(-1, (N_head, c)), heads first
            q = self.linear_q(q_x).unflatten(-1, (self.N_head, self.c)) => \
                q = self.linear_q(q_x).unflatten(-1, (self.c, self.N_head)).mT
        project the merged heads with linear_o
            o = self.linear_o(o) => o = o
        """),
    ),
    row(
        "attention.GlobalAttention",
        points=2,
        sizes=dict(B=3, N_seq=7, c_in=6, c=4, N_head=5, c_out=9),
        hidden=dict(B=4, N_seq=9, c_in=5, c=3, N_head=6, c_out=7),
        init=dict(c_in="c_in", c="c", N_head="N_head", c_out="c_out"),
        cases=[
            Case("holes, padding, a fully masked column", _global),
            Case("two batch dims", partial(_global, lead=(2,), pad=2)),
        ],
        mistakes=edits(r"""
        the query is the *masked* mean: multiply m by the mask first
            (mask[..., None] * m).sum(-2) => m.sum(-2)
        divide by (kept count + 1e-10): a fully masked column has no kept row
            + 1e-10) => )
        the query is the mean over the kept sequences, not their sum
            / (mask.sum(-1, keepdim=True) + 1e-10) =>
        masked sequences are masked as keys too: add mask_bias(mask)
            + mask_bias(mask)[..., None, :] =>
        the query is scaled by 1/sqrt(c)
            * self.c**-0.5 =>
        softmax over the sequences (dim=-1), not over the heads
            dim=-1\n => dim=-2\n
        the gate goes through a sigmoid
            torch.sigmoid(self.linear_g(m)) => self.linear_g(m)
        """),
    ),
]
