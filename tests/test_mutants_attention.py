"""Lesson 2: every typical mistake in the attention exercises is caught by its check
(and named, where the check diagnoses it)."""

from mutation_harness import mutation_tests

test_reference_passes, test_mutant_is_caught, test_enough_mutants = mutation_tests(
    "attention"
)
