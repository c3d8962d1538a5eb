"""Tests of solutions.problems: derivatives against torch.autograd.

The torch side writes each loss down from its formula; for the quadratic,
whose matrix is random, the loss values at random points must first match
0.5 (w - c)^T A (w - c) with A = hessian and c = minimum, which pins A and c
down, and then the gradient and Hessian are differentiated by torch.
"""
import re

import numpy as np
import pytest
import torch

from solutions.problems import (Problem, quadratic, rosenbrock, saddle,
                                spirals)
from oracle import rel_err

TOL = 1e-9


def torch_quadratic(p: Problem):
    a = torch.tensor(p.hessian(p.x0))
    c = torch.tensor(p.minimum)
    return lambda w: 0.5 * (w - c) @ a @ (w - c)


def torch_rosenbrock(a, b):
    return lambda w: (a - w[0]) ** 2 + b * (w[1] - w[0] ** 2) ** 2


def torch_saddle(p: Problem):
    return lambda w: w[0] ** 2 - w[1] ** 2 + w[1] ** 4 / 4


CASES = {
    "quad2": (lambda: quadratic(), torch_quadratic),
    "quad2_cond1": (lambda: quadratic(1.0), torch_quadratic),
    "quad8": (lambda: quadratic(100.0, dim=8, seed=1), torch_quadratic),
    "quad5_cond1e3": (lambda: quadratic(1e3, dim=5, seed=3),
                      torch_quadratic),
    "rosenbrock": (lambda: rosenbrock(), lambda p: torch_rosenbrock(1, 100)),
    "rosenbrock_a2_b10": (lambda: rosenbrock(2.0, 10.0),
                          lambda p: torch_rosenbrock(2.0, 10.0)),
    "saddle": (saddle, torch_saddle),
}


@pytest.mark.parametrize("name", CASES)
def test_derivatives_match_torch(name, rng):
    make, make_torch = CASES[name]
    p = make()
    f = make_torch(p)
    points = [p.x0] + [p.x0 + rng.normal(size=p.x0.shape) for _ in range(5)]
    for i, w in enumerate(points):
        wt = torch.tensor(w, requires_grad=True)
        loss = f(wt)
        (g,) = torch.autograd.grad(loss, wt)
        h = torch.autograd.functional.hessian(f, torch.tensor(w))
        for what, ours, ref in [("loss", p.loss(w), loss.item()),
                                ("grad", p.grad(w), g.numpy()),
                                ("hessian", p.hessian(w), h.numpy())]:
            e = rel_err(ours, ref)
            assert e <= TOL, (f"{name} {what} at point {i} {w}: ours "
                              f"{ours}, torch {ref}, rel err {e:.2e}")


@pytest.mark.parametrize("condition, dim, seed", [
    (50.0, 2, 0), (1.0, 2, 0), (10.0, 3, 0), (100.0, 8, 1), (1e4, 20, 7)])
def test_quadratic_condition_number(condition, dim, seed):
    h = quadratic(condition, dim, seed).hessian(np.zeros(dim))
    assert np.array_equal(h, h.T), "Hessian is not exactly symmetric"
    lam = np.linalg.eigvalsh(h)
    expected = np.geomspace(1.0, condition, dim)
    e = rel_err(lam, expected)
    assert e <= TOL, (f"eigenvalues {lam}, expected {expected}, "
                      f"rel err {e:.2e}")
    cond = lam[-1] / lam[0]
    assert abs(cond - condition) <= TOL * condition, (
        f"condition number {cond}, expected {condition}")


def test_quadratic_2d_is_tilted_by_30_degrees():
    h = quadratic(50.0).hessian(np.zeros(2))
    lam, q = np.linalg.eigh(h)
    flat = q[:, 0] * np.sign(q[0, 0])  # eigenvector of eigenvalue 1
    angle = np.degrees(np.arctan2(flat[1], flat[0]))
    assert abs(angle - 30.0) < 1e-9, f"flat direction at {angle} degrees"


@pytest.mark.parametrize("name", [n for n in CASES if n != "saddle"])
def test_minimum_is_a_minimum(name):
    p = CASES[name][0]()
    g = p.grad(p.minimum)
    assert np.abs(g).max() <= 1e-12, f"{name}: grad at minimum is {g}"
    assert abs(p.loss(p.minimum)) <= 1e-12, (
        f"{name}: loss at minimum is {p.loss(p.minimum)}, expected 0")
    lam = np.linalg.eigvalsh(p.hessian(p.minimum))
    assert lam.min() > 0, f"{name}: Hessian at minimum has eigenvalues {lam}"
    assert p.loss(p.x0) > 1e-3, f"{name}: x0 {p.x0} starts at the minimum"


def test_saddle_point():
    p = saddle()
    assert p.minimum is None
    origin = np.zeros(2)
    assert np.array_equal(p.grad(origin), origin), "origin is not stationary"
    lam = np.linalg.eigvalsh(p.hessian(origin))
    assert lam.min() < 0 < lam.max(), f"eigenvalues at 0: {lam}"
    assert np.allclose(lam, [-2.0, 2.0], rtol=0, atol=1e-15), lam
    # the quartic term makes two global minima at (0, +-sqrt 2), f = -1
    for y in (np.sqrt(2), -np.sqrt(2)):
        w = np.array([0.0, y])
        assert abs(p.loss(w) + 1) < 1e-12, f"f{w} = {p.loss(w)}, not -1"
        assert np.abs(p.grad(w)).max() < 1e-12, f"grad{w} = {p.grad(w)}"
    assert p.x0[1] != 0 and np.linalg.norm(p.x0) < 2, (
        f"x0 {p.x0} must be near the saddle but off the x axis")


@pytest.mark.parametrize("make", [
    lambda s: quadratic(50.0, 2, s), lambda s: quadratic(30.0, 6, s)])
def test_quadratic_is_deterministic(make):
    a, b = make(4), make(4)
    w = np.linspace(-1, 1, a.x0.size)
    assert np.array_equal(a.x0, b.x0) and np.array_equal(a.minimum,
                                                         b.minimum)
    assert np.array_equal(a.hessian(w), b.hessian(w))
    assert a.loss(w) == b.loss(w)


def test_quadratic_seed_changes_high_dim_problem():
    a, b = quadratic(30.0, 6, 0), quadratic(30.0, 6, 1)
    assert not np.allclose(a.hessian(a.x0), b.hessian(b.x0))
    assert not np.allclose(a.x0, b.x0)


def test_returned_arrays_are_not_shared():
    p = quadratic()
    h = p.hessian(p.x0)
    h[0, 0] = 1e6
    assert p.hessian(p.x0)[0, 0] != 1e6, "hessian returns internal state"
    quadratic().x0[0] = 1e6
    assert quadratic().x0[0] != 1e6, "x0 is shared between calls"
    c = p.minimum.copy()
    p.minimum[0] = 1e6
    assert np.abs(p.grad(c)).max() < 1e-12, "minimum aliases the centre"


def test_spirals_deterministic_and_balanced():
    x, y = spirals(n_per_class=50, classes=4, noise=0.2, seed=3)
    x2, y2 = spirals(n_per_class=50, classes=4, noise=0.2, seed=3)
    assert x.shape == (200, 2) and y.shape == (200,)
    assert x.dtype == np.float64 and np.issubdtype(y.dtype, np.integer)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    counts = np.bincount(y)
    assert counts.tolist() == [50] * 4, f"class counts {counts}"
    assert not np.allclose(x, spirals(50, 4, 0.2, seed=4)[0])
    r = np.linalg.norm(x, axis=1)
    assert r.max() <= 1 + 1e-12, f"radius {r.max()} exceeds 1"


def test_spirals_noise_free_arms_are_exact():
    x, y = spirals(n_per_class=5, classes=2, noise=0.0)
    r = np.linspace(0, 1, 5)
    theta = np.pi * y + 4 * np.tile(r, 2)
    expected = np.tile(r, 2)[:, None] * np.stack(
        [np.cos(theta), np.sin(theta)], axis=1)
    e = rel_err(x, expected)
    assert e <= 1e-12, f"noise-free spiral differs by rel err {e:.2e}"


@pytest.mark.parametrize("call, fragment", [
    (lambda: quadratic(0.5), "0.5"),
    (lambda: quadratic(10.0, dim=1), "got 1"),
    (lambda: rosenbrock(b=-1.0), "-1.0"),
    (lambda: spirals(n_per_class=1), "got 1"),
    (lambda: spirals(classes=1), "got 1"),
    (lambda: spirals(noise=-0.1), "-0.1"),
    (lambda: quadratic().grad(np.zeros(3)), "(3,)"),
])
def test_bad_arguments_name_the_value(call, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        call()
