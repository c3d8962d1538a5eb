"""What a wrong answer has in common with the right one, in a sentence.

When no catalogued mistake explains a failure, the student's outputs on
the failing case still say a lot once they are set beside the expected
ones: a gradient that is exactly half of the right one, a trajectory one
step ahead, a matrix transposed, a value wrong only where an input is 0.
:func:`explain` looks for such a relation between the two runs (both plain
data, as they arrive from the driver) and says it in one sentence that
names the output. It describes what was found; it does not guess code.

Every relation must hold within the case's tolerance and on enough
entries to mean something: a single number that happens to be 0, or the
ratio of two single numbers, proves nothing alone, so relations between
single numbers are only reported when several outputs share them, on the
failing case or on the student's other failing cases of the part.

The relations, most specific first (each sentence names the output):

- 0 everywhere, where the expected values are not;
- equal to another expected output (two returned in each other's place);
- equal to one of the call's inputs (``case.args``): unchanged, or along a
  trajectory equal to its start at every step ("never moves"); the same
  at every step; one number at every entry;
- a constant factor (-1: the sign is flipped), named when it is a size of
  the inputs (an average instead of a sum) or a number passed in (lam,
  1/lam, 1 - p); an input as a factor missing or one too many, entry by
  entry (dout forgotten); a constant term added; one minus the expected;
- a transpose; the right values in another shape; an axis too many that,
  summed or averaged over, gives the expected values;
- a shift by one along the leading axis (a trajectory one step ahead or
  behind) or by one index along another axis;
- whole numbers (truncated, rounded, a 0/1 mask) where fractions are
  expected; float32 precision where float64 is expected;
- the expected values, rows or columns in another order;
- agreement everywhere except at a few entries, and which: the first or
  last step, row or column, where an input is 0, where two inputs tie,
  where the expected value is 0, where an input is largest in magnitude,
  or the entries themselves;
- the outputs of a correct implementation run with one hyperparameter at
  another value (0, 1, its default) or two of them swapped, for cases
  whose ``args`` hold the hyperparameters as a dict under ``hyper_key``
  (``"hyper"`` by convention): at most :data:`MAX_RERUNS` extra runs.
"""
from __future__ import annotations

import itertools
import numbers
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from autograder.judge.compare import relative_errors
from autograder.judge.feedback import fmt_index, fmt_number, fmt_shape
from autograder.judge.tolerances import Tolerance, tolerance

HYPER_KEY = "hyper"   # the case argument that holds the hyperparameters, by convention
MAX_RERUNS = 10       # extra reference runs one explanation may cost
MIN_ENTRIES = 2       # fewer entries than this cannot show a relation on their own
MAX_LISTED = 3        # "everywhere except at ..." lists at most this many entries

Leaf = tuple[str, Any, Any]  # name, yours, expected
_MISSING = object()


# ------------------------------------------------------------ the entry point

def explain(got: Any, expected: Any, case: Any, *,
            raw: Any = None,
            rerun: Callable[[dict], Any] | None = None,
            defaults: dict[str, Any] | None = None,
            hyper_key: str | None = None,
            tol: Tolerance | None = None,
            elsewhere: Callable[[], Iterable[tuple]] | None = None) -> str | None:
    """One sentence relating ``got`` to ``expected`` on ``case``, or None.

    ``got`` and ``expected`` are what the judge compared (after the case's
    ``prepare``); ``case.args`` are the call's inputs. The hyperparameter
    relation needs ``rerun(args) -> outputs`` (the reference's raw outputs
    on the case with other ``args``, None when it fails), the student's
    ``raw`` outputs to compare them with, and the reference's keyword
    ``defaults``. ``elsewhere()`` gives ``(yours, expected, case)`` on the
    other cases of the part: single numbers that prove nothing alone (a
    gradient of 0, one twice too large, a loss N times too large) are
    reported when the student's wrong outputs on those cases share the
    relation.
    """
    tol = tol or tolerance(getattr(case, "tol", "formula"))
    hyper_key = hyper_key or getattr(case, "hyper_key", HYPER_KEY)
    view = _View(case, tol, hyper_key)
    pairs = pair_leaves(got, expected)
    bad = [leaf for leaf in pairs if not view.agree(leaf[1], leaf[2])]
    if not bad:
        return None
    if view.leading:  # the output that goes wrong first, as the failure message says
        bad.sort(key=lambda leaf: view.first_bad_row(leaf[1], leaf[2]))
    first, rest = bad[0], bad[1:]
    found = view.one_leaf(first, pairs)
    if found:
        return found
    found = view.several_leaves(bad)
    if found:
        return found
    if elsewhere is not None and any(np.size(e) < MIN_ENTRIES for _, _, e in bad):
        found = view.across_cases(bad, elsewhere)
        if found:
            return found
    found = view.few_entries(first)
    if found:
        return found
    if rerun is not None and raw is not None:
        found = _hyper(view, raw, first[0], rerun, defaults or {}, hyper_key)
        if found:
            return found
    for leaf in rest:
        found = view.one_leaf(leaf, pairs) or view.few_entries(leaf)
        if found:
            return found
    return None


def pair_leaves(got: Any, expected: Any, name: str = "") -> list[Leaf]:
    """The leaves of ``expected`` (dicts, NamedTuples, tuples) beside the
    same leaves of ``got``, named as the failure messages name them
    (``w``, ``state.m``, ``grads.W1``); a leaf ``got`` lacks is left out."""
    out: list[Leaf] = []
    if hasattr(expected, "_fields") or isinstance(expected, dict):
        keys = expected._fields if hasattr(expected, "_fields") else list(expected)
        for k in keys:
            sub = _get(got, k)
            if sub is _MISSING:
                continue
            e = getattr(expected, k) if hasattr(expected, "_fields") else expected[k]
            out += pair_leaves(sub, e, f"{name}.{k}" if name else str(k))
        return out
    if isinstance(expected, tuple):
        if isinstance(got, (tuple, list)) and len(got) == len(expected):
            for i, (y, e) in enumerate(zip(got, expected)):
                out += pair_leaves(y, e, f"{name}[{i}]")
        return out
    y, e = _numbers(got), _numbers(expected)
    if y is not None and e is not None:
        out.append((name, y, e))
    return out


def _get(value, key):
    if isinstance(value, dict):
        return value.get(key, _MISSING)
    if hasattr(value, "_fields"):
        return getattr(value, key) if key in value._fields else _MISSING
    return _MISSING


def _numbers(value) -> np.ndarray | None:
    """A leaf as an array of numbers (its own dtype kept), or None."""
    if value is None or isinstance(value, (str, bytes)):
        return None
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in "biuf" else None
    if isinstance(value, (numbers.Real, np.generic)):
        return np.asarray(value)
    if isinstance(value, list):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return None
        return arr if arr.dtype.kind in "biuf" else None
    return None


# ------------------------------------------------------------ the relations

class _View:
    """The failing case as the relations see it: its tolerance, its
    leading axis and its inputs, flattened to named arrays."""

    def __init__(self, case, tol: Tolerance, hyper_key: str = HYPER_KEY):
        self.tol = tol
        self.leading = getattr(case, "leading", None)
        self.args = getattr(case, "args", None) or {}
        self.hyper_key = hyper_key
        self.inputs = list(_input_arrays(self.args, bare=hyper_key))
        self.sizes = sorted({int(s) for _, a in self.inputs for s in a.shape if s >= 2})
        self.scalars = [(n if a.ndim == 0 else f"{n}[k]", float(a.flat[0])) for n, a in self.inputs
                        if a.size and np.isfinite(a).all() and (a == a.flat[0]).all()
                        and (a.ndim == 0 or a.ndim == 1 and a.size >= 2)
                        and float(a.flat[0]) not in (0.0, 1.0, -1.0)]

    # -- comparisons within the tolerance

    def close(self, y, e) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        return relative_errors(y, e, self.tol.floor) <= self.tol.rtol

    def agree(self, y, e) -> bool:
        return np.shape(y) == np.shape(e) and bool(self.close(y, e).all())

    def nonzero(self, e) -> np.ndarray:
        return np.abs(np.asarray(e, dtype=np.float64)) > self.tol.floor

    def first_bad_row(self, y, e) -> int:
        if np.shape(y) != np.shape(e) or np.ndim(e) == 0:
            return 0
        rows = (~self.close(y, e)).reshape(len(e), -1).any(axis=1)
        return int(np.argmax(rows)) if rows.any() else len(rows)

    def varies(self, e, axis: int = 0) -> bool:
        """Some consecutive entries of ``e`` along ``axis`` differ."""
        e = np.asarray(e, dtype=np.float64)
        if e.ndim == 0 or e.shape[axis] < 2:
            return False
        n = e.shape[axis]
        return not bool(self.close(np.take(e, range(n - 1), axis),
                                   np.take(e, range(1, n), axis)).all())

    # -- one output at a time

    def one_leaf(self, leaf: Leaf, pairs: Sequence[Leaf]) -> str | None:
        name, y, e = leaf
        if np.shape(y) != np.shape(e):
            return self.reshaped(name, y, e)
        if not _finite(y) or e.size < MIN_ENTRIES:
            return None  # one number proves nothing alone (see several_leaves)
        for relation in (self.zeros, self.other_output, self.an_input, self.constant,
                         self.one_value, self.factor, self.input_factor, self.offset,
                         self.transposed, self.shifted, self.whole_numbers,
                         self.single_precision, self.reordered):
            found = relation(name, y, e, pairs)
            if found:
                return found
        return None

    def zeros(self, name, y, e, pairs=()) -> str | None:
        if self.nonzero(y).any() or self.nonzero(e).sum() < 1:
            return None
        where = f" at every {self.leading}" if self.leading and e.ndim else " everywhere"
        return f"your {name} is 0{where}, where the expected one is not: {_never_written(name)}"

    def other_output(self, name, y, e, pairs) -> str | None:
        for other, _, e2 in pairs:
            if other != name and np.shape(e2) == np.shape(e) and not self.agree(e, e2) \
                    and self.agree(y, e2):
                return (f"your {name} is exactly the expected {other}: are two "
                        f"outputs returned in each other's place?")
        return None

    def an_input(self, name, y, e, pairs=()) -> str | None:
        for arg, a in self.inputs:
            if a.size < MIN_ENTRIES or not self.nonzero(a).any():
                continue
            if np.shape(a) == np.shape(y) and self.agree(y, a) and not self.agree(e, a):
                if self.leading and y.ndim:
                    return (f"your {name} at each {self.leading} is the input {arg} at "
                            f"that {self.leading}: it is copied over instead of computed "
                            f"(is a running value kept from one {self.leading} to the next?)")
                return (f"your {name} is the input {arg}, unchanged: the computation "
                        f"seems to be skipped, or its result not returned")
            if self.leading and y.ndim == a.ndim + 1 and y.shape[1:] == a.shape \
                    and len(y) >= 2 and self.agree(y, np.broadcast_to(a, y.shape)) \
                    and not self.agree(e, np.broadcast_to(a, e.shape)):
                start = "its start, " if _is_start(arg) else ""
                return (f"your {name} never moves: it equals {start}the input {arg}, at "
                        f"every {self.leading} (is the updated value returned, and "
                        f"passed on to the next {self.leading}?)")
        return None

    def constant(self, name, y, e, pairs=()) -> str | None:
        if not self.leading or y.ndim == 0 or len(y) < 3 or self.varies(y) \
                or not self.varies(e):
            return None
        row = y[0]
        value = f"it stays {fmt_number(row)}" if row.ndim == 0 else \
            f"it keeps its {self.leading}-0 value"
        return (f"your {name} does not change from one {self.leading} to the next "
                f"({value}), while the expected one does: is it computed afresh "
                f"at every {self.leading} instead of carried over from the last?")

    def factor(self, name, y, e, pairs=()) -> str | None:
        c = self._ratio(y, e)
        if c is None:
            return None
        return _factor_sentence(f"your {name} is", "the expected one", c, self.sizes,
                                self.scalar_of(c))

    def _ratio(self, y, e) -> float | None:
        """c with y = c * e on every entry, when there are enough entries
        that are not 0 to make c mean something; None otherwise."""
        y = np.asarray(y, dtype=np.float64).ravel()
        e = np.asarray(e, dtype=np.float64).ravel()
        if self.nonzero(e).sum() < MIN_ENTRIES or not self.nonzero(y).any():
            return None
        c = float(np.dot(y, e) / np.dot(e, e))
        if not np.isfinite(c) or abs(c - 1) <= self.tol.rtol or c == 0:
            return None
        c = _snapped(c, self.tol.rtol)
        return c if self.close(y, c * e).all() else None

    def scalar_of(self, c: float) -> tuple[str, str, float] | None:
        """|c| as a number the case passed in (lam, p, a learning rate...):
        ``(form, name, value)`` with form "lam", "1/lam", "1 - p" or
        "1/(1 - p)"; None when it is none of them."""
        for arg, v in self.scalars:
            forms = ((v, arg), (1 / v, f"1/{arg}"), (1 - v, f"1 - {arg}"),
                     (1 / (1 - v), f"1/(1 - {arg})"), (v * v, f"{arg}**2"),
                     (1 / (v * v), f"1/{arg}**2"), ((1 - v) / v, f"(1 - {arg})/{arg}"),
                     (v / (1 - v), f"{arg}/(1 - {arg})"), ((1 - v) ** 2, f"(1 - {arg})**2"),
                     (1 / (1 - v) ** 2, f"1/(1 - {arg})**2"))
            for value, form in forms:
                if abs(abs(c) - abs(value)) <= self.tol.rtol * abs(value):
                    return form, arg, v
        return None

    def transposed(self, name, y, e, pairs=()) -> str | None:
        if y.ndim < 2 or y.shape != e.shape[::-1] or self.agree(e, _t(e)):
            return None
        if self.agree(y, _t(e)):
            return (f"your {name} is the transpose of the expected one: are the "
                    f"factors of a product in the wrong order, or a .T missing or extra?")
        return None

    def reshaped(self, name, y, e) -> str | None:
        if not _finite(y):
            return None
        summed = self.reduced(name, y, e)
        if summed or np.size(y) != np.size(e) or np.size(e) < MIN_ENTRIES:
            return summed
        shapes = f"shape {fmt_shape(np.shape(y))} instead of {fmt_shape(np.shape(e))}"
        if np.ndim(e) >= 2 and np.shape(y) == np.shape(e)[::-1] and self.agree(y, _t(e)):
            return (f"your {name} is the transpose of the expected one ({shapes}): "
                    f"are the factors of a product in the wrong order, or a .T "
                    f"missing or extra?")
        if self.agree(np.ravel(y), np.ravel(e)):
            return (f"your {name} holds the expected values in the expected order, "
                    f"with {shapes}: reshape it to the shape of what it is the "
                    f"gradient of (x.reshape(...) or dx.reshape(x.shape))")
        return None

    def reduced(self, name, y, e) -> str | None:
        """An output with an axis too many: summed (or averaged) over it, it
        would be the expected one."""
        y = np.asarray(y, dtype=np.float64)
        shapes = f"shape {fmt_shape(y.shape)} instead of {fmt_shape(np.shape(e))}"
        axes = [None] if np.ndim(e) == 0 else [
            a for a in range(y.ndim) if y.ndim == np.ndim(e) + 1
            and y.shape[:a] + y.shape[a + 1:] == np.shape(e)]
        for axis in axes:
            if y.size < MIN_ENTRIES:
                continue
            where = "over all its entries" if axis is None else f"over axis {axis}"
            if self.agree(y.sum(axis=axis), e):
                return (f"your {name} has {shapes}, and summed {where} it is the "
                        f"expected one: the sum {where} (over the batch?) is missing")
            if self.agree(y.mean(axis=axis), e):
                return (f"your {name} has {shapes}, and averaged {where} it is the "
                        f"expected one: the average {where} is missing")
        return None

    def one_value(self, name, y, e, pairs=()) -> str | None:
        """The same number everywhere, where the expected entries differ."""
        v = float(np.ravel(y)[0])
        if v == 0 or not self.agree(y, np.full(np.shape(y), v)) or \
                len(np.unique(np.ravel(e))) < 2:
            return None
        passed = self.scalar_of(v)
        if passed and passed[0] == passed[1]:
            return (f"your {name} is {fmt_number(v)} (the {passed[1]} passed in) at every "
                    f"entry, where the expected entries differ: a factor that varies "
                    f"from entry to entry (an input, a mask) seems to be missing")
        return (f"your {name} is {fmt_number(v)} at every entry, where the expected "
                f"entries differ: does it depend on the inputs at all?")

    def input_factor(self, name, y, e, pairs=()) -> str | None:
        """yours * input == expected (a factor missing), or yours == expected
        * input (one too many), entry by entry, for an input of the same shape."""
        y = np.asarray(y, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        for arg, a in self.inputs:
            if a.shape != y.shape or len(np.unique(a)) < 2 or not self.nonzero(a).all():
                continue
            if self.agree(y * a, e):
                return (f"your {name} times the input {arg} is the expected one, entry "
                        f"by entry: the factor {arg} is missing (the chain rule "
                        f"multiplies by the upstream gradient)" if arg.startswith("d")
                        else f"your {name} times the input {arg} is the expected one, "
                        f"entry by entry: the factor {arg} is missing")
            if self.agree(y, e * a):
                return (f"your {name} is the expected one times the input {arg}, entry "
                        f"by entry: the factor {arg} is one too many")
        return None

    def offset(self, name, y, e, pairs=()) -> str | None:
        """yours = a * expected + b with b != 0 (a = 1: a constant shift;
        a = -1, b = 1: one minus the expected)."""
        y = np.asarray(y, dtype=np.float64).ravel()
        e = np.asarray(e, dtype=np.float64).ravel()
        if len(np.unique(e)) < 3:
            return None  # two values always lie on a line
        a, b = np.polyfit(e, y, 1)
        a, b = _snapped(float(a), self.tol.rtol), _snapped(float(b), self.tol.rtol)
        if abs(b) <= self.tol.floor + self.tol.rtol * np.abs(y).max() or a == 0 or \
                not self.agree(y, a * e + b):
            return None
        if a == 1:
            passed = self.scalar_of(b)
            why = f" (that is {'-' if b < 0 else ''}{passed[0]} for the {passed[1]} " \
                  f"passed in)" if passed else ""
            return (f"your {name} is the expected one {'plus' if b > 0 else 'minus'} "
                    f"{fmt_number(abs(b))} at every entry{why}: a constant term is "
                    f"added or subtracted where it is not due (or the reverse)")
        if a == -1 and b == 1:
            return (f"your {name} is 1 minus the expected one, at every entry: the "
                    f"complement (a sign flipped inside, sigmoid(-x) for sigmoid(x)?)")
        return (f"your {name} is exactly {_digits(a)} times the expected one "
                f"{'plus' if b > 0 else 'minus'} {fmt_number(abs(b))}, at every entry")

    def shifted(self, name, y, e, pairs=()) -> str | None:
        for axis in range(y.ndim):
            n = y.shape[axis]
            if n < 3 or not self.varies(e, axis):
                continue
            head, tail = range(n - 1), range(1, n)
            ahead = self.agree(np.take(y, head, axis), np.take(e, tail, axis))
            behind = not ahead and self.agree(np.take(y, tail, axis), np.take(e, head, axis))
            if not (ahead or behind):
                continue
            if self.leading and axis == 0:
                if ahead:
                    return (f"your {name} is one {self.leading} ahead: your {self.leading} "
                            f"k is the expected {self.leading} k+1 (is the update applied "
                            f"before the value is recorded, or a counter started at 1?)")
                return (f"your {name} lags one {self.leading} behind: your {self.leading} "
                        f"k is the expected {self.leading} k-1 (is the value recorded "
                        f"before the update instead of after it?)")
            along = f" along axis {axis}" if y.ndim > 1 else ""
            sign = "+" if ahead else "-"
            return (f"your {name} is shifted by one index{along}: your entry i is "
                    f"the expected entry i{sign}1 (an off-by-one in an index, a range "
                    f"or a counter?)")
        return None

    def whole_numbers(self, name, y, e, pairs=()) -> str | None:
        y = np.asarray(y, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        if np.any(y != np.round(y)) or np.all(e == np.round(e)) or not self.nonzero(y).any():
            return None
        if np.isin(y, (0.0, 1.0)).all():
            return (f"your {name} holds only 0s and 1s, where the expected one does not: "
                    f"a mask, not yet multiplied by what it masks (the upstream "
                    f"gradient, or the values it selects?)")
        how = ""
        if self.agree(y, np.trunc(e)):
            how = ": the expected ones with the fractions cut off"
        elif self.agree(y, np.floor(e + 0.5)) or self.agree(y, np.rint(e)):
            how = ": the expected ones rounded"
        return (f"your {name} holds whole numbers only{how} (is it stored in an "
                f"integer array, e.g. one made by np.zeros_like of integer inputs, "
                f"or computed with //?)")

    def single_precision(self, name, y, e, pairs=()) -> str | None:
        y = np.asarray(y)
        e64 = np.asarray(e, dtype=np.float64)
        if self.tol.rtol >= tolerance("float32").rtol or y.dtype.kind != "f":
            return None
        y64 = y.astype(np.float64)
        in_32 = np.all(y64.astype(np.float32).astype(np.float64) == y64)
        e_in_32 = np.all(e64.astype(np.float32).astype(np.float64) == e64)
        f32 = tolerance("float32")
        close = (relative_errors(y64, e64, f32.floor) <= f32.rtol).all()
        if in_32 and not e_in_32 and close:
            return (f"your {name} agrees with the expected one only to float32 "
                    f"precision, and every entry of it is a float32 number: an input, "
                    f"a constant or an intermediate array is float32 (np.float32, "
                    f"dtype=np.float32 or astype)")
        return None

    def reordered(self, name, y, e, pairs=()) -> str | None:
        flat_y, flat_e = np.sort(np.ravel(y)), np.sort(np.ravel(e))
        if len(np.unique(flat_e)) < max(3, flat_e.size // 2):
            return None  # a few repeated values (counters, flags) reorder by chance
        if y.ndim == 2:
            for axis, what in ((0, "rows"), (1, "columns")):
                if _same_rows(self, np.moveaxis(y, axis, 0), np.moveaxis(e, axis, 0)):
                    return (f"your {name} holds the expected {what}, in another "
                            f"order: are indices or labels matched up in the wrong order?")
        if self.agree(flat_y, flat_e):
            return (f"your {name} holds exactly the expected values, in another "
                    f"order: an index or an axis is mixed up (a reshape where a "
                    f"transpose is due, or rows and columns swapped?)")
        return None

    # -- several outputs together (single numbers, most often)

    def several_leaves(self, bad: Sequence[Leaf]) -> str | None:
        same = [(n, y, e) for n, y, e in bad if np.shape(y) == np.shape(e) and _finite(y)]
        if len(same) < 2:
            return None
        names = _names([n for n, _, _ in same])
        y = np.concatenate([np.ravel(v).astype(np.float64) for _, v, _ in same])
        e = np.concatenate([np.ravel(v).astype(np.float64) for _, _, v in same])
        if not self.nonzero(y).any() and self.nonzero(e).any():
            return (f"your {names} are all 0, where the expected ones are not: "
                    f"{_never_written(same[0][0])}")
        c = self._ratio(y, e)
        if c is not None:
            return _factor_sentence(f"your {names} are", "the expected ones", c, self.sizes,
                                    self.scalar_of(c))
        return None

    def across_cases(self, bad: Sequence[Leaf],
                     elsewhere: Callable[[], Iterable[tuple]]) -> str | None:
        """Zeros, or one factor, shared by the wrong outputs of every case;
        or a factor that is, on every case, that case's number of rows."""
        mine = [(n, y, e) for n, y, e in bad if np.shape(y) == np.shape(e) and _finite(y)]
        if not mine:
            return None
        pool = list(mine)
        groups = [(mine, self.args)]
        for yours, exp, *rest in elsewhere():
            wrong = [(n, y, e) for n, y, e in pair_leaves(yours, exp)
                     if np.shape(y) == np.shape(e) and not self.agree(y, e)]
            if any(not _finite(y) for _, y, _ in wrong):
                return None
            pool += wrong
            if wrong:
                groups.append((wrong, getattr(rest[0], "args", {}) if rest else None))
        cases = len(groups) - 1
        if not cases:
            return None
        y = np.concatenate([np.ravel(v).astype(np.float64) for _, v, _ in pool])
        e = np.concatenate([np.ravel(v).astype(np.float64) for _, _, v in pool])
        names = _names([n for n, _, _ in mine])
        verb = "is" if len(mine) == 1 else "are"
        also = (f"and so is every wrong output of yours on the {cases} other failing "
                f"case{'s' if cases > 1 else ''} ({y.size} numbers in all)")
        if not self.nonzero(y).any() and self.nonzero(e).sum() >= MIN_ENTRIES:
            return (f"your {names} {verb} 0, {also}, where the expected values are not: "
                    f"{_never_written(mine[0][0])}")
        c = self._ratio(y, e)
        one = "one" if len(mine) == 1 else "ones"
        if c is not None:
            return _factor_sentence(f"your {names} {verb}", f"the expected {one}", c,
                                    self.sizes, self.scalar_of(c), where=also)
        counts = self._counts(groups)
        if counts is not None:
            how, unit, ns = counts
            factor = ns[0] if how == "times" else 1 / ns[0]
            many = ", ".join(str(k) for k in ns[1:])
            other = (f"that case's number of {unit} times the expected" if how == "times"
                     else f"the expected divided by that case's number of {unit}")
            why = (f"a sum over the {unit} where an average is due?" if how == "times"
                   else f"an average over the {unit} where a sum is due?")
            return (f"your {names} {verb} exactly {_digits(factor)} times the expected "
                    f"{one}, and on each of the {cases} other failing case"
                    f"{'s' if cases > 1 else ''} yours {'is' if len(mine) == 1 else 'are'} "
                    f"{other} ({many}): {why}")
        return None

    def _counts(self, groups) -> tuple[str, str, list[int]] | None:
        """On every case, one ratio that is that case's number of examples
        (the first axis of its inputs) or of entries (an input's size), or
        1 over it: ``("times" or "divided", "examples" or "entries", [n,
        ...])``; None otherwise."""
        ratios = []
        for leaves, args in groups:
            if args is None:
                return None
            y = np.concatenate([np.ravel(v).astype(np.float64) for _, v, _ in leaves])
            e = np.concatenate([np.ravel(v).astype(np.float64) for _, _, v in leaves])
            c = self._ratio(y, e) if y.size >= 2 else (
                float(y[0] / e[0]) if self.nonzero(e).all() else None)
            if c is None or c <= 0:
                return None
            arrays = [a for _, a in _input_arrays(args) if a.ndim >= 1]
            ratios.append((c, {len(a) for a in arrays}, {a.size for a in arrays}))
        for unit, which in (("examples", 1), ("entries", 2)):
            for how in ("times", "divided"):
                ns = []
                for r in ratios:
                    c = r[0] if how == "times" else 1 / r[0]
                    n = next((n for n in sorted(r[which]) if n >= 2
                              and abs(c - n) <= self.tol.rtol * n), None)
                    if n is None:
                        break
                    ns.append(n)
                if len(ns) == len(ratios) and len(set(ns)) >= 2:
                    return how, unit, ns  # the same count everywhere: a plain factor
        return None

    # -- right nearly everywhere

    def few_entries(self, leaf: Leaf) -> str | None:
        name, y, e = leaf
        if np.shape(y) != np.shape(e) or np.size(e) < 4:
            return None
        y = np.asarray(y, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        bad = ~self.close(y, e)
        n_bad, size = int(bad.sum()), bad.size
        if n_bad == 0 or size - n_bad < MIN_ENTRIES:
            return None
        if n_bad > size // 2:  # many: only a class of entries that is wrong exactly
            where = self._entries_of_a_kind(bad, e, exact=True)
            return None if where is None else (
                f"your {name} is wrong exactly {where[0]} and right everywhere "
                f"else{where[1]}")
        where = self._edge(bad) or self._entries_of_a_kind(bad, e)
        if where is None and n_bad <= MAX_LISTED:
            where = ("at " + _and([self._entry(name, ix) for ix in np.argwhere(bad)]), "")
        if where is None:
            return None
        text, hint = where
        return f"your {name} agrees with the expected one everywhere except {text}{hint}"

    def _entry(self, name: str, index) -> str:
        """``dW[0, 2]``, or ``t 7`` / ``step 3, w[1]`` along a leading axis."""
        index = tuple(int(i) for i in index)
        if not self.leading:
            return fmt_index(name, index)
        rest = f", {fmt_index(name, index[1:])}" if len(index) > 1 else ""
        return f"{self.leading} {index[0]}{rest}"

    def _edge(self, bad: np.ndarray) -> tuple[str, str] | None:
        if bad.ndim == 0 or len(bad) < 2:
            return None
        rows = bad.reshape(len(bad), -1).any(axis=1)
        unit = self.leading or ("row" if bad.ndim > 1 else "entry")
        if rows.sum() == 1 and (rows[0] or rows[-1]):
            which = "first" if rows[0] else "last"
            if self.leading:
                where = f"at {self.leading} 0" if rows[0] else f"at its last {self.leading}"
                hint = (": the first one is handled differently (a start value, or a "
                        "counter off by one?)" if rows[0] else
                        ": the last one is handled differently (a loop that stops one "
                        "too early or too late?)")
                return where, hint
            return f"in its {which} {unit}", ""
        if bad.ndim == 2 and bad.shape[1] >= 2:
            cols = bad.any(axis=0)
            if cols.sum() == 1 and (cols[0] or cols[-1]):
                return f"in its {'first' if cols[0] else 'last'} column", ""
        return None

    def _entries_of_a_kind(self, bad: np.ndarray, e: np.ndarray, exact: bool = False
                           ) -> tuple[str, str] | None:
        """Where the wrong entries are: where an input is 0, where two inputs
        tie, where the expected value is 0 (all of them such entries; with
        ``exact``, all such entries and no others), or exactly where an
        input is negative (positive): a sign covers about half of the
        entries, so a subset of it would often be chance."""
        n = int(bad.sum())
        count = "the entry" if n == 1 else f"the {n} entries"

        def covers(mask, whole: bool = exact) -> bool:
            if not mask.any() or mask.all():
                return False
            return bool(np.array_equal(mask, bad) if whole else np.all(mask[bad]))
        same_shape = [(arg, a.astype(np.float64)) for arg, a in self.inputs
                      if a.shape == bad.shape]
        for arg, a in same_shape:
            if covers(a == 0):
                return (f"at {count} where the input {arg} is 0",
                        ": the convention at exactly 0 (a kink, where > and >= give "
                        "different answers)")
        for (a_name, a), (b_name, b) in itertools.combinations(same_shape, 2):
            if covers(a == b):
                return (f"at {count} where {a_name} equals {b_name}",
                        ": which input gets the gradient at a tie?")
        for arg, a in same_shape:
            for mask, what in ((a < 0, "negative"), (a > 0, "positive")):
                if n >= MIN_ENTRIES and covers(mask, whole=True):  # half the entries: exactly
                    return (f"at {count} where the input {arg} is {what}",
                            f": look at the branch your code takes for {what} {arg}")
        if covers(~self.nonzero(e)):
            return (f"at {count} where the expected value is 0",
                    ": look at what your code does where the result should be 0 "
                    "(a kink, a tie, a term that should vanish)")
        if exact:
            return None
        rare = n <= bad.size // 4 and bad.size >= 8  # "largest" means little otherwise
        for arg, a in same_shape if rare else ():
            size = np.abs(a)
            if not np.isfinite(size).all():
                continue
            if size[bad].min() > size[~bad].max():
                return (f"at {count} where the input {arg} is largest in magnitude",
                        ": an overflow or a loss of precision for large inputs "
                        "(exp of a large number?)")
        if rare and np.isfinite(e).all():
            flags = np.isin(e, (0.0, 1.0)).all()
            top, low = e == e.max(), e == e.min()
            for mask, what in ((top, "largest"), (low, "smallest")):
                if not mask.all() and np.all(mask[bad]):
                    if flags:
                        return f"at {count} where the expected value is {e[bad].flat[0]:g}", ""
                    return f"at the {what} expected entries", ""
        return None


def _factor_sentence(subject: str, other: str, c: float, sizes: Sequence[int],
                     scalar: tuple[str, str, float] | None = None,
                     where: str = "everywhere") -> str:
    """"your dW is exactly 0.5 times the expected one, everywhere: ..."""
    if c == -1:
        return (f"{subject} exactly -1 times {other}, {where}: the sign is flipped "
                f"(a minus sign missing or one too many)")
    text = f"{subject} exactly {_digits(c)} times {other}, {where}"
    sign = " and the sign flipped" if c < 0 else ""
    if scalar is not None:
        form, arg, v = scalar
        hint = (f"a factor {arg} too many?" if form == arg else
                f"is the factor {arg} missing, or divided by instead of multiplied?"
                if form == f"1/{arg}" else f"is the factor {form} applied where it is not due?")
        minus = "-" if c < 0 else ""
        return text + f": that is {minus}{form} for the {arg} = {v:.4g} passed in ({hint})"
    frac = _simple(abs(c), 1e-9)
    if frac is None:
        return (text + f": a constant factor is off{sign} (a learning rate, a scale "
                f"or a normalization applied twice or not at all?)")
    p, q = frac.numerator, frac.denominator
    if q == 1:
        why = f"a factor {p} too many, or 1/{p} missing"
    elif p == 1:
        why = f"a factor 1/{q} too many, or {q} missing"
    else:
        why = f"a factor {p}/{q} too many"
    guess = ""
    if p == 1 and q in sizes:
        guess = f" (an average over {q} where a sum is due?)"
    elif q == 1 and p in sizes:
        guess = f" (a sum over {p} where an average is due?)"
    elif (p, q) == (1, 2):
        guess = " (a 1/2 that belongs in the loss but not in its gradient?)"
    elif (p, q) == (2, 1):
        guess = " (the derivative of a square without its 1/2, or a term counted twice?)"
    return f"{text}: {why}{sign}{guess}"


def _never_written(name: str) -> str:
    """Why an output can be 0 everywhere, for a gradient or anything else."""
    last = name.replace("]", "").replace("[", ".").split(".")[-1].strip("'")
    if last.startswith("d") or "grad" in name:
        return ("the gradient never reaches it (a backward step that never runs, "
                "an update into a copy, or a result that is not accumulated?)")
    return "is it ever computed, or only created and returned?"


def _digits(c: float) -> str:
    """c with 4 significant digits, or as many more as it takes to tell it from 1."""
    for d in range(4, 12):
        text = f"{c:.{d}g}"
        if float(text) not in (1.0, -1.0) or c in (1.0, -1.0):
            return text
    return repr(c)


def _simple(c: float, rtol: float) -> Fraction | None:
    """c as p/q with small p and q when it is one within ``rtol``."""
    if not np.isfinite(c) or c == 0:
        return None
    frac = Fraction(c).limit_denominator(64)
    if abs(frac.numerator) > 64 or abs(float(frac) - c) > max(rtol, 1e-12) * abs(c):
        return None
    return frac


def _snapped(c: float, rtol: float) -> float:
    frac = _simple(c, rtol)
    return float(frac) if frac is not None else c


def _t(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).T


def _finite(y) -> bool:
    return bool(np.isfinite(np.asarray(y, dtype=np.float64)).all())


def _is_start(arg: str) -> bool:
    return arg.endswith("0") or arg.startswith(("start", "init"))


def _same_rows(view: _View, y: np.ndarray, e: np.ndarray) -> bool:
    """The rows of y are those of e, each once, not all in place."""
    if len(e) < 2 or view.agree(y, e):
        return False
    left = list(range(len(e)))
    for row in y:
        hit = next((j for j in left if view.agree(row, e[j])), None)
        if hit is None:
            return False
        left.remove(hit)
    return True


def _names(names: Sequence[str]) -> str:
    if len(names) > MAX_LISTED:
        return ", ".join(names[:MAX_LISTED]) + f" (and {len(names) - MAX_LISTED} more)"
    return _and(list(names))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _input_arrays(args: dict, prefix: str = "", bare: str = HYPER_KEY
                  ) -> Iterable[tuple[str, np.ndarray]]:
    """The numeric inputs of a case, with the names a student sees (the
    hyperparameters in ``args[bare]`` by their own names)."""
    for key, value in args.items():
        name = f"{prefix}[{key!r}]" if prefix else str(key)
        if isinstance(value, dict):
            yield from _input_arrays(value, "" if not prefix and key == bare else name, bare)
            continue
        arr = _numbers(value)
        if arr is not None and arr.dtype.kind != "b":
            yield name, np.asarray(arr, dtype=np.float64)


# ------------------------------------------------------------ hyperparameters

def _hyper(view: _View, raw: Any, first: str, rerun: Callable[[dict], Any],
           defaults: dict, key: str) -> str | None:
    """The outputs of a correct implementation run with one hyperparameter
    changed (to its default, 0 or 1) or two swapped, when the student's
    match them: all of them, or else the output that failed first."""
    hyper = view.args.get(key)
    if not isinstance(hyper, dict) or not hyper:
        return None
    partial = None
    for change, text in itertools.islice(_changes(hyper, defaults), MAX_RERUNS):
        out = rerun({key: {**hyper, **change}})
        if out is None:
            continue
        pairs = pair_leaves(raw, out)
        if not pairs:
            continue
        if all(view.agree(y, e) for _, y, e in pairs):
            return (f"your outputs are exactly what a correct implementation gives "
                    f"with {text}: {_hyper_hint(change, hyper)}")
        if partial is None and any(n == first and view.agree(y, e) for n, y, e in pairs):
            partial = (f"your {first} is exactly what a correct implementation gives "
                       f"with {text}: {_hyper_hint(change, hyper)}")
    return partial


def _changes(hyper: dict, defaults: dict) -> Iterable[tuple[dict, str]]:
    """Candidate changes, most telling first, each once."""
    numeric = {k: v for k, v in hyper.items()
               if isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))}
    seen: set = set()

    def once(change: dict, text: str):
        sig = tuple(sorted(change.items()))
        if sig in seen or all(hyper[k] == v for k, v in change.items()):
            return None
        seen.add(sig)
        return change, text

    items = []
    for k, v in numeric.items():
        d = defaults.get(k)
        if isinstance(d, numbers.Real) and not isinstance(d, bool) and d != v:
            items.append(once({k: d}, f"{k} = {d:g} (its default) instead of the "
                                      f"{k} = {v:g} passed in"))
    for k, v in numeric.items():
        items.append(once({k: type(v)(0)}, f"{k} = 0 instead of {v:g}"))
    for (a, va), (b, vb) in itertools.combinations(numeric.items(), 2):
        if va != vb:
            items.append(once({a: vb, b: va}, f"{a} and {b} swapped ({a} = {vb:g}, "
                                              f"{b} = {va:g})"))
    for k, v in numeric.items():
        items.append(once({k: type(v)(1)}, f"{k} = 1 instead of {v:g}"))
    return [item for item in items if item is not None]


def _hyper_hint(change: dict, hyper: dict) -> str:
    if len(change) == 2:
        a, b = change
        return f"are {a} and {b} used in each other's place?"
    (k, v), = change.items()
    if v == 0:
        return f"is {k} left out of the formula?"
    if v == 1:
        return f"is {k} replaced by 1 somewhere (or a factor {k} missing)?"
    return f"is {k} passed on and used as given?"
