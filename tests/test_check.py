"""The check API: verdicts and diagnoses for every kind of wrong answer, never a
traceback from inside the checker."""

from __future__ import annotations

import functools
import importlib
import json
import math
import sys
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from grader import CheckFailed, check, exercises
from grader.cases import Case, Exercise, ModuleCase, Mutant, mask, randn

ROOT = Path(__file__).resolve().parents[1]


# --- a toy registry: a function and a module exercise, checked live (hidden=True) -----
def scale_and_norm(x: torch.Tensor) -> tuple[torch.Tensor, dict]:
    return 2 * x, {"norm": x.norm(dim=-1)}


class Toy(nn.Module):
    def __init__(self, c_in: int = 3, c_out: int = 5):
        super().__init__()
        self.linear_a = nn.Linear(c_in, c_out)
        self.norm = nn.LayerNorm(c_out)

    def forward(self, x, seq_mask):
        return self.norm(self.linear_a(x)) * seq_mask[..., None]


class _ToyExercise(Exercise):
    def reference(self):
        return {"scale_and_norm": scale_and_norm, "Toy": Toy}[self.attr]


TOY = types.SimpleNamespace(
    LESSON=99,
    EXERCISES=[
        _ToyExercise(
            "toy.scale_and_norm",
            points=1,
            cases=lambda hidden: [Case("batched", lambda: ((randn(1, 3, 7, 5),), {}))],
            mutants=[
                Mutant(
                    "the norm is over the last axis",
                    lambda x: (2 * x, {"norm": x.norm(dim=0)}),
                )
            ],
        ),
        _ToyExercise(
            "toy.Toy",
            points=2,
            cases=lambda hidden: [
                ModuleCase(
                    "batched, masked",
                    dict(c_in=3, c_out=5),
                    lambda: ((randn(2, 2, 7, 3), mask(3, 7)), {}),
                )
            ],
        ),
    ],
)


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch):
    monkeypatch.setitem(exercises.modules(), "toy", TOY)


def verdict(fn, name="toy.scale_and_norm"):
    result = check.run(name, fn, hidden=True)
    assert not result.passed
    return result.message


# --- passing -----------------------------------------------------------------------------
def test_pass_prints_one_short_line(capsys):
    check.exercise("toy.scale_and_norm", scale_and_norm, hidden=True)
    out = capsys.readouterr().out
    assert out.startswith("✓ toy.scale_and_norm") and out.count("\n") == 1


def test_output_on_any_device_dtype_of_inputs_accepted():
    assert check.run("toy.Toy", Toy, hidden=True).passed


# --- wrong answers -------------------------------------------------------------------------
def test_failure_raises_check_failed_without_traceback():
    with pytest.raises(CheckFailed) as info:
        check.exercise("toy.scale_and_norm", lambda x: None, hidden=True)
    exc = info.value
    assert (
        isinstance(exc, AssertionError)
        and exc.__suppress_context__
        and exc.__cause__ is None
    )
    rendered = "\n".join(
        exc._render_traceback_()
    )  # what IPython shows instead of a traceback
    assert "Traceback" not in rendered and "grader/" not in rendered
    assert "did you forget the `return`" in rendered


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: [2 * x], "has 1 items, expected 2"),
        (lambda x: "x", "is a str, expected a tuple"),
        (
            lambda x: ((2 * x).numpy(), {"norm": x.norm(dim=-1)}),
            "numpy array, expected a torch.Tensor",
        ),
        (lambda x: (2 * x.transpose(-1, -2), {"norm": x.norm(dim=-1)}), "transposed?"),
        (
            lambda x: ((2 * x).float(), {"norm": x.norm(dim=-1)}),
            "dtype torch.float32, expected torch.float64",
        ),
        (
            lambda x: (2 * x, {"nrm": x.norm(dim=-1)}),
            "missing ['norm'], unexpected ['nrm']",
        ),
        (
            lambda x: (2 * x, {"norm": x.norm(dim=-1) / 0 * 0}),
            "21 NaN values (first at index (0, 0))",
        ),
        (lambda x: (2 * x, {"norm": x.norm(dim=-1) / 0}), "Inf values"),
        (lambda x: (2 * x, {"norm": None}), "output[1]['norm'] is None"),
        (
            lambda x: ((2 * x).to("meta"), {"norm": x.norm(dim=-1)}),
            "is on meta, but the inputs were on the CPU",
        ),
    ],
)
def test_wrong_outputs_are_named(fn, expected):
    message = verdict(fn)
    assert expected in message, message
    assert "case 'batched', scale_and_norm(<[3, 7, 5] float64>)" in message


def test_wrong_values_give_errors_and_first_index():
    def off_by_a_bit(x):
        y = 2 * x
        y[1, 2, 3] += 0.5
        return y, {"norm": x.norm(dim=-1)}

    message = verdict(off_by_a_bit)
    assert "1 of 105 values differ" in message and "max abs error 0.5" in message
    assert "first at index (1, 2, 3)" in message


def test_typical_mistake_is_named():
    message = verdict(lambda x: (2 * x, {"norm": x.norm(dim=0)}))
    assert "Probable mistake: the norm is over the last axis" in message


def test_exception_in_student_code_names_the_line_not_the_checker():
    def broken(x):
        return x / 0 if math.pi else x, {}[0]

    message = verdict(broken)
    assert "your code raised KeyError: 0" in message
    assert f"of {Path(__file__).name} (in broken)" in message
    assert "grader" not in message


def test_a_bug_of_the_checker_says_so(monkeypatch):
    monkeypatch.setattr(check, "loads", functools.partial(json.loads, "{"))
    message = check.run("toy.scale_and_norm", scale_and_norm, hidden=True).message
    assert "the checker itself failed" in message and "not of your code" in message


# --- modules -------------------------------------------------------------------------------
class Renamed(Toy):
    def __init__(self, c_in=3, c_out=5):
        super().__init__(c_in, c_out)
        self.linear_b = self.linear_a
        del self.linear_a

    def forward(self, x, seq_mask):
        return self.norm(self.linear_b(x)) * seq_mask[..., None]


class NoMask(Toy):
    def forward(self, x, seq_mask):
        return self.norm(self.linear_a(x))


class WrongShape(Toy):
    def __init__(self, c_in=3, c_out=5):
        super().__init__(c_in, c_out)
        self.norm = nn.LayerNorm(c_out + 2)


def test_module_parameter_names_are_checked():
    message = verdict(Renamed, "toy.Toy")
    assert (
        "missing ['linear_a.bias', 'linear_a.weight'], unexpected ['linear_b.bias', 'linear_b.weight']"
        in message
    )


def test_module_parameter_shapes_are_checked():
    assert "norm.weight is [7], expected [5]" in verdict(WrongShape, "toy.Toy")


def test_module_masks_are_checked():
    message = verdict(NoMask, "toy.Toy")
    assert (
        "values differ" in message
        and "Toy(c_in=3, c_out=5)(<[2, 7, 3] float64>, <[7] float64>)" in message
    )


# --- lesson 1 stubs and isolation ----------------------------------------------------------
@pytest.fixture
def stub_package(monkeypatch):
    """The generated student package (all stubs), imported fresh."""
    monkeypatch.syspath_prepend(str(ROOT / "tutorials"))
    monkeypatch.delenv("AF2_USE_REFERENCE", raising=False)
    for name in [m for m in sys.modules if m == "student" or m.startswith("student.")]:
        monkeypatch.delitem(sys.modules, name)
    yield importlib.import_module("student")
    for name in [m for m in sys.modules if m == "student" or m.startswith("student.")]:
        del sys.modules[name]


def test_every_stub_fails_with_not_implemented(stub_package):
    for name, ex in exercises.all_exercises().items():
        if exercises.lesson_of(name) != 1:
            continue
        result = check.run(name)
        assert not result.passed
        assert "not implemented yet" in result.message, result.message
        assert f"of {ex.module}.py (in " in result.message


def test_other_exercises_are_the_reference_while_one_is_checked(
    stub_package, monkeypatch
):
    """make_msa_feat calls deletion_value: a stubbed deletion_value costs no points twice."""
    import student.features as features

    from reference.features import make_msa_feat

    code = make_msa_feat.__code__
    mine = types.FunctionType(
        code, features.__dict__, "make_msa_feat", make_msa_feat.__defaults__
    )
    mine.__module__ = "student.features"
    assert check.run("features.make_msa_feat", mine).passed
    with pytest.raises(NotImplementedError):
        mine(
            *(
                a
                for a in exercises.get("features.make_msa_feat")
                .cases(False)[0]
                .build()[0]
            )
        )


def test_a_machine_whose_reference_differs_from_the_saved_one_judges_by_its_own(
    monkeypatch,
):
    """E.g. another torch version draws other random numbers from the same seed."""
    name = "msa_clustering.sample_msa_indices"
    saved = dict(check._expected(exercises.get(name), hidden=False))
    key = next(
        k for k in saved if k.startswith("sample_msa_indices/") and k.endswith("/out/0")
    )
    saved[key] = saved[key][::-1].copy()  # "another random stream"
    monkeypatch.setattr(check, "_expected", lambda ex, hidden: saved)
    ex = exercises.get(name)
    assert check.run(name, ex.reference()).passed
    assert not check.run(name, ex.mutants[0].fn).passed
