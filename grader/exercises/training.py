"""Exercises of ``reference/training.py`` (lesson 8): dropout, recycling, clipping."""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from ..cases import Case, Exercise, edits
from ..inputs import Draw

row = partial(Exercise, lesson=8)


def _dropout(d: Draw, rate: float, shared_dim: int | None):
    x = d.randn("x", "N_seq", "N_res", "c")
    return (x, rate, shared_dim, d.generator("mask")), {}


class _ToyStructureModule(nn.Module):
    """Stands in for the structure module: its output is a dict, as the real one's."""

    def forward(self, y: torch.Tensor) -> dict:
        return {"frames": 2 * y}


TOY_STRUCTURE_MODULE = _ToyStructureModule()


class ToyModel:
    """Stands in for ``AlphaFold`` in the check of ``recycle``. A pass mixes its own
    features with the previous pass's output (not detached, so gradients would flow
    through earlier passes that ran with gradients) and logs whether it ran with
    gradients."""

    def __init__(self, weight: torch.Tensor):
        self.weight = weight
        self.structure_module = TOY_STRUCTURE_MODULE

    @staticmethod
    def pass_features(batch: dict, r: int, num_passes: int) -> dict:
        return {"x": batch["x"][r]}

    def forward_pass(self, batch: dict, prev: dict | None) -> dict:
        h = prev["h"] if prev else torch.zeros_like(batch["x"])
        log = prev["log"] if prev else batch["x"].new_zeros(0)
        y = self.weight[0] * batch["x"] + self.weight[1] * torch.tanh(h)
        sm = self.structure_module(y)
        ran = batch["x"].new_tensor([float(torch.is_grad_enabled())])
        log = torch.cat([log, ran])
        return {"y": y + sm["frames"], "log": log, "prev": {"h": y, "log": log}}

    def __eq__(self, other):
        return (
            isinstance(other, ToyModel)
            and torch.equal(self.weight, other.weight)
            and type(self.structure_module) is type(other.structure_module)
        )


def _recycle(d: Draw, num_passes: int):
    weight = d.gradient(d.randn("weight", 2), "model.weight")
    batch = {"x": d.randn("x", "P", "N_res")}
    return (ToyModel(weight), batch, num_passes), {}


def _grads(d: Draw, scale: float):
    shapes = [("N_res", "c"), ("c",), ("N_seq", "N_res", "c")]
    return (
        [d.randn(f"grad {i}", *s, scale=scale) for i, s in enumerate(shapes)],
        0.5,
    ), {}


EXERCISES = [
    row(
        "training.shared_dropout",
        points=1,
        sizes=dict(N_seq=3, N_res=5, c=7),
        hidden=dict(N_seq=4, N_res=6, c=9),
        cases=[
            Case("rowwise 0.25", partial(_dropout, rate=0.25, shared_dim=-3)),
            Case("columnwise 0.15", partial(_dropout, rate=0.15, shared_dim=-2)),
            Case("independent 0.5", partial(_dropout, rate=0.5, shared_dim=None)),
        ],
        mistakes=edits(r"""
        one mask for all entries along shared_dim: draw it with the mask's shape
        (size 1 there), not x's
            torch.rand(shape, => torch.rand(x.shape,
        scale the kept entries by 1 / (1 - rate), so that the expected value is x
            out = x * keep / (1 - rate) => out = x * keep
        keep an entry with probability 1 - rate (u < 1 - rate), drop it with rate
            (u < 1 - rate) => (u < rate)
        """),
    ),
    row(
        "training.recycle",
        points=2,
        sizes=dict(P=4, N_res=5),
        hidden=dict(P=3, N_res=7),
        cases=[
            Case("3 passes", partial(_recycle, num_passes=3)),
            Case("1 pass", partial(_recycle, num_passes=1)),
        ],
        mistakes=edits(r"""
        the first num_passes - 1 passes run without gradient (torch.no_grad): only
        the last pass is trained
            with torch.no_grad(): => if True:
        feed each pass the previous pass's outputs: prev = ...["prev"]
            prev = model.forward_pass(features, prev)["prev"] \
                => model.forward_pass(features, prev)
        pass r reads its own slice of the features: pass_features(batch, r, ...)
            model.pass_features(batch, r, num_passes) \
                => model.pass_features(batch, 0, num_passes)
        num_passes passes in all: num_passes - 1 without gradient, then the last one
            for r in range(num_passes - 1): => for r in range(num_passes):
        """),
    ),
    row(
        "training.clip_by_global_norm",
        points=1,
        sizes=dict(N_seq=3, N_res=5, c=7),
        hidden=dict(N_seq=4, N_res=6, c=9),
        cases=[
            Case("large gradients", partial(_grads, scale=1.0)),
            Case("small gradients", partial(_grads, scale=0.01)),
        ],
        mistakes=edits(r"""
        one norm for all gradients together (the global norm), not one per tensor
            clipped = [g * scale for g in grads] => clipped = [\
                g * max_norm / torch.clamp(g.norm(), min=max_norm) for g in grads]
        gradients below max_norm are left as they are: scale by
        max_norm / max(norm, max_norm)
            torch.clamp(norm, min=max_norm) => norm
        the global norm is sqrt(sum of all squares), not the sum of the norms
            torch.sqrt(sum(g.square().sum() for g in grads)) \
                => sum(g.norm() for g in grads)
        """),
    ),
]
