"""The transition layers: a two-layer MLP applied to every MSA or pair element."""

from __future__ import annotations

import torch
from torch import nn

from .chunking import chunk_layer


class Transition(nn.Module):
    """Layer norm, then a ReLU MLP that widens the channels n-fold and narrows them back.

    The shared body of SI Algorithms 9 and 15 (``MSATransition``, ``PairTransition``).

    Args:
        c: channels of the representation.
        n: widening factor of the hidden layer.
    """

    def __init__(self, c: int, n: int = 4):
        super().__init__()
        self.layer_norm = nn.LayerNorm(c)
        self.linear_1 = nn.Linear(c, n * c)
        self.linear_2 = nn.Linear(n * c, c)

    def forward(self, x: torch.Tensor, chunk_size: int | None = None) -> torch.Tensor:
        """The transition update.

        AF2 passes a mask to this layer but does not use it: every element is
        transformed independently, and padding is masked elsewhere.

        Args:
            x: [*, c] MSA ([*, N_seq, N_res, c_m]) or pair ([*, N_res, N_res, c_z])
                representation.
            chunk_size: rows per MLP call (``None``: all at once).

        Returns:
            [*, c] the update to ``x``.
        """
        # SI Alg. 9, line 1
        # YOUR CODE HERE
        raise NotImplementedError()
        # Chunked by rows (MSA rows, pair rows i), never element by element.
        return chunk_layer(self._mlp, {"x": x}, chunk_size, batch_dims=x.dim() - 2)

    def _mlp(self, x: torch.Tensor) -> torch.Tensor:
        """SI Alg. 9, lines 2-3: ``Linear(relu(Linear(x)))``, [*, c] -> [*, c]."""
        # [*, n * c] -> [*, c]
        # YOUR CODE HERE
        raise NotImplementedError()
        return x


class MSATransition(Transition):
    """The MSA transition: a per-element MLP on the MSA representation.

    SI Algorithm 9 "MSATransition".

    Args:
        c_m: MSA channels.
        n: widening factor of the hidden layer.
    """

    def __init__(self, c_m: int = 256, n: int = 4):
        super().__init__(c_m, n)


class PairTransition(Transition):
    """The pair transition: a per-element MLP on the pair representation.

    SI Algorithm 15 "PairTransition".

    Args:
        c_z: pair channels.
        n: widening factor of the hidden layer.
    """

    def __init__(self, c_z: int = 128, n: int = 4):
        super().__init__(c_z, n)
