"""Shared pytest settings: torch is the oracle, in float64, on one thread."""
import numpy as np
import pytest
import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


@pytest.fixture
def rng():
    """A fresh, seeded generator for every test: results never depend on order."""
    return np.random.default_rng(0)
