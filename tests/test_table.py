"""The table of exercises is sound: sizes that cannot hide a transposition, masks with
their edge cases, reproducible inputs, finite reference outputs."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from grader import check, exercises
from grader.cases import Edit

NAMES = list(exercises.all_exercises())


def _calls(ex):
    """``(hidden, case, bound arguments)`` of every visible and hidden case."""
    ref = ex.reference()
    method = ex.method or ("forward" if ex.is_class else None)
    target = getattr(ref, method) if method else ref
    signature = inspect.signature(target)
    for hidden in (False, True):
        for case in ex.cases:
            args, kwargs = case.build(check.draw(ex, case, hidden))
            if case.call:  # a property: the call takes the answer, then the inputs
                bound = inspect.signature(case.call).bind(None, *args, **kwargs)
            else:
                bound = signature.bind(
                    *((None,) if ex.is_class else ()), *args, **kwargs
                )
            yield hidden, case, bound.arguments


@pytest.mark.parametrize("name", NAMES)
def test_sizes_are_pairwise_different(name):
    ex = exercises.get(name)
    for sizes in (ex.sizes, ex.hidden):
        assert len(set(sizes.values())) == len(sizes), sizes
    assert not ex.sizes or ex.hidden != ex.sizes, "the hidden run needs other sizes"


@pytest.mark.parametrize("name", NAMES)
def test_masked_exercises_have_padding_and_a_fully_masked_row(name):
    """Every mask argument of a case with rows holds both edge cases somewhere."""
    ex = exercises.get(name)
    seen = {}
    for hidden, _, arguments in _calls(ex):
        for arg, value in arguments.items():
            if (
                "mask" not in arg
                or not isinstance(value, torch.Tensor)
                or value.dim() < 2
            ):
                continue
            rows = value.reshape(-1, value.shape[-1])
            padded = bool((value == 0).flatten(0, -2).all(0).any())
            full = bool((rows == 0).all(-1).any())
            old = seen.get((hidden, arg), (False, False))
            seen[hidden, arg] = (old[0] or padded, old[1] or full)
    if not seen:
        pytest.skip("no mask with rows among the inputs")
    for (hidden, arg), (padded, full) in seen.items():
        assert padded and full, (
            f"{arg} ({hidden=}): padding {padded}, masked row {full}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_reproducible_and_differ_when_hidden(name):
    ex = exercises.get(name)
    case = ex.cases[0]
    first, again, hidden = (
        _plain(case.build(check.draw(ex, case, h))) for h in (False, False, True)
    )
    assert first == again, "the same case must give the same inputs"
    assert first != hidden, "the hidden run must use other inputs"


def _plain(value):
    """Inputs as comparable Python values (a generator by its seed)."""
    if isinstance(value, torch.Tensor):
        return (str(value.dtype), value.tolist())
    if isinstance(value, torch.Generator):
        return ("generator", value.initial_seed())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dict__") and not callable(value):  # dataclasses too
        return _plain(vars(value))
    return value


@pytest.mark.parametrize("name", NAMES)
def test_saved_reference_outputs_are_finite(name):
    ex = exercises.get(name)
    saved = check.expected(ex, hidden=False)
    for key, array in saved.items():
        if key.startswith(f"{ex.attr}/") and "/out" in key and array.dtype.kind == "f":
            assert np.isfinite(array).all(), key


@pytest.mark.parametrize("name", NAMES)
def test_every_mistake_edits_the_exercise_code(name):
    """Edits are the rule; anything else must be the exception."""
    ex = exercises.get(name)
    assert all(isinstance(m, Edit) for m in ex.mistakes)
