"""Reusable mutation tests: every typical mistake of a lesson's exercises is caught.

A lesson's test file needs one line::

    from mutation_harness import mutation_tests
    globals().update(mutation_tests(lesson=2))

For each exercise of the lesson: the reference passes its visible and hidden checks
(reported as the reference in use); each typical mistake of the table fails both,
and its own diagnosis is named (so every mistake has a fingerprint of its own and the
saved mistake outputs are up to date) or, for a mistake that changes an input in
place, the changed input is; every exercise has at least ``min_mistakes``
mistakes; and code that changes an input in place is caught and names the input.
"""

from __future__ import annotations

import pytest
import torch

from grader import check, exercises
from grader.mistakes import mutant


def _names(lesson: int) -> list[str]:
    return [n for n, ex in exercises.all_exercises().items() if ex.lesson == lesson]


def spoil_an_input(args, kwargs) -> bool:
    """Change the first tensor (or list) among the inputs in place; False if none."""
    for value in list(args) + list(kwargs.values()):
        if isinstance(value, (list, tuple)) and spoil_an_input(value, {}):
            return True
        if isinstance(value, torch.Tensor):
            value.logical_not_() if value.dtype == torch.bool else value.add_(1)
            return True
        if isinstance(value, list):
            value.append(value[-1] if value else 0)
            return True
        if hasattr(value, "__dict__") and not callable(value):  # dataclasses too
            return spoil_an_input(list(vars(value).values()), {})
    return False


def in_place_answer(ex):
    """The reference with one extra step: it changes one of its inputs in place."""
    ref = ex.reference()
    if not ex.is_class and not ex.method:

        def answer(*args, **kwargs):
            out = ref(*args, **kwargs)
            spoil_an_input(args, kwargs)
            return out

        return answer
    method = ex.method or "forward"  # a class, or a method called on given objects

    def spoiling(self, *args, **kwargs):
        out = getattr(ref, method)(self, *args, **kwargs)
        spoil_an_input(args, kwargs)
        return out

    return type(ref.__name__, (ref,), {method: spoiling})


def _takes_mutable_inputs(ex) -> bool:
    case = ex.cases[0]
    args, kwargs = case.build(check.draw(ex, case, hidden=False))
    return spoil_an_input(args, kwargs)


def mutation_tests(lesson: int, min_mistakes: int = 2) -> dict:
    """The test functions for the exercises of ``lesson``."""
    names = _names(lesson)
    mistakes = [
        pytest.param(name, i, id=f"{name}-{i}")
        for name in names
        for i in range(len(exercises.get(name).mistakes))
    ]

    @pytest.mark.parametrize("name", names)
    def test_reference_passes(name):
        reference = exercises.get(name).reference()
        for hidden in (False, True):
            result = check.run(name, reference, hidden=hidden)
            assert result.passed, result.message
            assert result.kind == "reference", result.message

    @pytest.mark.parametrize("name,index", mistakes)
    def test_mistake_is_caught_and_named(name, index):
        mistake = exercises.get(name).mistakes[index]
        for hidden in (False, True):
            result = check.run(name, mutant(name, index), hidden=hidden)
            assert not result.passed, (
                f"{name}: {mistake.diagnosis!r} passes ({hidden=})"
            )
            # A mistake that changes an input is named by the input-integrity check.
            named = mistake.diagnosis in result.message
            assert named or result.kind == "modified_input", result.message

    @pytest.mark.parametrize("name", names)
    def test_enough_mistakes(name):
        assert len(exercises.get(name).mistakes) >= min_mistakes

    @pytest.mark.parametrize("name", names)
    def test_input_changed_in_place_is_caught(name):
        ex = exercises.get(name)
        if not _takes_mutable_inputs(ex):
            pytest.skip("no tensor or list among the inputs")
        for hidden in (False, True):
            result = check.run(name, in_place_answer(ex), hidden=hidden)
            assert not result.passed and result.kind == "modified_input", result.message
            assert "in place" in result.message

    return {
        "test_reference_passes": test_reference_passes,
        "test_mistake_is_caught_and_named": test_mistake_is_caught_and_named,
        "test_enough_mistakes": test_enough_mistakes,
        "test_input_changed_in_place_is_caught": test_input_changed_in_place_is_caught,
    }
