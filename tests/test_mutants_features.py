"""Lesson 1: every typical mistake in the a3m, MSA clustering and feature exercises is
caught by its check and named."""

from mutation_harness import mutation_tests

globals().update(mutation_tests(lesson=1))
