"""Gated multi-head attention, the building block of every attention in AlphaFold2.

``Attention`` is the shared core of SI Algorithms 7, 8, 13 and 14: queries from one
tensor, keys and values from another, any number of additive biases (a pair bias,
a mask bias), and a sigmoid gate on the output. ``GlobalAttention`` is the cheap
variant of the extra-MSA stack (SI Algorithm 19), with one averaged query per head.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def mask_bias(mask: torch.Tensor) -> torch.Tensor:
    """The additive attention bias for a key mask: 0 where kept, -1e9 where masked.

    Args:
        mask: [*] 1 = keep, 0 = padding.

    Returns:
        [*] ``1e9 * (mask - 1)``, as AF2 adds it to the attention logits.
    """
    # Hint: a large finite number, not -inf: a fully masked row must stay finite.
    # YOUR CODE HERE
    raise NotImplementedError()
    return bias


def attention_weights(
    q: torch.Tensor, k: torch.Tensor, biases: Sequence[torch.Tensor] = ()
) -> torch.Tensor:
    """Scaled dot products plus biases, normalised over the keys.

    SI Alg. 7, line 5: ``a_ij = softmax_j(q_i . k_j / sqrt(c) + b_ij)``, for every head.

    Args:
        q: [*, N_head, Q, c] queries.
        k: [*, N_head, K, c] keys.
        biases: tensors that broadcast to [*, N_head, Q, K], added to the logits.

    Returns:
        a: [*, N_head, Q, K] attention weights; each row (fixed query) sums to 1.
    """
    # Hint: scale q before the product, as AF2 does; softmax over the keys (last axis).
    # logits, a: [*, N_head, Q, K]
    # YOUR CODE HERE
    raise NotImplementedError()
    return a


class Attention(nn.Module):
    """Gated multi-head attention with optional additive biases.

    SI Alg. 7, lines 2 and 4–7: the attention core shared by the MSA row and column
    attention (SI Alg. 7, 8) and the triangle attention (SI Alg. 13, 14). Each head
    h scores every query i against every key j, ``q_i^h . k_j^h / sqrt(c)`` plus the
    biases, turns the scores into weights with a softmax over j, averages the values
    ``v_j^h`` with them, and gates the result with ``sigmoid(Linear(q_x_i))``.

    Args:
        c_q: channels of the query input.
        c_k: channels of the key/value input.
        c: channels per head.
        N_head: number of heads.
        c_out: channels of the output.
        gating: multiply each head's output by a sigmoid gate computed from the
            query input (AF2 gates every trunk attention).
    """

    # At inference, PyTorch's fused attention instead (``_fused_forward``).
    fused = False

    def __init__(
        self, c_q: int, c_k: int, c: int, N_head: int, c_out: int, gating: bool = True
    ):
        super().__init__()
        self.c, self.N_head = c, N_head
        self.linear_q = nn.Linear(c_q, N_head * c, bias=False)
        self.linear_k = nn.Linear(c_k, N_head * c, bias=False)
        self.linear_v = nn.Linear(c_k, N_head * c, bias=False)
        self.linear_g = nn.Linear(c_q, N_head * c) if gating else None
        self.linear_o = nn.Linear(N_head * c, c_out)

    def forward(
        self, q_x: torch.Tensor, kv_x: torch.Tensor, biases: Sequence[torch.Tensor] = ()
    ) -> torch.Tensor:
        """Attend from every query to every key.

        Args:
            q_x: [*, Q, c_q] the tensor the queries (and the gate) come from.
            kv_x: [*, K, c_k] the tensor the keys and values come from.
            biases: tensors that broadcast to [*, N_head, Q, K], added to the logits
                (e.g. a pair bias [*, N_head, Q, K] and a mask bias [*, 1, 1, K]).

        Returns:
            [*, Q, c_out] the attention output.
        """
        if self.fused and not torch.is_grad_enabled():
            return self._fused_forward(q_x, kv_x, biases)
        # SI Alg. 7, line 2: project, then split the heads.
        # Hint: Linear gives [*, Q, N_head * c]; unflatten and move heads first.
        # q: [*, N_head, Q, c]; k, v: [*, N_head, K, c]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 7, line 5 (the exercise above): a: [*, N_head, Q, K]
        a = attention_weights(q, k, biases)

        # SI Alg. 7, line 6 (the sum): weighted values, heads merged back.
        # o: [*, Q, N_head * c]
        # YOUR CODE HERE
        raise NotImplementedError()

        if self.linear_g is not None:
            # SI Alg. 7, lines 4 and 6: o = sigmoid(Linear(q_x)) * o, per head and channel.
            # YOUR CODE HERE
            raise NotImplementedError()

        # SI Alg. 7, line 7: the output projection of the concatenated heads.
        # [*, Q, c_out]
        # YOUR CODE HERE
        raise NotImplementedError()
        return o

    def _fused_forward(self, q_x, kv_x, biases):
        """``forward`` (same arguments, same numbers up to rounding) with SI Alg. 7,
        lines 5-6 in ``torch.nn.functional.scaled_dot_product_attention``: the
        biases summed into one additive float mask, softmax and weighted sum in one
        fused kernel where the device has one. The plain form is ``forward``'s."""
        # q: [*, N_head, Q, c]; k, v: [*, N_head, K, c]
        q, k, v = (
            linear(x).unflatten(-1, (self.N_head, self.c)).transpose(-2, -3)
            for linear, x in (
                (self.linear_q, q_x),
                (self.linear_k, kv_x),
                (self.linear_v, kv_x),
            )
        )
        # [*, N_head, Q, K] (broadcast), or None
        mask = sum(biases[1:], biases[0]) if biases else None
        o = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=None if mask is None else mask.to(q.dtype),
            scale=self.c**-0.5,
        )
        # [*, Q, N_head * c]
        o = o.transpose(-2, -3).flatten(-2)
        if self.linear_g is not None:
            o = torch.sigmoid(self.linear_g(q_x)) * o
        return self.linear_o(o)


class GlobalAttention(nn.Module):
    """Gated global attention: one query per head, averaged over the sequences.

    SI Alg. 19, lines 2–7 (the body of ``MSAColumnGlobalAttention``). The keys and
    values have a single head shared by all query heads, and every sequence gets the
    same attention result (only its gate differs), so the cost is linear in the
    number of sequences.

    Args:
        c_in: channels of the input.
        c: channels per head.
        N_head: number of heads.
        c_out: channels of the output.
    """

    def __init__(self, c_in: int, c: int, N_head: int, c_out: int):
        super().__init__()
        self.c, self.N_head = c, N_head
        self.linear_q = nn.Linear(c_in, N_head * c, bias=False)
        self.linear_k = nn.Linear(c_in, c, bias=False)
        self.linear_v = nn.Linear(c_in, c, bias=False)
        self.linear_g = nn.Linear(c_in, N_head * c)
        self.linear_o = nn.Linear(N_head * c, c_out)

    def forward(self, m: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Attend from the masked mean of ``m`` to every element of ``m``.

        Args:
            m: [*, N_seq, c_in] the elements attended over (one MSA column).
            mask: [*, N_seq] 1 = keep.

        Returns:
            [*, N_seq, c_out] the gated output, one row per element.
        """
        # SI Alg. 19, lines 2-3: q = mean over the kept sequences of LinearNoBias(m);
        # averaging m first gives the same (no bias) for less work, as AF2 does.
        # Hint: divide by (number of kept rows + 1e-10), as AF2 does.
        # q: [*, N_head, c] (scaled by 1/sqrt(c)); k, v: [*, N_seq, c]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 19, line 5: a = softmax over the sequences t, masked keys get -1e9.
        # a: [*, N_head, N_seq]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 19, lines 4 and 6: gate each sequence's copy of the averaged values.
        # o: [*, N_seq, N_head * c]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 19, line 7: the output projection.
        # [*, N_seq, c_out]
        # YOUR CODE HERE
        raise NotImplementedError()
        return o
