"""Losses whose checks compare gradients as well as values.

A loss that gives the right number but the wrong gradient trains the wrong model: a
``.detach()`` too many leaves a module untrained, a loop that keeps gradients through
every recycling pass costs memory AF2 never spends. So the checks compare gradients
too. They call a function marked ``@gradients_checked`` inside ``torch.no_grad()``
with inputs made by ``gradient_input``; then, and only then, it returns
``(value, gradients)``: the gradient of the summed value with respect to each such
input, by argument name (zeros where the value does not depend on it). Called any
other way, the function is the plain function.
"""

from __future__ import annotations

import functools
import inspect

import torch

_MARK = "_gradient_input"


def gradient_input(x: torch.Tensor) -> torch.Tensor:
    """A copy of ``x`` whose gradient a check asks for (see the module docstring)."""
    y = x.detach().clone().requires_grad_(True) * 1  # not a leaf: may change in place
    setattr(y, _MARK, True)
    return y


def gradients_checked(loss):
    """Mark ``loss`` as a loss whose check compares its gradients (module docstring)."""
    signature = inspect.signature(loss)

    @functools.wraps(loss)
    def wrapper(*args, **kwargs):
        inputs = _gradient_inputs(signature.bind(*args, **kwargs).arguments)
        if torch.is_grad_enabled() or not inputs:
            return loss(*args, **kwargs)
        with torch.enable_grad():
            value = loss(*args, **kwargs)
            total = _total(value)
            grads = [None] * len(inputs)
            if total is not None and total.requires_grad:
                grads = torch.autograd.grad(
                    total, list(inputs.values()), allow_unused=True
                )
        return _detached(value), {
            name: torch.zeros_like(x) if g is None else g
            for (name, x), g in zip(inputs.items(), grads)
        }

    return wrapper


def _gradient_inputs(arguments: dict) -> dict[str, torch.Tensor]:
    """``{name: tensor}`` of the inputs made by ``gradient_input``, also inside dicts,
    lists and plain objects (``model.weight``)."""
    found = {}

    def visit(name, value):
        if isinstance(value, torch.Tensor):
            if getattr(value, _MARK, False) and value.requires_grad:
                found[name] = value
        elif isinstance(value, dict):
            for key, v in value.items():
                visit(f"{name}[{key!r}]", v)
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                visit(f"{name}[{i}]", v)
        elif hasattr(value, "__dict__") and not callable(value):
            for key, v in vars(value).items():
                visit(f"{name}.{key}", v)

    for name, value in arguments.items():
        visit(name, value)
    return found


def _total(value) -> torch.Tensor | None:
    """The sum of every floating-point tensor in ``value`` (nested dicts, tuples)."""
    if isinstance(value, torch.Tensor):
        return value.sum() if value.is_floating_point() else None
    parts = value.values() if isinstance(value, dict) else value
    if not isinstance(parts, (list, tuple, type({}.values()))):
        return None
    sums = [s for s in map(_total, parts) if s is not None]
    return torch.stack(sums).sum() if sums else None


def _detached(value):
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_detached(v) for v in value)
    return value
