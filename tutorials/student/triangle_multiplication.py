"""Triangle multiplicative updates: edge (i, j) is updated from the edges (i, k), (j, k)
("outgoing") or (k, i), (k, j) ("incoming") that close a triangle with it."""

from __future__ import annotations

import torch
from torch import nn


class TriangleMultiplication(nn.Module):
    """The shared body of SI Algorithms 11 and 12; the subclasses combine the edges.

    Args:
        c_z: pair channels.
        c: channels of the projections a and b.
    """

    def __init__(self, c_z: int = 128, c: int = 128):
        super().__init__()
        self.layer_norm_in = nn.LayerNorm(c_z)
        self.linear_a_p = nn.Linear(c_z, c)
        self.linear_a_g = nn.Linear(c_z, c)
        self.linear_b_p = nn.Linear(c_z, c)
        self.linear_b_g = nn.Linear(c_z, c)
        self.layer_norm_out = nn.LayerNorm(c)
        self.linear_z = nn.Linear(c, c_z)
        self.linear_g = nn.Linear(c_z, c_z)

    def forward(self, z: torch.Tensor, pair_mask: torch.Tensor) -> torch.Tensor:
        """The triangle-multiplication update of the pair representation.

        Args:
            z: [*, N_res, N_res, c_z] pair representation.
            pair_mask: [*, N_res, N_res] 1 = keep.

        Returns:
            [*, N_res, N_res, c_z] the update to ``z``.
        """
        pair_mask = pair_mask.to(z.dtype)[..., None]
        # SI Alg. 11, line 1
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 11, lines 2-3: gated projections, zero on masked edges.
        # Hint: a = mask * Linear(z) * sigmoid(Linear(z)).
        # a, b: [*, N_res, N_res, c]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 11, line 4: the output gate, from the normalised input.
        # g: [*, N_res, N_res, c_z]
        # YOUR CODE HERE
        raise NotImplementedError()

        # SI Alg. 11, line 5: combine the triangle edges, normalise, project, gate.
        # [*, N_res, N_res, c] -> [*, N_res, N_res, c_z]
        # YOUR CODE HERE
        raise NotImplementedError()
        return o

    def _combine(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Sum the edge products over the third node k; each subclass says which edges."""
        raise NotImplementedError(
            "use TriangleMultiplicationOutgoing or TriangleMultiplicationIncoming"
        )


class TriangleMultiplicationOutgoing(TriangleMultiplication):
    """Update edge (i, j) from the two edges leaving i and j towards every k.

    SI Algorithm 11 "TriangleMultiplicationOutgoing".
    """

    def _combine(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """SI Alg. 11, line 5: sum_k a_ik * b_jk.

        Args:
            a, b: [*, N_res, N_res, c] the gated projections.

        Returns:
            [*, N_res, N_res, c]
        """
        # YOUR CODE HERE
        raise NotImplementedError()
        return o


class TriangleMultiplicationIncoming(TriangleMultiplication):
    """Update edge (i, j) from the two edges arriving at i and j from every k.

    SI Algorithm 12 "TriangleMultiplicationIncoming".
    """

    def _combine(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """SI Alg. 12, line 5: sum_k a_ki * b_kj.

        Args:
            a, b: [*, N_res, N_res, c] the gated projections.

        Returns:
            [*, N_res, N_res, c]
        """
        # YOUR CODE HERE
        raise NotImplementedError()
        return o
