"""Assignment 4: update rules, every rule the chapter teaches."""
from autograder.assignments.notebook import Assignment, Markdown, Solution, Tests
from autograder.assignments.visible import update_rules as visible
from solutions import update_rules as ref

INTRO = r"""
# Assignment 4: update rules

Each update rule is a pair of pure functions: `<rule>_init(w)` returns the
starting state, and `<rule>_step(w, g, state, *, lr, ...)` returns the next
weights and the next state without changing its inputs: after the call the
caller's `w`, `g` and the arrays of `state` hold what they held before, so
compute new arrays (`w - lr * g`, `b1 * state.m + ...`) rather than
`w -= ...` or `m *= b1` on the arrays you were given.

- `w` may have any shape (a vector, or a matrix of weights); `g` and the
  arrays of the state have the shape of `w`.
- An integer `w` or `g` (say `np.array([1, 2])`) gives float64 weights
  and state; float32 `w` and `g` give float32 weights and state (the given
  helper `_floats` does both; `np.zeros(w.shape)` or a numpy float64
  number would turn float32 into float64).
- The learning rate is a keyword passed at every step, so a schedule is
  simply `lr=schedule(t)`. A hyperparameter that is not passed takes the
  default in the signature (Adam's and AdamW's `lr` too).

The state records (`MomentumState`, `AdamState`, ...) and small validation
helpers are given in the cell after the imports; keep their field names.
The visible checks under each part use small cases you can verify by hand.
The grader then runs your rule and the reference side by side and compares
the weights and the state at every step: 60 steps on three problems, with
a constant learning rate and one that changes at every step, from a fresh
and from a mid-run state; then a matrix `w` with only the hyperparameters
that have no default passed, float32 `w` and `g`, and an integer `w` and
`g`. After every step it also checks that your step left the `w`, `g` and
`state` it was given as they were.
"""

SGD = r"""
## Part 1: stochastic gradient descent (2 points)

$w_{t+1} = w_t - \eta\, g_t$. SGD keeps no state.
"""


MOMENTUM = r"""
## Part 2: momentum (3 points)

The velocity carries the learning rate:
$v \leftarrow \mu v - \eta g$, then $w \leftarrow w + v$.
(PyTorch stores $b \leftarrow \mu b + g$ and steps $w \leftarrow w - \eta b$;
the two agree only while $\eta$ is constant. The grader uses a schedule.)
"""


NESTEROV = r"""
## Part 3: Nesterov momentum (3 points)

Nesterov evaluates the gradient at the look-ahead point $w + \mu v$.
Stored in terms of that look-ahead point, the update needs only the
gradient at the stored $w$:
$v_{prev} = v$; $v \leftarrow \mu v - \eta g$;
$w \leftarrow w - \mu v_{prev} + (1 + \mu) v$.
"""


ADAGRAD = r"""
## Part 4: Adagrad (3 points)

$c \leftarrow c + g^2$; $w \leftarrow w - \eta\, g / (\sqrt{c} + \epsilon)$.
"""


RMSPROP = r"""
## Part 5: RMSprop (3 points)

$c \leftarrow \rho c + (1 - \rho) g^2$;
$w \leftarrow w - \eta\, g / (\sqrt{c} + \epsilon)$, with decay $\rho$.
"""


ADAM = r"""
## Part 6: Adam (4 points)

$t \leftarrow t + 1$;
$m \leftarrow \beta_1 m + (1-\beta_1) g$;
$v \leftarrow \beta_2 v + (1-\beta_2) g^2$;
$\hat m = m / (1 - \beta_1^t)$, $\hat v = v / (1 - \beta_2^t)$;
$w \leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)$.
`weight_decay` adds $\lambda w$ to the gradient first (L2, as in PyTorch's
Adam). One point checks a fresh start at a constant learning rate without
weight decay (with the default hyperparameters, float32 and integer inputs
too); one a changing learning rate and a start from a mid-run state; two
a `weight_decay` > 0, from a fresh start at a constant learning rate.
"""


ADAMW = r"""
## Part 7: AdamW (2 points)

Decoupled weight decay: first $w \leftarrow w - \eta \lambda w$, then the
Adam step with the raw gradient (no $\lambda w$ added to $g$).
"""


ASSIGNMENT = Assignment(
    name="04_update_rules",
    cells=[
        Markdown(INTRO),
        Markdown(SGD),
        Solution((ref.sgd_init, ref.sgd_step)),
        Tests("update_rules.sgd", 2, visible=visible.check_sgd),
        Markdown(MOMENTUM),
        Solution((ref.momentum_init, ref.momentum_step)),
        Tests("update_rules.momentum", 3, visible=visible.check_momentum),
        Markdown(NESTEROV),
        Solution((ref.nesterov_init, ref.nesterov_step)),
        Tests("update_rules.nesterov", 3, visible=visible.check_nesterov),
        Markdown(ADAGRAD),
        Solution((ref.adagrad_init, ref.adagrad_step)),
        Tests("update_rules.adagrad", 3, visible=visible.check_adagrad),
        Markdown(RMSPROP),
        Solution((ref.rmsprop_init, ref.rmsprop_step)),
        Tests("update_rules.rmsprop", 3, visible=visible.check_rmsprop),
        Markdown(ADAM),
        Solution((ref.adam_init, ref.adam_step)),
        # the case indices are those of judge/update_rules.py's _cases: 0
        # fresh/constant, 3 defaults (matrix w), 4 float32, 7 integer; 1 and
        # 2 a changing lr (2 from a mid-run state); 5 and 6 weight_decay > 0
        Tests("update_rules.adam", 1, visible=visible.check_adam, cases=(0, 3, 4, 7)),
        Tests("update_rules.adam", 1, cases=(1, 2)),
        Tests("update_rules.adam", 2, cases=(5, 6)),
        Markdown(ADAMW),
        Solution((ref.adamw_init, ref.adamw_step)),
        Tests("update_rules.adamw", 2, visible=visible.check_adamw),
    ],
)
