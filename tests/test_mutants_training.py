"""Lesson 8: every typical mistake of the losses and the training loop is caught."""

from mutation_harness import mutation_tests

globals().update(mutation_tests(lesson=8))
