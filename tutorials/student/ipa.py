"""Invariant point attention: attention that sees the residues' 3D frames.

Each residue proposes query, key and value *points* in its own local frame. The
points are moved into the global frame with the residue's frame ``T_i`` before
their distances enter the attention logits, and the attended value points are
moved back into the frame of the query residue. Distances and local coordinates
do not change when every frame is moved by the same rigid motion, so the output
is invariant to global rotations and translations.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .geometry import Rigid


class InvariantPointAttention(nn.Module):
    """SI Algorithm 22 "InvariantPointAttention".

    Args:
        c_s: channels of the single representation.
        c_z: channels of the pair representation.
        c: channels per head of the scalar queries, keys and values.
        N_head: number of heads.
        N_query_points: query (and key) points per head.
        N_point_values: value points per head.
        eps: added under the square root of the output point norms.

    The per-head weights ``head_weights`` (the SI's gamma^h before softplus) are
    stored before the softplus, as in AF2's parameter files
    (``trainable_point_weights``).
    """

    def __init__(
        self,
        c_s: int = 384,
        c_z: int = 128,
        c: int = 16,
        N_head: int = 12,
        N_query_points: int = 4,
        N_point_values: int = 8,
        eps: float = 1e-8,
    ):
        super().__init__()
        self.c, self.N_head, self.eps = c, N_head, eps
        self.N_query_points, self.N_point_values = N_query_points, N_point_values
        self.linear_q = nn.Linear(c_s, N_head * c)
        self.linear_kv = nn.Linear(c_s, N_head * 2 * c)
        self.linear_q_points = nn.Linear(c_s, N_head * 3 * N_query_points)
        self.linear_kv_points = nn.Linear(
            c_s, N_head * 3 * (N_query_points + N_point_values)
        )
        self.linear_b = nn.Linear(c_z, N_head)
        # softplus(log(e - 1)) = 1: every head starts with gamma^h = 1.
        self.head_weights = nn.Parameter(torch.full((N_head,), math.log(math.e - 1)))
        self.linear_out = nn.Linear(N_head * (c + c_z + 4 * N_point_values), c_s)

    def forward(
        self, s: torch.Tensor, z: torch.Tensor, r: Rigid, seq_mask: torch.Tensor
    ) -> torch.Tensor:
        """The IPA update of the single representation.

        Args:
            s: [*, N_res, c_s] single representation.
            z: [*, N_res, N_res, c_z] pair representation.
            r: Rigid of shape [*, N_res], the backbone frames T_i.
            seq_mask: [*, N_res] 1 = real residue.

        Returns:
            [*, N_res, c_s] the update to ``s``.
        """
        q, k, v = self._scalar_qkv(s)
        q_pts, k_pts, v_pts = self._points(s, r)
        logits = sum(self._logits(q, k, q_pts, k_pts, z))
        a = self._attention(logits, seq_mask)
        return self._output(a, v, v_pts, z, r)

    def _scalar_qkv(self, s: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """SI Alg. 22, line 1: scalar q, k, v, each [*, N_res, N_head, c]."""
        # Hint: linear_kv gives, per head, the c key channels first, then the c value
        # channels: unflatten to (N_head, 2 * c) and split the last axis.
        # q, k, v: [*, N_res, N_head, c]
        # YOUR CODE HERE
        raise NotImplementedError()
        return q, k, v

    def _points(self, s: torch.Tensor, r: Rigid) -> tuple[torch.Tensor, ...]:
        """SI Alg. 22, lines 2-3: query, key and value points in the global frame.

        Returns q_pts, k_pts: [*, N_res, N_head, N_query_points, 3] and
        v_pts: [*, N_res, N_head, N_point_values, 3].
        """
        P_q, P_v = self.N_query_points, self.N_point_values
        # SI Alg. 22, lines 2-3 (local points). AF2's layout of the Linear output is
        # all x coordinates, then all y, then all z: unflatten to (3, N_head, P)
        # and move the coordinate axis last.
        # q_pts: [*, N_res, N_head, P_q, 3]; kv_pts: [*, N_res, N_head, P_q + P_v, 3]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 22, line 7 (T_i ∘ q, T_j ∘ k) and line 9 (T_j ∘ v): to global frame.
        # Hint: index the Rigid as r[..., None, None] to broadcast over heads, points.
        # YOUR CODE HERE
        raise NotImplementedError()
        k_pts, v_pts = kv_pts.split([P_q, P_v], dim=-2)
        return q_pts, k_pts, v_pts

    def _logits(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        q_pts: torch.Tensor,
        k_pts: torch.Tensor,
        z: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """SI Alg. 22, line 7: the three terms of the attention logits.

        Returns (scalar, pair, point), each [*, N_head, N_res, N_res]; their sum is
        the logits.
        """
        # SI Alg. 22, lines 5-6: w_C = sqrt(2 / (9 N_query_points)) gives the point
        # term unit variance at initialisation, like the other two; w_L = sqrt(1/3)
        # keeps the sum of the three at unit variance.
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 22, line 7, scalar term: w_L / sqrt(c) * q_i · k_j.
        # scalar: [*, N_head, N_res, N_res]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 22, lines 4 and 7, pair term: w_L * b_ij, b = linear_b(z) per head.
        # Hint: linear_b(z) is [*, N_res, N_res, N_head]: move the heads before i, j.
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 22, line 7, point term:
        # - w_L * gamma^h * w_C / 2 * sum_p |T_i ∘ q_hip - T_j ∘ k_hjp|^2,
        # gamma^h = softplus(head_weights); point holds the minus sign.
        # Hint: q_pts and k_pts are already global (T_i ∘ q, from _points). Broadcast
        # q_pts [*, N_res, 1, ...] against k_pts [*, 1, N_res, ...];
        # d2 (the sum over points and coordinates): [*, N_res, N_res, N_head].
        # YOUR CODE HERE
        raise NotImplementedError()
        return scalar, pair, point

    def _attention(self, logits: torch.Tensor, seq_mask: torch.Tensor) -> torch.Tensor:
        """SI Alg. 22, line 7: the attention weights a, [*, N_head, N_res, N_res].

        Args:
            logits: [*, N_head, N_res, N_res] the sum of the three logit terms.
            seq_mask: [*, N_res] 1 = real residue.
        """
        # Differs from SI: pairs with a padded residue get -1e5 added to their logits,
        # as the released AF2 code does (the SI does not mention masking here).
        # a: [*, N_head, N_res, N_res], softmax over j
        # YOUR CODE HERE
        raise NotImplementedError()
        return a

    def _output(
        self,
        a: torch.Tensor,
        v: torch.Tensor,
        v_pts: torch.Tensor,
        z: torch.Tensor,
        r: Rigid,
    ) -> torch.Tensor:
        """SI Alg. 22, lines 8-11: attended values, points and pairs, then Linear."""
        # SI Alg. 22, line 8: o_hi = sum_j a_hij v_hj.
        # o: [*, N_res, N_head, c]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 22, line 9: o_pts_hip = T_i^-1 ∘ sum_j a_hij (T_j ∘ v_hjp).
        # o_pts: [*, N_res, N_head, N_point_values, 3]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 22, line 10: o_pair_hi = sum_j a_hij z_ij.
        # o_pair: [*, N_res, N_head, c_z]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 22, line 11: concat(o, o_pts (x, y, z), |o_pts|, o_pair), then Linear.
        # Differs from SI: eps is added under the square root of |o_pts|, as the
        # released AF2 code does.
        # Hint: AF2's feature order is o [N_head * c], then all x, all y, all z of
        # o_pts [3 * N_head * N_point_values], then the norms, then o_pair.
        # [*, N_res, c_s]
        # YOUR CODE HERE
        raise NotImplementedError()
        return o
