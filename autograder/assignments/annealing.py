"""Assignment 5: learning-rate schedules and reduce-on-plateau."""
from autograder.assignments.notebook import Assignment, Given, Markdown, Solution, Tests
from autograder.assignments.visible import annealing as visible
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
a message that names it, is good practice but not graded. The cell below
holds three helpers for the visible checks: `rates` evaluates a schedule
at a list of steps, `is_pure` asks for the same steps in reverse order and
compares, and `check_plateau_run` replays a run of reduce-on-plateau and
compares the state after every epoch with the one traced by hand.

The grader evaluates each schedule at every step of a range that contains
its boundaries and a few steps past them (the drops of a step decay, the
end of the warm-up, `total`), for three or four sets of hyperparameters
(the edges the text allows among them, such as `k = 0`, and a
hyperparameter left at its default where the signature has one), in
order, in reverse and in shuffled order, and compares every value with
the reference. Reduce-on-plateau is graded on scripted runs of 10 to 20
epochs, comparing the whole state after every epoch, and checking that
`plateau_step` leaves the state it is given as it was. The boundaries and
the shape of each run are fixed; the numbers (rates, factors, floors, the
scale of the metrics) are drawn anew at every grading run, and a failure
states the ones it used.
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

EXP = r"""
## Part 2: exponential decay (2 points)

$\eta(t) = \eta_0\, e^{-k t}$ with $k \ge 0$, so $\eta(0) = \eta_0$ and the
rate is multiplied by $e^{-k}$ at each step (PyTorch's `ExponentialLR`
with `gamma` $= e^{-k}$). The rate halves every $\ln 2 / k$ steps: the
visible checks use $k = \ln 2 / 5$, so the rate halves every 5 steps.
$k = 0$ is allowed (the rate stays at $\eta_0$), and the grader tries it:
a formula written with the half-life $\ln 2 / k$ divides by zero there.
"""

INV = r"""
## Part 3: 1/t decay (2 points)

$\eta(t) = \eta_0 / (1 + k t)$ with $k \ge 0$: the rate is $\eta_0$ at
$t = 0$, half of it at $t = 1/k$, a third at $t = 2/k$, and it stays
positive forever (it falls more slowly than any exponential). The visible
checks use $k = 0.25$; the grader also tries $k = 0$ (the rate stays at
$\eta_0$).
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
setting, two for the other two (the last of which leaves `lr_min` at its
default, 0).
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

`warmup = 0` means no warm-up at all: $\eta(t) = s(t)$ from $t = 0$.

The grader checks `with_warmup` on its own, on a decaying schedule of its
own, $s(n) = a \cdot r^n$ (a failure states $a$ and $r$): one point with
`start_factor` left at its default (a ramp from 0, and `warmup = 0`), one
point with other start factors, so that a start factor that is ignored
costs that point only. Then it checks the whole curve of `warmup_cosine`
(two points, three settings, the last with `lr_min` at its default), with
the reference `cosine` in place of yours, so a mistake in Part 4 costs no
points here; `warmup_cosine` runs on your `with_warmup`, so a ramp that is
wrong from 0 shows in both. The visible checks test `with_warmup` with a
simple halving schedule (values by hand at the ramp, at $t = W$ and one
step later, with and without a start factor) and the warm-up of
`warmup_cosine` (it starts at 0, climbs linearly, never falls).
"""

PLATEAU = r"""
## Part 6: reduce on plateau (4 points)

Reduce-on-plateau watches a validation metric once per epoch. It is a
pure step `plateau_step(state, metric, *, mode, factor, patience,
threshold, cooldown, min_lr) -> state` over the record
`PlateauState(lr, best, bad_epochs, cooldown_left)` given above: it
returns a new state and never changes the one it is given, and the same
state and metric always give the same new state (the grader checks both,
calling it twice at every epoch). `plateau_init(lr)` returns
`PlateauState(lr, None, 0, 0)`. Write `improves(metric, best, mode,
threshold)` first: in mode `"min"` (a loss) an epoch improves if metric
$<$ best $\cdot (1 - \text{threshold})$, in mode `"max"` (an accuracy)
if metric $>$ best $\cdot (1 + \text{threshold})$. The comparisons are
strict: a metric exactly at best $\cdot (1 \mp \text{threshold})$ does
not improve. The first metric always improves, and a NaN metric (a run
that diverged) never does.

One epoch, in this order:
1. an improving epoch sets `best = metric` and `bad_epochs = 0`;
   otherwise `bad_epochs += 1`;
2. while `cooldown_left > 0`, it counts down by 1 and the bad epochs are
   forgotten (`bad_epochs = 0`);
3. when `bad_epochs > patience`: `lr = max(lr * factor, min_lr)` (kept as
   it is if that lowers it by at most 1e-8), `bad_epochs = 0` and
   `cooldown_left = cooldown`.

A cut that is kept (at `min_lr` already, or lowering the rate by at most
1e-8) still resets `bad_epochs` and starts the cooldown. The returned
`lr` is the one to use in the next epoch. This is PyTorch's
`ReduceLROnPlateau(threshold_mode="rel")`, step for step.

The visible checks replay short runs traced by hand. Two points for the
hidden runs in mode `"min"`: they reach `min_lr` and cut again there, go
through cooldowns (of 2 epochs, with an improvement inside one), meet the
threshold with equality, see a NaN, and use rates so small that a cut of
at most 1e-8 is skipped. Two points for the runs in mode `"max"`, which
have no cooldown and never reach `min_lr`: they grade what mode `"max"`
changes (the direction, the threshold above best, met with equality
once) and the rule both modes share.
"""

ASSIGNMENT = Assignment(
    name="05_annealing",
    cells=[
        Markdown(INTRO),
        Given((visible.rates, visible.is_pure, visible.check_plateau_run),
              header="# Helpers of the visible checks (run this cell, do not change it)"),
        Markdown(STEP),
        Solution((ref.step_decay,)),
        Tests("annealing.step_decay", 1, visible=visible.check_step_decay, cases=(0,)),
        Tests("annealing.step_decay", 2, visible=visible.check_step_decay_long_blocks,
              cases=(1, 2)),
        Markdown(EXP),
        Solution((ref.exponential_decay,)),
        Tests("annealing.exponential_decay", 2, visible=visible.check_exponential_decay),
        Markdown(INV),
        Solution((ref.inverse_time_decay,)),
        Tests("annealing.inverse_time_decay", 2, visible=visible.check_inverse_time_decay),
        Markdown(COSINE),
        Solution((ref.cosine,)),
        Tests("annealing.cosine", 1, visible=visible.check_cosine, cases=(0,)),
        Tests("annealing.cosine", 2, visible=visible.check_cosine_default_floor, cases=(1, 2)),
        Markdown(WARMUP),
        Solution((ref.with_warmup, ref.warmup_cosine)),
        Tests("annealing.with_warmup", 1, visible=visible.check_with_warmup, cases=(0, 1)),
        Tests("annealing.with_warmup", 1, visible=visible.check_with_warmup_start_factor,
              cases=(2, 3)),
        Tests("annealing.warmup_cosine", 2, visible=visible.check_warmup_cosine),
        Markdown(PLATEAU),
        Solution((ref.improves, ref.plateau_init, ref.plateau_step)),
        Tests("annealing.plateau", 2, visible=visible.check_plateau_min, cases=(0, 2, 3)),
        Tests("annealing.plateau", 2, visible=visible.check_plateau_max, cases=(1, 4)),
    ],
)
