"""Lesson 3: every typical mistake in the Evoformer exercises is caught by its check
and named, and the directed updates (outgoing / incoming edges, starting / ending
node) cannot pass each other's checks."""

import pytest
from mutation_harness import mutation_tests

from grader import check, exercises

globals().update(mutation_tests(lesson=3))

DIRECTED = [
    (
        "triangle_multiplication.TriangleMultiplicationOutgoing",
        "triangle_multiplication.TriangleMultiplicationIncoming",
    ),
    (
        "triangle_attention.TriangleAttentionStartingNode",
        "triangle_attention.TriangleAttentionEndingNode",
    ),
]


@pytest.mark.parametrize("one,other", DIRECTED + [(b, a) for a, b in DIRECTED])
def test_directions_cannot_pass_each_other(one, other):
    for hidden in (False, True):
        result = check.run(one, exercises.get(other).reference(), hidden=hidden)
        assert not result.passed, f"{other} passes the check of {one} (hidden={hidden})"
