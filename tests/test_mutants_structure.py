"""Lesson 6: every typical mistake in the invariant point attention and structure
module exercises is caught by its check and named."""

from mutation_harness import mutation_tests

globals().update(mutation_tests(lesson=6))
