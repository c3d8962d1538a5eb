"""The judging engine on its own: small made-up parts whose every output,
case and mistake the tests choose, run through the same calls machinery
as the course's parts (a toy call module registered for the test).

Covered: flatten, compare_outputs, matches, judge_case (messages, the
order of causes, prepare and measured outputs, the optional other cases),
diagnose (a catalogued mistake is named only when the other cases
confirm it), Raised.sentence on real tracebacks, check with ``only``, and
Session.verdict giving the judge every case of the part."""
from __future__ import annotations

import linecache
import sys
import types
from typing import NamedTuple

import numpy as np
import pytest

from autograder.driver import errors
from autograder.judge.core import (Case, Graded, Mistake, OtherCase, Raised, check,
                                   compare_outputs, diagnose, flatten, judge_case, matches,
                                   reference_outputs, run_local)
from autograder.judge.feedback import CheckFailure


# ---------------------------------------------------------------- a toy call

def _apply(impl, *, x, **kw):
    """One function of x: ``{"y": impl(x, **kw)}``."""
    return {"y": impl(x, **kw)}


def _pair(impl, *, x):
    """A function returning two arrays, and how long it took."""
    a, b = impl(x)
    return {"a": a, "b": b, "seconds": 0.123 * float(np.sum(x))}


def _walk(impl, *, w0, steps, hyper):
    """``w = impl(w, k, **hyper)`` for ``steps`` steps, stacked: row k is step k."""
    w, ws = np.array(w0, dtype=float), []
    for k in range(steps):
        w = impl(w, k, **hyper)
        ws.append(np.array(w, dtype=float))
    return {"w": np.stack(ws)}


@pytest.fixture(autouse=True)
def toy_calls(monkeypatch):
    module = types.ModuleType("autograder.driver.calls.toy")
    module.CALLS = {"apply": _apply, "pair": _pair, "walk": _walk}
    monkeypatch.setitem(sys.modules, "autograder.driver.calls.toy", module)


X0, X1, X2 = np.array([1.0, 2.0, 3.0]), np.array([-1.5, 0.5, 4.0, 2.0]), np.array([2.0, 5.0])


def _cases(*xs, tol="formula", **extra):
    return lambda seed: [Case(f"x = {x.tolist()}", "toy.apply", {"x": x}, tol=tol, **extra)
                         for x in xs]


def double(x):
    return 2 * x


def _graded(mistakes=(), cases=_cases(X0, X1, X2), reference=double, **kw):
    return Graded(name="double", reference=reference, cases=cases, names=("double",),
                  mistakes=tuple(mistakes), **kw)


def _failure(graded, impl, **kw) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(graded, impl, **kw)
    return err.value


# ---------------------------------------------------------------- flatten

class State(NamedTuple):
    t: int
    m: np.ndarray


def test_flatten_names_every_leaf():
    value = {"w": np.zeros(2), "state": State(3, np.ones(2)), "pair": (1.0, [2.0, 3.0]),
             "nested": {"k": (4, "s")}}
    names = [n for n, _ in flatten("out", value)]
    assert names == ["out['w']", "out['state'].t", "out['state'].m", "out['pair'][0]",
                     "out['pair'][1]", "out['nested']['k'][0]", "out['nested']['k'][1]"]


def test_flatten_keeps_a_list_of_numbers_as_one_leaf():
    assert flatten("v", [1, 2.5, np.float64(3)]) == [("v", [1, 2.5, np.float64(3)])]
    assert [n for n, _ in flatten("v", [1, "a"])] == ["v[0]", "v[1]"]


# ---------------------------------------------------------------- compare_outputs

def test_compare_outputs_names_the_first_wrong_entry():
    g, case = _graded(), _cases(X0)(0)[0]
    with pytest.raises(CheckFailure) as err:
        compare_outputs(g, case, {"y": np.array([2.0, 4.0, 7.0])}, {"y": 2 * X0})
    assert err.value.message.startswith("relative error 1.4e-01 at y[2]: yours 7, expected 6")
    assert "(double, x = [1.0, 2.0, 3.0])" in err.value.message


@pytest.mark.parametrize("got,needle", [
    ({}, "your double returned no y"),
    ({"y": np.zeros(2)}, "your y has shape (2,), expected (3,)"),
    ({"y": None}, "your y is None"),
    ("not a dict", "the outputs of your double could not be read"),
])
def test_compare_outputs_rejects_malformed_outputs(got, needle):
    with pytest.raises(CheckFailure, match=None) as err:
        compare_outputs(_graded(), _cases(X0)(0)[0], got, {"y": 2 * X0})
    assert needle in err.value.message


def test_compare_outputs_on_a_trajectory_reports_the_earliest_step():
    case = Case("walk", "toy.walk", {}, leading="step")
    expected = {"a": np.zeros((4, 2)), "b": np.zeros((4, 2))}
    got = {"a": np.zeros((4, 2)), "b": np.zeros((4, 2))}
    got["a"][3, 1] = 5.0   # larger, but later
    got["b"][1, 0] = 0.1
    with pytest.raises(CheckFailure) as err:
        compare_outputs(_graded(), case, got, expected)
    assert "at step 1, b[0]" in err.value.message


def test_compare_outputs_checks_tuples_and_fields():
    case = _cases(X0)(0)[0]
    with pytest.raises(CheckFailure, match="should be a tuple of 2 values, got 3"):
        compare_outputs(_graded(), case, {"p": (1.0, 2.0, 3.0)}, {"p": (1.0, 2.0)})
    with pytest.raises(CheckFailure, match="your s has no field 'm'"):
        compare_outputs(_graded(), case, {"s": {"t": 1}}, {"s": State(1, np.ones(2))})


# ---------------------------------------------------------------- matches

def test_matches_within_the_case_tolerance():
    case = _cases(X0)(0)[0]
    y = 2 * X0
    assert matches({"y": y}, {"y": y * (1 + 1e-9)}, case)
    assert not matches({"y": y}, {"y": y * (1 + 1e-6)}, case)
    loose = _cases(X0, tol="statistics")(0)[0]
    assert matches({"y": y}, {"y": y * (1 + 1e-2)}, loose)


def test_matches_needs_the_same_leaves_and_shapes():
    case = _cases(X0)(0)[0]
    assert not matches({"y": X0}, {"y": X0, "z": X0}, case)
    assert not matches({"y": X0}, {"y": X0[:2]}, case)
    assert not matches({"y": X0}, "not a dict", case)
    assert not matches(Raised({"kind": "raised"}), {"y": X0}, case)


def test_matches_compares_other_leaves_exactly():
    case = _cases(X0)(0)[0]
    assert matches({"s": None, "k": "min", "y": X0}, {"s": None, "k": "min", "y": X0}, case)
    assert not matches({"s": None}, {"s": 0.0}, case)
    assert not matches({"k": "float32"}, {"k": "float64"}, case)
    assert matches({"v": [1, 2]}, {"v": np.array([1.0, 2.0])}, case)


# ---------------------------------------------------------------- judge_case

def test_a_right_answer_passes_silently():
    g = _graded()
    check(g, lambda x: x + x)
    case = g.cases(0)[0]
    judge_case(g, case, run_local(case, double), reference_outputs(g, case))


def test_a_raised_error_is_one_sentence_without_diagnosis():
    fail = _failure(_graded(), lambda x: 1 / 0)
    assert fail.message.startswith("your double raised ZeroDivisionError: division by zero")
    assert fail.message.endswith("(x = [1.0, 2.0, 3.0])") and fail.diagnosis is None


def test_a_refusal_is_said_as_the_call_says_it():
    g, case = _graded(), _cases(X0)(0)[0]
    with pytest.raises(CheckFailure) as err:
        judge_case(g, case, Raised({"kind": "refused", "message": "your double returned "
                                    "None"}), {"y": 2 * X0})
    assert str(err.value) == "your double returned None (x = [1.0, 2.0, 3.0])"


ZEROS = Mistake("zeros", "the result is never computed", lambda x: np.zeros_like(x))


def test_a_confirmed_mistake_is_named():
    fail = _failure(_graded([ZEROS]), lambda x: 0 * x)
    assert fail.diagnosis == "the result is never computed"
    assert "Likely cause: the result is never computed" in str(fail)


def test_a_mistake_matched_on_one_case_only_is_not_named():
    # zeros on the failing case, as the catalogued mistake; three times x on
    # the other cases, where the mistake gives zeros too: not that mistake
    def zeros_then_triple(x):
        return 0 * x if len(x) == 3 else 3 * x
    fail = _failure(_graded([ZEROS]), zeros_then_triple)
    assert fail.diagnosis != ZEROS.hint
    assert fail.diagnosis.startswith("your y is 0 everywhere, where the expected one is not")


def test_the_cause_falls_back_to_what_the_outputs_show():
    fail = _failure(_graded([ZEROS]), lambda x: x / 2)  # a quarter of 2x: a factor
    assert fail.diagnosis.startswith("your y is exactly 0.25 times the expected one, "
                                     "everywhere: a factor 1/4 too many, or 4 missing")


def test_judge_case_keeps_its_old_signature_and_then_names_no_mistake():
    g = _graded([ZEROS])
    case = g.cases(0)[0]
    with pytest.raises(CheckFailure) as err:
        judge_case(g, case, run_local(case, ZEROS.impl), reference_outputs(g, case))
    assert err.value.diagnosis != ZEROS.hint  # nothing confirms it
    assert err.value.diagnosis.startswith("your y is 0 everywhere")


def test_other_cases_may_be_given_as_tuples():
    g = _graded([ZEROS])
    cases = g.cases(0)
    outs = [run_local(c, ZEROS.impl) for c in cases]
    with pytest.raises(CheckFailure) as err:
        judge_case(g, cases[0], outs[0], reference_outputs(g, cases[0]),
                   [(cases[1], outs[1]), (cases[2], outs[2], reference_outputs(g, cases[2]))])
    assert err.value.diagnosis == ZEROS.hint


def test_a_prepare_rule_sees_both_runs_and_keeps_its_own_diagnosis():
    def prepare(out):
        if np.any(np.abs(out["y"]) > 100):
            raise CheckFailure("your y is huge somewhere", diagnosis="look at scales")
        return {"y": np.sort(out["y"])}
    g = _graded(cases=_cases(X0, X1, prepare=prepare))
    check(g, lambda x: (2 * x)[::-1])  # prepare sorts: order does not matter here
    fail = _failure(g, lambda x: 200 * x)
    assert fail.message == "your y is huge somewhere" and fail.diagnosis == "look at scales"


def test_diagnosis_ignores_measured_outputs():
    def pair(x):
        return x, 2 * x
    wrong = Mistake("b_is_x", "b is x", lambda x: (x, x))
    cases = lambda seed: [Case(f"x = {x.tolist()}", "toy.pair", {"x": x},  # noqa: E731
                               measured=("seconds",),
                               prepare=lambda out: {"a": out["a"], "b": out["b"]})
                          for x in (X0, X1)]
    g = Graded(name="pair", reference=pair, cases=cases, names=("pair",), mistakes=(wrong,))

    def slow_b_is_x(x):  # its time differs from the mistake's: never compared
        return x, x
    fail = _failure(g, slow_b_is_x)
    assert fail.diagnosis == "b is x"


# ---------------------------------------------------------------- diagnose

def _with_outputs(g, impl):
    cases = list(g.cases(0))
    return cases, [run_local(c, impl) for c in cases]


def test_diagnose_needs_a_second_case_that_shows_the_mistake():
    g = _graded([ZEROS])
    cases, outs = _with_outputs(g, ZEROS.impl)
    assert diagnose(g, cases[0], outs[0]) is None  # nothing to confirm it with
    assert diagnose(g, cases[0], outs[0], [OtherCase(cases[1], outs[1])]) is ZEROS
    wrong_there = {"y": 3 * X1}
    assert diagnose(g, cases[0], outs[0], [OtherCase(cases[1], wrong_there)]) is None


def test_a_mistake_that_shows_on_one_case_only_needs_the_others_right():
    # the mistake differs from the reference on the case of length 3 only
    odd = Mistake("odd", "odd one out", lambda x: 2 * x + (len(x) == 3))
    g = _graded([odd])
    check_fail = _failure(g, odd.impl)
    assert check_fail.diagnosis == "odd one out"  # right on every other case: named

    def also_wrong_elsewhere(x):
        return 2 * x + 1
    fail = _failure(g, also_wrong_elsewhere)
    assert fail.diagnosis != "odd one out"
    assert fail.diagnosis.startswith("your y is the expected one plus 1 at every entry")


def test_the_same_error_elsewhere_confirms_a_mistake():
    def picky(x):
        if len(x) != 3:
            raise ValueError("only three")
        return 0 * x
    m = Mistake("picky", "only works on three", picky)
    g = _graded([m])
    assert _failure(g, picky).message.startswith("relative error 1.0e+00 at y[0]")
    cases, outs = _with_outputs(g, picky)
    assert diagnose(g, cases[0], outs[0], [OtherCase(cases[1], outs[1])]) is m
    other_error = Raised({"kind": "raised", "type": "ValueError", "message": "other"})
    assert diagnose(g, cases[0], outs[0], [OtherCase(cases[1], other_error)]) is None


def test_confirmation_runs_the_other_cases_only_when_needed():
    calls = []

    def counted(x):
        calls.append(len(x))
        return np.zeros_like(x)
    g = _graded([ZEROS])
    assert _failure(g, counted).diagnosis == ZEROS.hint
    assert calls == [3, 4]  # the failing case, then one case that confirms

    calls.clear()
    check(_graded([ZEROS]), lambda x: counted(x) + 2 * x)
    assert calls == [3, 4, 2]  # a pass runs each case once


# ---------------------------------------------------------------- check with only

def test_check_with_only_judges_those_cases_and_confirms_with_them():
    def right_on_short(x):
        return 2 * x if len(x) < 3 else 0 * x
    g = _graded([ZEROS])
    check(g, right_on_short, only=[2])
    fail = _failure(g, right_on_short, only=[0])
    assert "x = [1.0, 2.0, 3.0]" in fail.message
    assert fail.diagnosis != ZEROS.hint  # one case: nothing confirms it
    fail = _failure(g, right_on_short, only=[1, 0])
    assert "x = [-1.5, 0.5, 4.0, 2.0]" in fail.message and fail.diagnosis == ZEROS.hint
    fail = _failure(g, right_on_short, only=[0, 2])
    assert fail.diagnosis != ZEROS.hint  # case 2 shows the mistake; the student is right there


def test_check_draws_the_cases_of_its_seed():
    seen = []

    def cases(seed):
        seen.append(seed)
        return _cases(X0)(seed)
    check(_graded(cases=cases), double, seed=7)
    assert seen == [7]


# ---------------------------------------------------------------- Raised.sentence

def _in_cell(source: str, cell: str = "4") -> dict:
    """Run ``source`` as the worker runs a notebook cell (filename "<cell 4>")."""
    filename = f"{errors.CELL_PREFIX}{cell}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def _raised(fn, *args, note: str | None = None) -> Raised:
    try:
        fn(*args)
    except Exception as err:
        if note:
            err.add_note(note)
        return Raised(errors.describe(err))
    raise AssertionError("it did not raise")


ADAM = Graded(name="adam_step", reference=None, cases=lambda seed: [],
              names=("adam_init", "adam_step"))
GATE = Graded(name="prelu", reference=None, cases=lambda seed: [],
              names=("prelu_forward", "prelu_backward"))
SINGLE = Graded(name="svm_loss", reference=None, cases=lambda seed: [], names=("svm_loss",))
CASE = Case("60 steps on a bowl", "toy.apply", {})

HELPER_CELL = '''\
def _scale(m, v, eps):
    denom = np.sqrt(v) + eps
    return m / denom[:, None].reshape(3)

def adam_step(w, g, state, lr):
    return w - lr * _scale(g, g * g, 1e-8), state
'''


def test_an_error_in_the_graded_function_names_its_own_line():
    ns = _in_cell("def adam_step(w, g, state, lr):\n    return w - lr * g[5], state\n")
    r = _raised(ns["adam_step"], np.zeros(2), np.zeros(2), None, 0.1, note="at step 0")
    assert r.info["function"] == "adam_step" and r.info["line"] == 2
    assert r.sentence(ADAM, CASE) == (
        "your adam_step raised IndexError at step 0: index 5 is out of bounds for axis 0 "
        "with size 2, line 2 of its cell: return w - lr * g[5], state (60 steps on a bowl)")


def test_an_error_in_a_helper_names_the_helper_and_the_graded_caller():
    ns = _in_cell(HELPER_CELL)
    r = _raised(ns["adam_step"], np.zeros(2), np.ones(2), None, 0.1, note="at step 3")
    assert r.info["function"] == "_scale" and r.info["line"] == 3
    text = r.sentence(ADAM, CASE)
    assert text.startswith("your adam_step raised ValueError at step 3: ")
    assert text.endswith(", in _scale, line 3 of its cell: return m / denom[:, None]"
                         ".reshape(3) (60 steps on a bowl)")


def test_a_helper_called_from_one_of_several_functions():
    ns = _in_cell("def sigmoid(x):\n    return 1 / (1 + np.exp(-x)) + missing\n\n"
                  "def prelu_forward(x, a):\n    return sigmoid(x), (x, a)\n")
    r = _raised(ns["prelu_forward"], np.zeros(2), 0.1)
    text = r.sentence(GATE, CASE)
    # the part's name "prelu" is no function of the student's: never the subject
    assert text.startswith("your prelu_forward or prelu_backward raised NameError: name "
                           "'missing' is not defined, in sigmoid, line 2 of its cell: ")
    named = Raised({**r.info, "caller": "prelu_forward"}).sentence(GATE, CASE)
    assert named.startswith("your prelu_forward raised NameError")
    r1 = _raised(_in_cell("def helper(s):\n    return s.foo\n\n"
                          "def svm_loss(s, y):\n    return helper(s), s\n")["svm_loss"], 1.0, 2)
    assert r1.sentence(SINGLE, CASE).startswith("your svm_loss raised AttributeError: "
                                                "'float' object has no attribute 'foo', "
                                                "in helper, line 2 of its cell")


def test_comprehensions_and_lambdas_are_said_in_words():
    ns = _in_cell("def svm_loss(s, y):\n    return sum([1 / v for v in s]), s\n")
    text = _raised(ns["svm_loss"], [1.0, 0.0], 0).sentence(SINGLE, CASE)
    assert "in a list comprehension, line 2 of its cell: return sum([1 / v for v in s]), s" \
        in text and text.startswith("your svm_loss raised ZeroDivisionError")


def test_an_error_in_a_given_helper_says_so():
    given = _in_cell("def norm(v):\n    return v / 0.0 + ''\n", cell="given 0")
    ns = _in_cell("def svm_loss(s, y):\n    return norm(s), s\n")
    ns["norm"] = given["norm"]
    text = _raised(ns["svm_loss"], 1.0, 0).sentence(SINGLE, CASE)
    assert ", in norm (a given function), line 2 of its cell (a given one): " in text


def test_the_skeleton_and_unnamed_code():
    ns = _in_cell("def svm_loss(s, y):\n    raise NotImplementedError\n")
    text = _raised(ns["svm_loss"], 1.0, 0).sentence(SINGLE, CASE)
    assert text.startswith("your svm_loss raised NotImplementedError: it is still the "
                           "skeleton, line 2 of its cell: raise NotImplementedError")
    bare = Raised({"kind": "raised", "type": "KeyError", "message": "'W1'"})
    assert bare.sentence(GATE, CASE) == "your prelu raised KeyError: 'W1' (60 steps on a bowl)"


# ---------------------------------------------------------------- the session

def test_the_session_judges_with_every_case_of_the_part():
    from autograder.driver.run import run_part
    from autograder.judge.gates import GRADED
    from autograder.judge.session import Session
    from solutions import gates as ref

    mistake = next(m for m in GRADED["max_gate"].mistakes if m.name == "max_no_dout")
    session = Session(seed=0)
    plan = session.plan("gates.max_gate", None)
    names = GRADED["max_gate"].names
    results = run_part(dict(zip(names, mistake.impl)), names, plan)
    verdict = session.verdict("gates.max_gate", None, results)
    assert not verdict.passed and verdict.diagnosis == mistake.hint
    # one case alone cannot confirm the mistake: what the outputs show instead
    only = session.verdict("gates.max_gate", [0], results[:1])
    assert only.diagnosis != mistake.hint and only.diagnosis.startswith("your dx times the "
                                                                         "input dout")
    right = run_part(dict(zip(names, (ref.max_forward, ref.max_backward))), names, plan)
    assert session.verdict("gates.max_gate", None, right).passed
