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
from grader.cases import Case, Exercise, Wrap
from grader.mistakes import mutant

ROOT = Path(__file__).resolve().parents[1]


# --- a toy table: a function and a module exercise, checked live (hidden=True) --------
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
    EXERCISES=[
        _ToyExercise(
            "toy.scale_and_norm",
            lesson=99,
            points=1,
            sizes=dict(B=3, N=7, c=5),
            cases=[Case("batched", lambda d: ((d.randn("x", "B", "N", "c"),), {}))],
            mistakes=[
                Wrap(
                    "the norm is over the last axis",
                    lambda ref: lambda x: (2 * x, {"norm": x.norm(dim=0)}),
                )
            ],
        ),
        _ToyExercise(
            "toy.Toy",
            lesson=99,
            points=2,
            sizes=dict(B=2, N_res=7, c_in=3, c_out=5),
            init=dict(c_in="c_in", c_out="c_out"),
            cases=[
                Case(
                    "batched, masked",
                    lambda d: (
                        (d.randn("x", 2, "B", "N_res", "c_in"), d.seq_mask("m")),
                        {},
                    ),
                )
            ],
        ),
    ],
)


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch):
    monkeypatch.setitem(exercises.modules(), "toy", TOY)
    monkeypatch.setattr(check, "_cache", {})


def verdict(fn, name="toy.scale_and_norm") -> check.Result:
    result = check.run(name, fn, hidden=True)
    assert not result.passed
    return result


# --- passing -----------------------------------------------------------------------------
def test_pass_prints_one_short_line(capsys):
    mine = types.FunctionType(scale_and_norm.__code__, {}, "scale_and_norm")
    result = check.exercise("toy.scale_and_norm", mine, hidden=True)
    out = capsys.readouterr().out
    assert out.startswith("✓ toy.scale_and_norm") and out.count("\n") == 1
    assert result.kind == "passed" and "1 point" in out


def test_the_reference_passes_but_says_it_is_not_the_students_code(capsys):
    result = check.exercise("toy.scale_and_norm", scale_and_norm, hidden=True)
    assert result.passed and result.kind == "reference"
    assert "reference in use, not your code" in capsys.readouterr().out


def test_module_output_on_the_inputs_dtype_accepted():
    class Mine(Toy):
        pass

    assert check.run("toy.Toy", Mine, hidden=True).kind == "passed"


# --- wrong answers -------------------------------------------------------------------------
def test_failure_raises_check_failed_without_traceback():
    with pytest.raises(CheckFailed) as info:
        check.exercise("toy.scale_and_norm", lambda x: None, hidden=True)
    exc = info.value
    assert isinstance(exc, AssertionError) and exc.__suppress_context__
    rendered = "\n".join(exc._render_traceback_())  # what IPython shows
    assert "Traceback" not in rendered and "grader/" not in rendered
    assert "did you forget the `return`" in rendered


def _generator(x):
    yield 2 * x


@pytest.mark.parametrize(
    "fn, expected, kind",
    [
        (lambda x: [2 * x], "has 1 items, expected 2", "type"),
        (lambda x: "x", "is a str, expected a tuple", "type"),
        (_generator, "a `yield` where `return` was meant", "type"),
        (
            lambda x: ((2 * x).numpy(), {"norm": x.norm(dim=-1)}),
            "is a ndarray, expected a torch.Tensor (use torch operations",
            "type",
        ),
        (
            lambda x: (2 * x.transpose(-1, -2), {"norm": x.norm(dim=-1)}),
            "transposed?",
            "shape",
        ),
        (
            lambda x: ((2 * x).float(), {"norm": x.norm(dim=-1)}),
            "dtype torch.float32, expected torch.float64",
            "dtype",
        ),
        (
            lambda x: (2 * x, {"nrm": x.norm(dim=-1)}),
            "missing ['norm'], unexpected ['nrm']",
            "type",
        ),
        (
            lambda x: (2 * x, {"norm": x.norm(dim=-1) / 0 * 0}),
            "21 NaN values (first at index (0, 0))",
            "nan",
        ),
        (lambda x: (2 * x, {"norm": x.norm(dim=-1) / 0}), "Inf values", "nan"),
        (lambda x: (2 * x, {"norm": None}), "output[1]['norm'] is None", "type"),
        (
            lambda x: ((2 * x).to("meta"), {"norm": x.norm(dim=-1)}),
            "is on meta, but the inputs were on the CPU",
            "device",
        ),
    ],
)
def test_wrong_outputs_are_named(fn, expected, kind):
    result = verdict(fn)
    assert expected in result.message and result.kind == kind, result.message
    assert "case 'batched', scale_and_norm(<[3, 7, 5] float64>)" in result.message


def test_wrong_values_give_errors_and_first_index():
    def off_by_a_bit(x):
        y = 2 * x
        y[1, 2, 3] += 0.5
        return y, {"norm": x.norm(dim=-1)}

    message = verdict(off_by_a_bit).message
    assert "1 of 105 values differ" in message and "max abs error 0.5" in message
    assert "first at index (1, 2, 3)" in message
    assert "within 0.0001" not in message  # not a near miss


def test_a_near_miss_gets_a_numerical_hint():
    message = verdict(lambda x: (2 * x * (1 + 3e-5), {"norm": x.norm(dim=-1)})).message
    assert "Every value is within 0.0001 of the expected one" in message
    assert "epsilon" in message


def test_no_relative_error_where_the_expected_value_is_zero(monkeypatch):
    def zero_norm(x):
        return 2 * x, {"norm": x.norm(dim=-1)}

    zeros = [Case("zeros", lambda d: ((torch.zeros(3, 7, 5),), {}))]
    monkeypatch.setattr(TOY.EXERCISES[0], "cases", zeros)
    monkeypatch.setattr(check, "_cache", {})
    message = verdict(lambda x: (2 * x + 1, {"norm": x.norm(dim=-1)})).message
    assert "max abs error 1" in message and "rel error" not in message
    assert check.run("toy.scale_and_norm", zero_norm, hidden=True).passed


def test_typical_mistake_is_named():
    message = verdict(lambda x: (2 * x, {"norm": x.norm(dim=0)})).message
    assert "Probable mistake: the norm is over the last axis" in message


def test_exception_in_student_code_names_the_line_not_the_checker():
    def broken(x):
        return x / 0 if math.pi else x, {}[0]

    result = verdict(broken)
    assert "your code raised KeyError: 0" in result.message
    assert f"of {Path(__file__).name} (in broken)" in result.message
    assert "grader" not in result.message and result.kind == "exception"


@pytest.mark.parametrize(
    "exc, expected, kind",
    [
        (SystemExit(0), "your code called exit() or sys.exit()", "exit"),
        (KeyboardInterrupt(), "interrupted (KeyboardInterrupt)", "exception"),
    ],
)
def test_exit_and_interrupt_in_student_code_are_one_line_about_it(exc, expected, kind):
    def leaves(x):
        raise exc

    result = verdict(leaves)
    assert expected in result.message and "(in leaves)" in result.message
    assert "grader" not in result.message and result.kind == kind
    with pytest.raises(CheckFailed):  # the notebook cell stops cleanly
        check.exercise("toy.scale_and_norm", leaves, hidden=True)


@pytest.mark.parametrize(
    "answer, name, expected",
    [
        (42, "toy.scale_and_norm", "expected a function, got 42"),
        (scale_and_norm, "toy.Toy", "expected a class (an nn.Module), got <function"),
    ],
)
def test_the_wrong_kind_of_answer_is_the_students_problem(answer, name, expected):
    result = check.run(name, answer, hidden=True)
    assert not result.passed and expected in result.message and result.kind == "type"
    assert "checker itself" not in result.message


def test_a_bug_of_the_checker_says_so(monkeypatch):
    monkeypatch.setattr(check, "loads", functools.partial(json.loads, "{"))
    result = check.run("toy.scale_and_norm", scale_and_norm, hidden=True)
    assert "the checker itself failed" in result.message
    assert "not of your code" in result.message and result.kind == "checker"


# --- inputs changed in place ------------------------------------------------------------
def test_an_input_changed_in_place_is_named():
    def in_place(x):
        out = 2 * x, {"norm": x.norm(dim=-1)}
        x[0] = 0
        return out

    result = verdict(in_place)
    assert result.kind == "modified_input"
    assert "changed its input `x` in place" in result.message


def test_a_module_that_changes_its_mask_is_caught():
    class Masks(Toy):
        def forward(self, x, seq_mask):
            out = super().forward(x, seq_mask)
            seq_mask.mul_(2)
            return out

    result = verdict(Masks, "toy.Toy")
    assert "changed its input `seq_mask` in place" in result.message


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
    result = verdict(Renamed, "toy.Toy")
    assert (
        "missing ['linear_a.bias', 'linear_a.weight'], "
        "unexpected ['linear_b.bias', 'linear_b.weight']"
    ) in result.message
    assert result.kind == "params"


def test_module_parameter_shapes_are_checked():
    assert "norm.weight is [7], expected [5]" in verdict(WrongShape, "toy.Toy").message


def test_module_masks_are_checked():
    message = verdict(NoMask, "toy.Toy").message
    assert "values differ" in message
    assert "Toy(c_in=3, c_out=5)(<[2, 2, 7, 3] float64>, <[7] float64>)" in message


# --- the student package -------------------------------------------------------------------
@pytest.fixture
def stub_package(monkeypatch):
    """The generated student package (all stubs), imported fresh."""
    monkeypatch.syspath_prepend(str(ROOT / "tutorials"))
    monkeypatch.delenv("AF2_USE_REFERENCE", raising=False)
    for name in [m for m in sys.modules if m.split(".")[0] == "student"]:
        monkeypatch.delitem(sys.modules, name)
    yield importlib.import_module("student")
    for name in [m for m in sys.modules if m.split(".")[0] == "student"]:
        del sys.modules[name]


def test_every_stub_fails_with_not_implemented(stub_package):
    for name, ex in exercises.all_exercises().items():
        if ex.lesson == 99:
            continue
        result = check.run(name)
        assert result.kind == "not_implemented", result.message
        assert f"of {ex.module}.py (in " in result.message


def test_a_component_switched_to_the_reference_is_reported_as_such(stub_package):
    stub_package.use_reference("attention")
    result = check.run("attention.Attention")
    assert result.passed and result.kind == "reference"
    assert "reference in use, not your code" in result.message


def test_a_student_module_that_fails_to_import_is_an_import_problem(
    stub_package, tmp_path, monkeypatch
):
    (tmp_path / "student").mkdir()
    for f in (ROOT / "tutorials" / "student").glob("*.py"):
        (tmp_path / "student" / f.name).write_text(f.read_text())
    (tmp_path / "student" / "attention.py").write_text("def broken(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] == "student"]:
        del sys.modules[name]
    result = check.run("attention.mask_bias")
    assert (
        result.kind == "import" and "importing student/attention.py" in result.message
    )
    assert "SyntaxError" in result.message


def test_a_machine_whose_reference_differs_from_the_saved_one_judges_by_its_own(
    monkeypatch,
):
    """E.g. another torch version draws other random numbers from the same seed."""
    name = "msa_clustering.sample_msa_indices"
    saved = dict(check.expected(exercises.get(name), hidden=False))
    key = next(
        k for k in saved if k.startswith("sample_msa_indices/") and k.endswith("/out/0")
    )
    saved[key] = saved[key][::-1].copy()  # "another random stream"
    monkeypatch.setattr(check, "expected", lambda ex, hidden, mistakes=False: saved)
    ex = exercises.get(name)
    assert check.run(name, ex.reference()).passed
    assert not check.run(name, mutant(name, 0)).passed


# --- a method called on given objects ---------------------------------------------------
class Shift:
    """A plain object of tensors, as a rigid transform is."""

    def __init__(self, t: torch.Tensor):
        self.t = t

    def then(self, other: Shift) -> Shift:
        return Shift(self.t + other.t)


class _ShiftExercise(Exercise):
    def reference(self):
        return Shift


def test_a_method_of_given_objects_is_checked_and_its_inputs_guarded(monkeypatch):
    def two(d):
        return (Shift(d.randn("a", "N", 3)), Shift(d.randn("b", "N", 3))), {}

    row = _ShiftExercise(
        "shift.Shift.then",
        lesson=99,
        points=1,
        sizes=dict(N=4),
        cases=[Case("two", two)],
    )
    monkeypatch.setitem(
        exercises.modules(), "shift", types.SimpleNamespace(EXERCISES=[row])
    )

    class Wrong(Shift):
        def then(self, other):
            return Shift(self.t - other.t)

    class Spoils(Shift):
        def then(self, other):
            other.t.mul_(2)
            return Shift(self.t + other.t / 2)

    assert check.run("shift.Shift.then", Shift, hidden=True).passed
    wrong = check.run("shift.Shift.then", Wrong, hidden=True)
    assert "Shift.then(<Shift>, <Shift>)" in wrong.message
    assert "output.t: 12 of 12 values differ" in wrong.message
    spoils = check.run("shift.Shift.then", Spoils, hidden=True)
    assert "changed its input `other.t` in place" in spoils.message


def test_frozen_expected_outputs_read_no_file(monkeypatch, tmp_path):
    """A grading process freezes the expected outputs before any submission runs: a
    reference file changed afterwards (by a submission, say) is not read."""
    name = "attention.mask_bias"
    monkeypatch.setattr(check, "_frozen", {})
    check.freeze([name])
    monkeypatch.setattr(check, "TENSOR_DIR", tmp_path)  # no saved file there
    monkeypatch.setattr(check, "compute_expected", None)  # and nothing computed
    wrong = mutant(name, 0)
    for hidden in (False, True):
        assert check.run(name, exercises.get(name).reference(), hidden=hidden).passed
        result = check.run(name, wrong, hidden=hidden)
        assert exercises.get(name).mistakes[0].diagnosis in result.message


def test_a_time_limit_of_the_grader_is_not_caught_as_the_students_error():
    class TimeLimit(BaseException):
        pass

    def slow(x):
        raise TimeLimit

    with pytest.raises(TimeLimit):
        check.run("toy.scale_and_norm", slow, hidden=True)


# --- gradients ------------------------------------------------------------------------
def mean_square(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((x - y) ** 2).mean()


class _LossExercise(Exercise):
    def reference(self):
        return mean_square


def test_a_gradient_input_makes_the_gradient_part_of_the_checked_output(monkeypatch):
    def build(d):
        x = d.gradient(d.randn("x", "N"), "x")
        return (x, d.randn("y", "N")), {}

    row = _LossExercise(
        "loss.mean_square",
        lesson=99,
        points=1,
        sizes=dict(N=5),
        cases=[Case("one", build)],
    )
    monkeypatch.setitem(
        exercises.modules(), "loss", types.SimpleNamespace(EXERCISES=[row])
    )
    assert check.run("loss.mean_square", mean_square, hidden=True).passed

    def detached(x, y):  # the right value, but no gradient reaches x
        return ((x.detach() - y) ** 2).mean()

    result = check.run("loss.mean_square", detached, hidden=True)
    assert "output[1]['x']: 5 of 5 values differ" in result.message
    assert torch.is_grad_enabled()  # the check leaves autograd as it found it


def test_a_property_case_checks_what_its_call_computes_from_the_answer(monkeypatch):
    """``Case.call``: the checked output is computed from the answer (here: the change
    of the output when the input is shifted, zero for a module that centres)."""

    class Centre(nn.Module):
        def forward(self, x):
            return x - x.mean(-1, keepdim=True)

    class _CentreExercise(Exercise):
        def reference(self):
            return Centre

    def shift_changes(module, x, t):
        return module(x + t) - module(x)

    row = _CentreExercise(
        "centre.Centre",
        lesson=99,
        points=1,
        sizes=dict(N=5, c=4),
        init={},
        cases=[
            Case(
                "invariant under a shift",
                lambda d: ((d.randn("x", "N", "c"), d.randn("t", "N", 1)), {}),
                call=shift_changes,
            )
        ],
    )
    monkeypatch.setitem(
        exercises.modules(), "centre", types.SimpleNamespace(EXERCISES=[row])
    )

    class Scaled(Centre):  # right up to a scale: still invariant
        def forward(self, x):
            return 2 * super().forward(x)

    class NotCentred(Centre):
        def forward(self, x):
            return x - x[..., :1]  # invariant too: passes the property

    class Wrong(Centre):
        def forward(self, x):
            return x - x.mean()

    assert check.run("centre.Centre", Centre, hidden=True).passed
    assert check.run("centre.Centre", Scaled, hidden=True).passed
    assert check.run("centre.Centre", NotCentred, hidden=True).passed
    wrong = check.run("centre.Centre", Wrong, hidden=True)
    assert not wrong.passed and "invariant under a shift" in wrong.message
    assert (
        "shift_changes(Centre(), <[5, 4] float64>, <[5, 1] float64>)" in wrong.message
    )
