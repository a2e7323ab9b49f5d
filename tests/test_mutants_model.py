"""Lesson 7: every typical mistake in the full-model exercises (recycling, heads,
weights, the PDB record) is caught by its check and named."""

from mutation_harness import mutation_tests

globals().update(mutation_tests(lesson=7))
