"""Lesson 4: every typical mistake in the feature-embedding exercises is caught by its
check and named."""

from mutation_harness import mutation_tests

globals().update(mutation_tests(lesson=4))
