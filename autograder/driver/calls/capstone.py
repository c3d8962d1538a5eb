"""Calls for the capstone: the network's loss, predict/accuracy, training.

- :func:`network_loss` calls ``network_loss`` once, with the dropout mask
  given as data (or at test time, with a generator it must not use);
- :func:`predict_accuracy` calls ``predict`` and ``accuracy`` on the same
  network and points;
- :func:`train` runs ``train`` with its own defaults on data the judge
  generated, and measures how long it took.

The outputs are what the student's functions returned (copied); nothing
here knows what they should be, nor how well a trained network does: the
validation accuracy is measured on the judge's side.
"""
from __future__ import annotations

import time

import numpy as np

from . import copied, returned

def network_loss(impl, *, params: dict, X, y, p_drop: float, lam: float,
                 mask=None, train: bool = True, rng_seed: int | None = None) -> dict:
    """``network_loss(params, X, y, p_drop=, lam=, ...)`` on copies: with
    ``masks=(mask,)`` when a mask is given, with ``train=False`` and
    ``rng=np.random.default_rng(rng_seed)`` at test time."""
    kwargs: dict = {"p_drop": p_drop, "lam": lam}
    if mask is not None:
        kwargs["masks"] = (copied(mask),)
    if not train:
        kwargs.update(train=False, rng=np.random.default_rng(rng_seed))
    loss, grads = returned(impl(copied(params), copied(X), copied(y), **kwargs),
                           "network_loss", "loss, grads")
    return {"loss": copied(loss), "grads": copied(grads)}


def predict_accuracy(pair, *, params: dict, X, y) -> dict:
    """``predict(params, X)`` and ``accuracy(params, X, y)``, each on its
    own copies."""
    predict, accuracy = pair
    labels = copied(predict(copied(params), copied(X)))
    return {"predict(params, X)": labels,
            "accuracy(params, X, y)": copied(accuracy(copied(params), copied(X), copied(y)))}


def train(impl, *, X, y, X_val, y_val) -> dict:
    """``train(X, y, X_val, y_val)`` with its defaults, on copies: the
    params it returned and how many seconds it took.
    The history is not sent: it is the student's own record of the run."""
    data = [copied(a) for a in (X, y, X_val, y_val)]
    start = time.perf_counter()
    result = impl(*data)
    took = time.perf_counter() - start
    params, _history = returned(result, "train", "params, history")
    return {"params": copied(params), "seconds": took}


CALLS = {"network_loss": network_loss, "predict_accuracy": predict_accuracy,
         "train": train}
