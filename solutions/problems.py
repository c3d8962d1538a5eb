"""Deterministic test problems shared by the chapters, tests and grader.

Each optimisation problem is a frozen :class:`Problem` record holding the
loss, its gradient and Hessian as plain numpy functions of a weight vector
``w`` of shape ``(dim,)``, a start point ``x0`` and the minimiser (``None``
when there is no unique one). Everything is a pure function of the
arguments and the seed: calling a constructor twice gives the same numbers,
and the returned arrays are fresh copies the caller may modify. Losses are
returned as Python floats, gradients as ``(dim,)`` and Hessians as
``(dim, dim)`` float64 arrays. ``spirals`` generates a small classification
data set in the plane so that nothing has to be downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Problem", "quadratic", "rosenbrock", "saddle", "spirals"]


@dataclass(frozen=True)
class Problem:
    """A smooth test function f: R^dim -> R with its derivatives.

    Fields: ``name``; ``loss(w) -> float``; ``grad(w) -> (dim,)``;
    ``hessian(w) -> (dim, dim)``; ``x0`` the start point ``(dim,)``;
    ``minimum`` the unique minimiser ``(dim,)`` or ``None``.
    """

    name: str
    loss: Callable[[np.ndarray], float]
    grad: Callable[[np.ndarray], np.ndarray]
    hessian: Callable[[np.ndarray], np.ndarray]
    x0: np.ndarray
    minimum: np.ndarray | None


def _point(w: np.ndarray, dim: int) -> np.ndarray:
    """Return w as a float64 vector of length dim, or raise."""
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (dim,):
        raise ValueError(f"expected a point of shape ({dim},), "
                         f"got shape {w.shape}")
    return w


def _rotation(dim: int, seed: int) -> np.ndarray:
    """An orthogonal (dim, dim) matrix: 30 degrees in 2-D, else random."""
    if dim == 2:
        # a fixed tilt makes the long valley diagonal on contour plots
        c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
        return np.array([[c, -s], [s, c]])
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    # fixing the signs makes q uniformly (Haar) distributed
    return q * np.sign(np.diag(r))


def quadratic(condition: float = 50.0, dim: int = 2,
              seed: int = 0) -> Problem:
    """Ill-conditioned quadratic bowl f(w) = 0.5 (w - c)^T A (w - c).

    A = Q diag(lam) Q^T with eigenvalues lam geometric from 1 to
    ``condition`` (so cond(A) = condition) and Q orthogonal: a fixed
    30-degree rotation for dim == 2 (tilted contours), random from
    ``seed`` otherwise. grad = A (w - c), hessian = A, minimum c.
    For dim == 2, c = (1, -0.5) and x0 = c + Q (3, 0.3), mostly along the
    flat direction; for dim > 2 both come from ``seed``.
    """
    if not (np.isfinite(condition) and condition >= 1):
        raise ValueError(f"condition must be a finite number >= 1, "
                         f"got {condition}")
    if int(dim) != dim or dim < 2:
        raise ValueError(f"dim must be an integer >= 2, got {dim}")
    dim = int(dim)
    q = _rotation(dim, seed)
    a = (q * np.geomspace(1.0, condition, dim)) @ q.T
    a = 0.5 * (a + a.T)  # exact symmetry despite rounding
    if dim == 2:
        c, offset = np.array([1.0, -0.5]), q @ np.array([3.0, 0.3])
    else:
        rng = np.random.default_rng([seed, dim])
        c, offset = rng.normal(size=dim), 2.0 * rng.normal(size=dim)

    def loss(w):
        d = _point(w, dim) - c
        return float(0.5 * d @ a @ d)

    def grad(w):
        return a @ (_point(w, dim) - c)

    def hessian(w):
        _point(w, dim)
        return a.copy()

    return Problem(name=f"quadratic(condition={condition:g}, dim={dim})",
                   loss=loss, grad=grad, hessian=hessian, x0=c + offset,
                   minimum=c.copy())


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Problem:
    """Rosenbrock's banana valley f(x, y) = (a - x)^2 + b (y - x^2)^2.

    grad = (-2 (a - x) - 4 b x (y - x^2), 2 b (y - x^2));
    hessian = [[2 - 4 b y + 12 b x^2, -4 b x], [-4 b x, 2 b]].
    Unique minimum (a, a^2) with f = 0 for b > 0; x0 = (-1.5, 2).
    """
    if not b > 0:
        raise ValueError(f"rosenbrock b must be > 0, got {b}")

    def loss(w):
        x, y = _point(w, 2)
        return float((a - x) ** 2 + b * (y - x * x) ** 2)

    def grad(w):
        x, y = _point(w, 2)
        r = y - x * x
        return np.array([-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r])

    def hessian(w):
        x, y = _point(w, 2)
        return np.array([[2.0 - 4.0 * b * y + 12.0 * b * x * x,
                          -4.0 * b * x], [-4.0 * b * x, 2.0 * b]])

    return Problem(name=f"rosenbrock(a={a:g}, b={b:g})", loss=loss,
                   grad=grad, hessian=hessian, x0=np.array([-1.5, 2.0]),
                   minimum=np.array([float(a), float(a) ** 2]))


def saddle() -> Problem:
    """Saddle f(x, y) = x^2 - y^2 + y^4 / 4, with a saddle point at 0.

    grad = (2 x, -2 y + y^3); hessian = diag(2, -2 + 3 y^2), so at the
    origin the eigenvalues are +2 and -2 (mixed sign). The quartic term
    keeps f bounded below: two global minima at (0, +-sqrt 2) with f = -1,
    hence no unique minimum and ``minimum`` is None. x0 = (1, 0.05): far
    along the rising x axis but only slightly off the falling y axis, so
    gradient descent first slides toward the saddle and then escapes.
    """
    def loss(w):
        x, y = _point(w, 2)
        return float(x * x - y * y + 0.25 * y ** 4)

    def grad(w):
        x, y = _point(w, 2)
        return np.array([2.0 * x, -2.0 * y + y ** 3])

    def hessian(w):
        _, y = _point(w, 2)
        return np.array([[2.0, 0.0], [0.0, -2.0 + 3.0 * y * y]])

    return Problem(name="saddle", loss=loss, grad=grad, hessian=hessian,
                   x0=np.array([1.0, 0.05]), minimum=None)


def spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.2,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms in the plane, one arm per class.

    Point i of class k has radius r_i = i / (n - 1) in [0, 1] and angle
    theta = 2 pi k / classes + 4 r_i + noise * N(0, 1) (radians), so the
    arms wind about 230 degrees and are not linearly separable.
    Returns X of shape (classes * n_per_class, 2) float64 and labels y of
    shape (classes * n_per_class,) int64, grouped by class in order.
    """
    if int(n_per_class) != n_per_class or n_per_class < 2:
        raise ValueError(f"n_per_class must be an integer >= 2, "
                         f"got {n_per_class}")
    if int(classes) != classes or classes < 2:
        raise ValueError(f"classes must be an integer >= 2, got {classes}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    n, k = int(n_per_class), int(classes)
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n), k)
    y = np.repeat(np.arange(k, dtype=np.int64), n)
    theta = 2 * np.pi * y / k + 4.0 * r + noise * rng.normal(size=n * k)
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return x, y
