"""Deterministic inputs for the checks, shared by every exercise of the table.

``Draw`` hands a case its toy sizes by SI name (``d.N_res``) and draws float64 tensors
from numpy's PCG64 stream, seeded by the names of the exercise, the case, the run
(visible or hidden) and the tensor: the same inputs on every machine and torch
version, different inputs for the hidden run. Shapes are given as sizes or size
names: ``d.randn("m", "B", "N_seq", "N_res", "c_m")``.

Masks (``d.mask``) always hold the edge cases a masked computation must survive:
random holes, padding (the last entries of the last axis masked everywhere, i.e.
fully masked columns) and one fully masked row.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch


def seed_of(*names: object) -> int:
    """A 32-bit seed from names (stable across Python runs, unlike ``hash``)."""
    return zlib.crc32("|".join(map(str, names)).encode())


class Draw:
    """The inputs of one case. ``key`` names the exercise, the case and the run."""

    def __init__(self, key: str, sizes: dict[str, int], hidden: bool):
        self.key, self.sizes, self.hidden = key, dict(sizes), hidden
        self.gradients: dict[str, torch.Tensor] = {}

    def __getattr__(self, name: str) -> int:
        sizes = self.__dict__.get("sizes", {})
        if name in sizes:
            return sizes[name]
        raise AttributeError(f"no size {name!r}; sizes: {sorted(sizes)}")

    def shape(self, *dims: int | str) -> tuple[int, ...]:
        """Sizes for size names, ints as they are."""
        return tuple(self.sizes[d] if isinstance(d, str) else d for d in dims)

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(seed_of(self.key, name))

    def randn(self, name: str, *dims: int | str, scale: float = 1.0) -> torch.Tensor:
        """Standard-normal float64 tensor."""
        return torch.from_numpy(
            self.rng(name).standard_normal(self.shape(*dims)) * scale
        )

    def rand(self, name: str, *dims: int | str) -> torch.Tensor:
        """Uniform [0, 1) float64 tensor."""
        return torch.from_numpy(self.rng(name).random(self.shape(*dims)))

    def randint(self, name: str, high: int, *dims: int | str, low: int = 0):
        """int64 tensor of integers in [low, high)."""
        values = self.rng(name).integers(low, high, size=self.shape(*dims))
        return torch.from_numpy(values.astype(np.int64))

    def gradient(self, x: torch.Tensor, name: str) -> torch.Tensor:
        """``x`` as an input whose gradient the check compares too: the checked output
        becomes ``(output, {name: gradient of the sum of the output})``, so a loss
        that is right but detached (or not differentiable) where it should not be
        fails."""
        y = (
            x.detach().clone().requires_grad_(True) * 1
        )  # not a leaf: may change in place
        self.gradients[name] = y
        return y

    def generator(self, name: str) -> torch.Generator:
        """A CPU ``torch.Generator`` for exercises that draw random numbers."""
        return torch.Generator().manual_seed(seed_of(self.key, name))

    def mask(
        self, name: str, *dims: int | str, keep: float = 0.7, pad: int = 1, full=True
    ) -> torch.Tensor:
        """float64 0/1 mask: random holes, the last ``pad`` entries of the last axis
        masked everywhere (padding), the first entry of each row kept, and with
        ``full`` the last row (along the second-to-last axis) masked entirely."""
        m = (self.rng(name).random(self.shape(*dims)) < keep).astype(np.float64)
        m[..., 0] = 1.0
        if pad:
            m[..., -pad:] = 0.0
        if full and m.ndim >= 2:
            m[..., -1, :] = 0.0
        return torch.from_numpy(m)

    def seq_mask(self, name: str, *dims: int | str) -> torch.Tensor:
        """float64 residue mask [*, N_res]: every residue real but the padded last one."""
        m = torch.ones(self.shape(*dims, "N_res"), dtype=torch.float64)
        m[..., -1] = 0.0
        return m

    def pair_mask(self, name: str, *dims: int | str) -> torch.Tensor:
        """[*, N_res, N_res] the outer product of a ``seq_mask``, with holes: padded
        rows and columns, as the model builds it, and a few masked pairs."""
        seq = self.seq_mask(name, *dims)
        holes = self.mask(name, *dims, "N_res", "N_res", keep=0.9, pad=0, full=False)
        return seq[..., :, None] * seq[..., None, :] * holes

    def probabilities(self, name: str, *dims: int | str, power: float = 3.0):
        """float64 rows on the simplex (last axis), peaked by ``power``."""
        p = self.rand(name, *dims) ** power
        return p / p.sum(-1, keepdim=True)


def init_parameters(module: torch.nn.Module, seed: int) -> None:
    """Fill every parameter with deterministic values (float64), keyed by its name, so
    the student's module and the reference get the same ones whatever their order."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            g = np.random.default_rng(seed_of(seed, name))
            fan_in = p.shape[-1] if p.dim() > 1 else 4
            values = g.standard_normal(tuple(p.shape)) / np.sqrt(fan_in)
            p.copy_(torch.from_numpy(values).to(p.dtype))


# --- the representations of lessons 3 and 4 ---------------------------------------------
def msa(d: Draw, batch: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """``m`` [B, N_seq, N_res, c_m] and ``msa_mask``: holes, a padded residue, the last
    sequence fully masked (``batch=False``: no B)."""
    lead = ("B",) if batch else ()
    m = d.randn("m", *lead, "N_seq", "N_res", "c_m")
    return m, d.mask("msa mask", *lead, "N_seq", "N_res")


def pair(d: Draw, batch: bool = True) -> torch.Tensor:
    """``z`` [B, N_res, N_res, c_z] (``batch=False``: no B)."""
    return d.randn("z", *(("B",) if batch else ()), "N_res", "N_res", "c_z")


def trunk(d: Draw, batch: bool = True) -> tuple[torch.Tensor, ...]:
    """``m, z, msa_mask, pair_mask`` of one Evoformer block: the pair mask is the outer
    product of the query row's mask, as the model builds it from ``seq_mask``."""
    m, msa_mask = msa(d, batch)
    seq_mask = msa_mask[..., 0, :]
    return m, pair(d, batch), msa_mask, seq_mask[..., :, None] * seq_mask[..., None, :]
