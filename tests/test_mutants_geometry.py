"""Lesson 5: every typical mistake in the geometry, all-atom and ideal-chain exercises
is caught by its check and named."""

from mutation_harness import mutation_tests

globals().update(mutation_tests(lesson=5))
