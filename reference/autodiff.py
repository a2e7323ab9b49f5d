"""Losses whose checks compare gradients as well as values.

A loss that gives the right number but the wrong gradient trains the wrong model: a
forgotten stop-gradient lets the pLDDT loss pull the structure towards where the
confidence head likes it, a ``.detach()`` too many leaves a module untrained. So the
checks of the losses compare gradients too. They call a loss marked
``@gradients_checked`` inside ``torch.no_grad()`` with inputs that require gradients;
then, and only then, it returns ``(value, gradients)``: the gradient of the summed
value with respect to every such input, by argument name (zeros where the value does
not depend on it). Called any other way, the loss is the plain function; a module's
parameters do not count as such inputs.
"""

from __future__ import annotations

import functools
import inspect

import torch


def gradients_checked(loss):
    """Mark ``loss`` as a loss whose check compares its gradients (module docstring)."""
    signature = inspect.signature(loss)

    @functools.wraps(loss)
    def wrapper(*args, **kwargs):
        inputs = _inputs_requiring_grad(signature.bind(*args, **kwargs).arguments)
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


def _inputs_requiring_grad(arguments: dict) -> dict[str, torch.Tensor]:
    """``{name: tensor}`` of the leaf tensors that require grad, also inside dicts,
    lists and plain objects (``model.weight``); not the parameters of a module (a
    model evaluated under ``torch.no_grad()`` stays a plain call)."""
    found = {}

    def visit(name, value):
        if isinstance(value, torch.Tensor):
            if value.requires_grad and value.is_leaf:
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
