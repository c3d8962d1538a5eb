"""Assignment 4: update rules, every rule the chapter teaches."""
from autograder.assignments.notebook import Assignment, Markdown, Solution, Tests
from solutions import update_rules as ref

INTRO = r"""
# Assignment 4: update rules

Each update rule is a pair of pure functions: `<rule>_init(w)` returns the
starting state, and `<rule>_step(w, g, state, *, lr, ...)` returns the next
weights and the next state without changing its inputs. The learning rate
is passed at every step, so a schedule is simply `lr=schedule(t)`.

The state records (`MomentumState`, `AdamState`, ...) and small validation
helpers are given in the cell after the imports; keep their field names.
The visible checks under each part use small cases you can verify by hand.
The grader then runs your rule and the reference side by side for 60
steps on three problems, with a learning rate that changes at every step
and from a mid-run state, and compares the weights and the state at every
step.
"""

SGD = r"""
## Part 1: stochastic gradient descent (2 points)

$w_{t+1} = w_t - \eta\, g_t$. SGD keeps no state.
"""

SGD_CHECK = r"""
import numpy as np
w, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
w_next, state = sgd_step(w, g, sgd_init(w), lr=0.1)
assert np.allclose(w_next, [0.95, -2.05]), f"one SGD step from {w} gives {w_next}, expected [0.95, -2.05]"
assert np.array_equal(w, [1.0, -2.0]), "sgd_step changed its input w: return a new array"
"""

MOMENTUM = r"""
## Part 2: momentum (3 points)

The velocity carries the learning rate:
$v \leftarrow \mu v - \eta g$, then $w \leftarrow w + v$.
(PyTorch stores $b \leftarrow \mu b + g$ and steps $w \leftarrow w - \eta b$;
the two agree only while $\eta$ is constant. The grader uses a schedule.)
"""

MOMENTUM_CHECK = r"""
import numpy as np
w, g = np.zeros(3), np.array([1.0, -1.0, 2.0])
state = momentum_init(w)
for _ in range(2):
    w, state = momentum_step(w, g, state, lr=0.1, mu=0.5)
# two steps with the same g: v = -(1 + mu) lr g, w = -(2 + mu) lr g
assert np.allclose(state.v, -1.5 * 0.1 * g), f"velocity after two steps: {state.v}"
assert np.allclose(w, -2.5 * 0.1 * g), f"weights after two steps: {w}"
"""

NESTEROV = r"""
## Part 3: Nesterov momentum (3 points)

Nesterov evaluates the gradient at the look-ahead point $w + \mu v$.
Stored in terms of that look-ahead point, the update needs only the
gradient at the stored $w$:
$v_{prev} = v$; $v \leftarrow \mu v - \eta g$;
$w \leftarrow w - \mu v_{prev} + (1 + \mu) v$.
"""

NESTEROV_CHECK = r"""
import numpy as np
w, g = np.array([1.0, 2.0]), np.array([0.2, -0.4])
w1, s1 = nesterov_step(w, g, nesterov_init(w), lr=0.5, mu=0.9)
# from rest, the first step is (1 + mu) times an SGD step
assert np.allclose(w1, w - 1.9 * 0.5 * g), f"first Nesterov step gives {w1}"
w0, _ = nesterov_step(w, g, nesterov_init(w), lr=0.5, mu=0.0)
assert np.allclose(w0, w - 0.5 * g), "with mu = 0 Nesterov must be plain SGD"
"""

ADAGRAD = r"""
## Part 4: Adagrad (3 points)

$c \leftarrow c + g^2$; $w \leftarrow w - \eta\, g / (\sqrt{c} + \epsilon)$.
"""

ADAGRAD_CHECK = r"""
import numpy as np
w, g = np.zeros(3), np.array([4.0, -0.01, 1e3])
w1, s1 = adagrad_step(w, g, adagrad_init(w), lr=0.1, eps=1e-8)
# the first step has size lr in every coordinate, whatever the scale of g
assert np.allclose(w1, -0.1 * np.sign(g), rtol=1e-5), f"first Adagrad step: {w1}"
assert np.allclose(s1.cache, g**2), f"cache after one step: {s1.cache}"
"""

RMSPROP = r"""
## Part 5: RMSprop (3 points)

$c \leftarrow \rho c + (1 - \rho) g^2$;
$w \leftarrow w - \eta\, g / (\sqrt{c} + \epsilon)$, with decay $\rho$.
"""

RMSPROP_CHECK = r"""
import numpy as np
w, g = np.zeros(2), np.array([2.0, -3.0])
w1, s1 = rmsprop_step(w, g, rmsprop_init(w), lr=0.01, decay=0.75, eps=0.0)
assert np.allclose(s1.cache, 0.25 * g**2), f"cache after one step: {s1.cache}"
assert np.allclose(w1, -0.01 * np.sign(g) / 0.5), f"first RMSprop step: {w1}"
"""

ADAM = r"""
## Part 6: Adam (4 points)

$t \leftarrow t + 1$;
$m \leftarrow \beta_1 m + (1-\beta_1) g$;
$v \leftarrow \beta_2 v + (1-\beta_2) g^2$;
$\hat m = m / (1 - \beta_1^t)$, $\hat v = v / (1 - \beta_2^t)$;
$w \leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)$.
`weight_decay` adds $\lambda w$ to the gradient first (L2, as in PyTorch's
Adam). Two points check a fresh start at a constant learning rate; two
check a changing learning rate and a start from a mid-run state.
"""

ADAM_CHECK = r"""
import numpy as np
w, g = np.ones(3), np.array([0.3, -20.0, 1e-3])
w1, s1 = adam_step(w, g, adam_init(w), lr=0.01, eps=1e-12)
assert s1.t == 1, f"t after the first step is {s1.t}, expected 1"
# bias correction makes the first step lr * sign(g) in every coordinate
assert np.allclose(w1, 1 - 0.01 * np.sign(g), rtol=1e-6), f"first Adam step: {w1}"
"""

ADAMW = r"""
## Part 7: AdamW (2 points)

Decoupled weight decay: first $w \leftarrow w - \eta \lambda w$, then the
Adam step with the raw gradient (no $\lambda w$ added to $g$).
"""

ADAMW_CHECK = r"""
import numpy as np
w = np.array([2.0, -4.0])
w1, _ = adamw_step(w, np.zeros(2), adamw_init(w), lr=0.1, weight_decay=0.5)
# with a zero gradient only the decay acts: w (1 - lr * wd)
assert np.allclose(w1, w * 0.95), f"AdamW with g = 0 gives {w1}, expected {w * 0.95}"
"""

ASSIGNMENT = Assignment(
    name="04_update_rules",
    cells=[
        Markdown(INTRO),
        Markdown(SGD),
        Solution((ref.sgd_init, ref.sgd_step)),
        Tests("update_rules.sgd", "(sgd_init, sgd_step)", 2, SGD_CHECK),
        Markdown(MOMENTUM),
        Solution((ref.momentum_init, ref.momentum_step)),
        Tests("update_rules.momentum", "(momentum_init, momentum_step)", 3, MOMENTUM_CHECK),
        Markdown(NESTEROV),
        Solution((ref.nesterov_init, ref.nesterov_step)),
        Tests("update_rules.nesterov", "(nesterov_init, nesterov_step)", 3, NESTEROV_CHECK),
        Markdown(ADAGRAD),
        Solution((ref.adagrad_init, ref.adagrad_step)),
        Tests("update_rules.adagrad", "(adagrad_init, adagrad_step)", 3, ADAGRAD_CHECK),
        Markdown(RMSPROP),
        Solution((ref.rmsprop_init, ref.rmsprop_step)),
        Tests("update_rules.rmsprop", "(rmsprop_init, rmsprop_step)", 3, RMSPROP_CHECK),
        Markdown(ADAM),
        Solution((ref.adam_init, ref.adam_step)),
        Tests("update_rules.adam", "(adam_init, adam_step)", 2, ADAM_CHECK, cases=(0,)),
        Tests("update_rules.adam", "(adam_init, adam_step)", 2, cases=(1, 2)),
        Markdown(ADAMW),
        Solution((ref.adamw_init, ref.adamw_step)),
        Tests("update_rules.adamw", "(adamw_init, adamw_step)", 2, ADAMW_CHECK),
    ],
)
