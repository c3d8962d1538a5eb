"""Assignment 5: learning-rate schedules and reduce-on-plateau."""
from autograder.assignments.notebook import Assignment, Markdown, Provided, Solution, Tests
from solutions import annealing as ref

INTRO = r"""
# Assignment 5: learning-rate annealing

A schedule is a pure function of the step number: `schedule(t, *, lr0,
...)` takes the 0-based step `t` (an int; `t = 0` is the first update) and
keyword-only hyperparameters, and returns the rate for that step as a
Python `float`. It keeps nothing between calls, so `lr(7)` is the same
whether or not `lr(0), ..., lr(6)` were asked for first. Bind the
hyperparameters with `functools.partial(step_decay, lr0=0.1)` to get a
function of `t` alone.

The validation helpers (`_check_step`, `_check_lr0`, ...) are given in the
cell after the imports; calling them first, to reject a bad argument with
a message that names it, is good practice but not graded. The cell below holds two helpers
for the visible checks: `rates` evaluates a schedule at a list of steps,
and `is_pure` asks for the same steps in reverse order and compares.

The grader evaluates each schedule at every step of a range that contains
its boundaries and a few steps past them (the drops of a step decay, the
end of the warm-up, `total`), for three sets of hyperparameters, in
order, in reverse and in shuffled order, and compares every value with
the reference. Reduce-on-plateau is graded on scripted runs of 15 to 20
epochs, comparing the whole state after every epoch.
"""

HELPERS = r"""
import numpy as np


def rates(schedule, ts, **hyper):
    # The schedule's rates at the steps ts, as a float64 array.
    return np.array([float(schedule(t, **hyper)) for t in ts])


def is_pure(schedule, ts, **hyper):
    # Same rates when the steps are asked for in reverse order?
    ts = list(ts)
    forward = rates(schedule, ts, **hyper)
    backward = rates(schedule, ts[::-1], **hyper)[::-1]
    return np.allclose(forward, backward, rtol=1e-12, atol=0.0)


def check_plateau_run(state, metrics, want, **hyper):
    # Feed plateau_step the metrics one epoch at a time from state; after
    # each epoch, every field named in want must equal its listed value.
    got = {name: [] for name in want}
    for metric in metrics:
        state = plateau_step(state, metric, **hyper)
        for name in want:
            got[name].append(getattr(state, name))
    for name in want:
        assert np.allclose(got[name], want[name], rtol=1e-12), (
            f"{name} after each epoch of metrics {metrics} ({hyper}): got "
            f"{got[name]}, expected {want[name]}")
"""

STEP = r"""
## Part 1: step decay (3 points)

$\eta(t) = \eta_0 \cdot \text{drop}^{\lfloor t / \text{every} \rfloor}$:
the rate stays at $\eta_0$ for steps $0, \dots, \text{every} - 1$ and the
$k$-th drop happens AT step $k \cdot \text{every}$ (as PyTorch's `StepLR`).
For example, halve every 5 epochs (`drop=0.5, every=5`) or divide by 10
every 20 (`drop=0.1, every=20`).

The visible checks compute the first drops by hand, check that the rate
never rises and that the function is pure. One point for the first
hidden setting, two for the other two.
"""

STEP_CHECK_1 = r"""
import numpy as np
assert isinstance(step_decay(0, lr0=1.0, drop=0.5, every=4), float), \
    "step_decay should return a Python float"
lr = rates(step_decay, range(13), lr0=1.0, drop=0.5, every=4)
assert lr[0] == 1.0, f"step_decay at t=0 is {lr[0]}, expected lr0 = 1.0"
assert lr[3] == 1.0 and lr[4] == 0.5, (
    f"with every=4 the first drop is due AT t=4: got {lr[3]} at t=3 and "
    f"{lr[4]} at t=4, expected 1.0 and 0.5")
assert lr[8] == 0.25 and lr[12] == 0.125, (
    f"got {lr[8]} at t=8 and {lr[12]} at t=12, expected 0.25 and 0.125")
assert np.all(np.diff(lr) <= 0), f"a step decay never rises, got {lr}"
assert is_pure(step_decay, range(13), lr0=1.0, drop=0.5, every=4), \
    "step_decay gives other rates when the steps come in reverse order"
"""

STEP_CHECK_2 = r"""
import numpy as np
got = rates(step_decay, [0, 19, 20, 39, 40], lr0=0.3, drop=0.1, every=20)
want = [0.3, 0.3, 0.03, 0.03, 0.003]
assert np.allclose(got, want, rtol=1e-12), (
    f"x0.1 every 20 steps from 0.3 at t = 0, 19, 20, 39, 40: got {got}, "
    f"expected {want}")
"""

EXP = r"""
## Part 2: exponential decay (2 points)

$\eta(t) = \eta_0\, e^{-k t}$ with $k \ge 0$, so $\eta(0) = \eta_0$ and the
rate is multiplied by $e^{-k}$ at each step (PyTorch's `ExponentialLR`
with `gamma` $= e^{-k}$). The rate halves every $\ln 2 / k$ steps: the
visible checks use $k = \ln 2 / 5$, so the rate halves every 5 steps.
"""

EXP_CHECK = r"""
import numpy as np
k = np.log(2) / 5
lr = rates(exponential_decay, range(16), lr0=0.8, k=k)
assert lr[0] == 0.8, f"exponential_decay at t=0 is {lr[0]}, expected lr0 = 0.8"
assert np.allclose(lr[[5, 10, 15]], [0.4, 0.2, 0.1], rtol=1e-12), (
    f"with k = ln(2)/5 the rate halves every 5 steps: got {lr[[5, 10, 15]]} "
    f"at t = 5, 10, 15, expected [0.4, 0.2, 0.1]")
assert np.all(np.diff(lr) < 0), f"with k > 0 the rate falls at every step, got {lr}"
flat = rates(exponential_decay, range(5), lr0=0.8, k=0.0)
assert np.all(flat == 0.8), f"with k = 0 the rate stays at lr0, got {flat}"
assert is_pure(exponential_decay, range(16), lr0=0.8, k=k), \
    "exponential_decay gives other rates when the steps come in reverse order"
"""

INV = r"""
## Part 3: 1/t decay (2 points)

$\eta(t) = \eta_0 / (1 + k t)$ with $k \ge 0$: the rate is $\eta_0$ at
$t = 0$, half of it at $t = 1/k$, a third at $t = 2/k$, and it stays
positive forever (it falls more slowly than any exponential). The visible
checks use $k = 0.25$.
"""

INV_CHECK = r"""
import numpy as np
lr = rates(inverse_time_decay, range(13), lr0=0.6, k=0.25)
assert lr[0] == 0.6, f"inverse_time_decay at t=0 is {lr[0]}, expected lr0 = 0.6"
assert np.allclose(lr[[4, 8, 12]], [0.3, 0.2, 0.15], rtol=1e-12), (
    f"with k = 0.25 the rate is lr0/2, lr0/3, lr0/4 at t = 4, 8, 12: got "
    f"{lr[[4, 8, 12]]}, expected [0.3, 0.2, 0.15]")
assert np.all(np.diff(lr) < 0), f"with k > 0 the rate falls at every step, got {lr}"
far = inverse_time_decay(10_000, lr0=0.6, k=0.25)
assert 0 < far < 1e-3, f"at t = 10000 the rate should be small and positive, got {far}"
assert is_pure(inverse_time_decay, range(13), lr0=0.6, k=0.25), \
    "inverse_time_decay gives other rates when the steps come in reverse order"
"""

COSINE = r"""
## Part 4: cosine annealing (3 points)

From $\eta_0$ at $t = 0$ down to $\eta_{min}$ at $t = T$ (`total`) along
half a cosine period, then constant:

$$\eta(t) = \eta_{min} + (\eta_0 - \eta_{min})\,
\frac{1 + \cos(\pi t / T)}{2} \quad (t \le T), \qquad
\eta(t) = \eta_{min} \quad (t > T).$$

PyTorch's `CosineAnnealingLR` agrees up to $T$ and then climbs back up
along the cosine; here the rate stays at $\eta_{min}$ (no restarts). The
visible checks look at $t = 0$, $T/2$ (halfway between the two rates),
$T$ and past it, and at the shape. One point for the first hidden
setting, two for the other two.
"""

COS_CHECK_1 = r"""
import numpy as np
lr = rates(cosine, range(21), lr0=0.5, total=10, lr_min=0.1)
assert lr[0] == 0.5, f"cosine at t=0 is {lr[0]}, expected lr0 = 0.5"
assert np.isclose(lr[5], 0.3, rtol=1e-12), \
    f"cosine at t = total/2 = 5 is {lr[5]}, expected (lr0 + lr_min)/2 = 0.3"
assert np.isclose(lr[10], 0.1, rtol=1e-12), \
    f"cosine at t = total = 10 is {lr[10]}, expected lr_min = 0.1"
assert np.all(lr[10:] == lr[10]), f"past t = total the rate stays at lr_min, got {lr[10:]}"
assert np.all(np.diff(lr) <= 1e-15), f"cosine annealing never rises, got {lr}"
assert is_pure(cosine, range(21), lr0=0.5, total=10, lr_min=0.1), \
    "cosine gives other rates when the steps come in reverse order"
"""

COS_CHECK_2 = r"""
import numpy as np
got = rates(cosine, [0, 2, 3, 6], lr0=2.0, total=6)
want = [2.0, 1.5, 1.0, 0.0]
assert np.allclose(got, want, rtol=1e-12, atol=1e-15), (
    f"cosine with lr0=2, total=6 and the default lr_min=0 at t = 0, 2, 3, 6: "
    f"got {got}, expected {want} (cos(pi/3) = 1/2)")
"""

WARMUP = r"""
## Part 5: linear warm-up, then cosine (4 points)

`with_warmup(schedule, t, *, warmup, start_factor=0.0)` puts a linear
ramp of $W$ = `warmup` steps in front of any schedule $s$:
$\eta(t) = s(0)\,\big(f + (1 - f)\, t / W\big)$ for $t < W$, and
$\eta(t) = s(t - W)$ from $t = W$ on, with $f$ = `start_factor`. The ramp
ends at $s(0)$, so the rate is continuous at $t = W$, and $s$ then runs on
its own clock: its step 0 is the global step $W$.

`warmup_cosine` is that ramp (from 0) in front of your `cosine`: 0 at
$t = 0$, $\eta_0$ at $t = W$, $\eta_{min}$ at $t$ = `total` and after.
`total` counts ALL the steps, the warm-up included, so the cosine lasts
`total - warmup` steps.

The visible checks test `with_warmup` with a simple halving schedule
(values by hand at the ramp, at $t = W$ and one step later) and the
warm-up of `warmup_cosine` (it starts at 0, climbs linearly, never falls).
The grader checks the whole curve of `warmup_cosine` with the reference
`cosine` in place of yours, so a mistake in Part 4 costs no points here.
Two points for the first hidden setting, two for the other two.
"""

WARMUP_CHECK_1 = r"""
import numpy as np
def halving(s):
    return 0.8 * 0.5 ** s
got = rates(lambda t: with_warmup(halving, t, warmup=4), range(7))
want = [0.0, 0.2, 0.4, 0.6, 0.8, 0.4, 0.2]
assert np.allclose(got, want, rtol=1e-12, atol=1e-15), (
    f"with_warmup(halving, t, warmup=4) with halving(s) = 0.8 * 0.5**s at "
    f"t = 0..6: got {got}, expected {want} (the ramp ends at halving(0) AT "
    f"t = 4, then halving runs on its own clock from s = 0)")
got = rates(lambda t: with_warmup(halving, t, warmup=4, start_factor=0.5), range(5))
want = [0.4, 0.5, 0.6, 0.7, 0.8]
assert np.allclose(got, want, rtol=1e-12), (
    f"with start_factor=0.5 the ramp runs from 0.5 * halving(0) at t = 0 "
    f"to halving(0) at t = 4: got {got}, expected {want}")
got = rates(lambda t: with_warmup(halving, t, warmup=0), range(3))
assert np.allclose(got, [0.8, 0.4, 0.2], rtol=1e-12), \
    f"warmup=0 means no warm-up: expected halving(t), got {got}"
"""

WARMUP_CHECK_2 = r"""
import numpy as np
hyper = dict(lr0=0.2, warmup=4, total=12, lr_min=0.02)
lr = rates(warmup_cosine, range(16), **hyper)
assert lr[0] == 0.0, f"warmup_cosine at t=0 is {lr[0]}, expected 0"
# The ramp is linear: at t = 1, 2, 3 the rate is 1/4, 2/4, 3/4 of lr(4).
ratio = lr[1:4] / lr[4]
assert np.allclose(ratio, [0.25, 0.5, 0.75], rtol=1e-12), (
    f"warmup=4: lr(1), lr(2), lr(3) should be 1/4, 2/4, 3/4 of lr(4); "
    f"got ratios {ratio}")
assert np.all(np.diff(lr[:5]) > 0), f"the warm-up only raises the rate, got {lr[:5]}"
assert is_pure(warmup_cosine, range(16), **hyper), \
    "warmup_cosine gives other rates when the steps come in reverse order"
"""

PLATEAU = r"""
## Part 6: reduce on plateau (4 points)

Reduce-on-plateau watches a validation metric once per epoch. It is a
pure step `plateau_step(state, metric, *, mode, factor, patience,
threshold, cooldown, min_lr) -> state` over the record
`PlateauState(lr, best, bad_epochs, cooldown_left)` given above;
`plateau_init(lr)` returns `PlateauState(lr, None, 0, 0)`. Write
`improves(metric, best, mode, threshold)` first: in mode `"min"` (a
loss) an epoch improves if metric $<$ best $\cdot (1 - \text{threshold})$,
in mode `"max"` (an accuracy) if metric $>$ best $\cdot (1 +
\text{threshold})$; the first metric always improves.

One epoch, in this order:
1. an improving epoch sets `best = metric` and `bad_epochs = 0`;
   otherwise `bad_epochs += 1`;
2. while `cooldown_left > 0`, it counts down by 1 and the bad epochs are
   forgotten (`bad_epochs = 0`);
3. when `bad_epochs > patience`: `lr = max(lr * factor, min_lr)` (kept as
   it is if that lowers it by at most 1e-8), `bad_epochs = 0` and
   `cooldown_left = cooldown`.

The returned `lr` is the one to use in the next epoch. This is PyTorch's
`ReduceLROnPlateau(threshold_mode="rel")`, step for step. The visible
checks replay two short runs traced by hand. Two points for the hidden
runs in mode `"min"`, two for the run in mode `"max"`.
"""

PLATEAU_CHECK_1 = r"""
import numpy as np
hyper = dict(mode="min", factor=0.5, patience=1, threshold=0.1, cooldown=0, min_lr=0.0)
state = plateau_init(0.1)
assert tuple(state) == (0.1, None, 0, 0), f"plateau_init(0.1) gives {state}"
again = plateau_step(state, 2.0, **hyper)
assert tuple(plateau_step(state, 2.0, **hyper)) == tuple(again), \
    "plateau_step gives two answers for the same state and metric"
assert tuple(state) == (0.1, None, 0, 0), "plateau_step changed the state it was given"
# 1.9 is only 5% below 2.0 (threshold 10%): a bad epoch; 1.7 improves.
metrics = [2.0, 1.9, 1.7, 1.7, 1.7, 1.7]
want = {"lr": [0.1, 0.1, 0.1, 0.1, 0.05, 0.05], "best": [2.0, 2.0, 1.7, 1.7, 1.7, 1.7],
        "bad_epochs": [0, 1, 0, 1, 0, 1], "cooldown_left": [0, 0, 0, 0, 0, 0]}
check_plateau_run(state, metrics, want, **hyper)
"""

PLATEAU_CHECK_2 = r"""
import numpy as np
hyper = dict(mode="max", factor=0.1, patience=0, threshold=0.0, cooldown=1, min_lr=0.05)
# accuracies: a higher one is better; the second cut stops at min_lr
metrics = [0.5, 0.6, 0.6, 0.55, 0.58, 0.7]
want = {"lr": [1.0, 1.0, 0.1, 0.1, 0.05, 0.05], "best": [0.5, 0.6, 0.6, 0.6, 0.6, 0.7],
        "bad_epochs": [0, 0, 0, 0, 0, 0], "cooldown_left": [0, 0, 1, 0, 1, 0]}
state = plateau_init(1.0)
check_plateau_run(state, metrics, want, **hyper)
"""

ASSIGNMENT = Assignment(
    name="05_annealing",
    cells=[
        Markdown(INTRO),
        Provided(HELPERS),
        Markdown(STEP),
        Solution((ref.step_decay,)),
        Tests("annealing.step_decay", "step_decay", 1, STEP_CHECK_1, cases=(0,)),
        Tests("annealing.step_decay", "step_decay", 2, STEP_CHECK_2, cases=(1, 2)),
        Markdown(EXP),
        Solution((ref.exponential_decay,)),
        Tests("annealing.exponential_decay", "exponential_decay", 2, EXP_CHECK),
        Markdown(INV),
        Solution((ref.inverse_time_decay,)),
        Tests("annealing.inverse_time_decay", "inverse_time_decay", 2, INV_CHECK),
        Markdown(COSINE),
        Solution((ref.cosine,)),
        Tests("annealing.cosine", "cosine", 1, COS_CHECK_1, cases=(0,)),
        Tests("annealing.cosine", "cosine", 2, COS_CHECK_2, cases=(1, 2)),
        Markdown(WARMUP),
        Solution((ref.with_warmup, ref.warmup_cosine)),
        Tests("annealing.warmup_cosine", "warmup_cosine", 2, WARMUP_CHECK_1,
              cases=(0,), uses=("cosine",)),
        Tests("annealing.warmup_cosine", "warmup_cosine", 2, WARMUP_CHECK_2,
              cases=(1, 2), uses=("cosine",)),
        Markdown(PLATEAU),
        Solution((ref.improves, ref.plateau_init, ref.plateau_step)),
        Tests("annealing.plateau", "(plateau_init, plateau_step)", 2, PLATEAU_CHECK_1,
              cases=(0, 2)),
        Tests("annealing.plateau", "(plateau_init, plateau_step)", 2, PLATEAU_CHECK_2,
              cases=(1,)),
    ],
)
