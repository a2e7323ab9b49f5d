"""Reusable mutation tests: every typical mistake of a lesson's exercises is caught.

A lesson's test file needs three lines::

    from mutation_harness import mutation_tests
    test_reference_passes, test_mutant_is_caught, test_enough_mutants = mutation_tests("attention")

For each exercise of the named registry modules (``grader/exercises/<module>.py``):
the reference passes its visible and hidden checks; each mutant (a copy of the
reference with one typical mistake, usually a monkeypatched helper) fails both, and a
mutant marked ``diagnose`` is named in the failure message (so the saved mutant outputs
are up to date); and every exercise has at least ``min_mutants`` mutants.
"""

from __future__ import annotations

import pytest

from grader import check, exercises


def _names(modules) -> list[str]:
    return [n for n in exercises.all_exercises() if n.split(".")[0] in modules]


def mutation_tests(*modules: str, min_mutants: int = 2):
    """The three test functions for the exercises of ``modules``."""
    names = _names(modules)
    mutants = [
        pytest.param(name, i, id=f"{name}-{i}")
        for name in names
        for i in range(len(exercises.get(name).mutants))
    ]

    @pytest.mark.parametrize("name", names)
    def test_reference_passes(name):
        reference = exercises.get(name).reference()
        for hidden in (False, True):
            result = check.run(name, reference, hidden=hidden)
            assert result.passed, result.message

    @pytest.mark.parametrize("name,index", mutants)
    def test_mutant_is_caught(name, index):
        mutant = exercises.get(name).mutants[index]
        for hidden in (False, True):
            result = check.run(name, mutant.fn, hidden=hidden)
            assert not result.passed, (
                f"{name}: mutant {mutant.diagnosis!r} passes (hidden={hidden})"
            )
            if mutant.diagnose:
                assert mutant.diagnosis in result.message, result.message

    @pytest.mark.parametrize("name", names)
    def test_enough_mutants(name):
        assert len(exercises.get(name).mutants) >= min_mutants

    return test_reference_passes, test_mutant_is_caught, test_enough_mutants
