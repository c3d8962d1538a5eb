"""What the oracle tests share: one measure of how far two arrays are apart."""
import numpy as np


def rel_err(a, b) -> float:
    """max|a - b| / max(max|a|, max|b|, 1e-12) over all entries.

    The shapes must agree: broadcasting would hide a wrong shape.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    scale = max(np.max(np.abs(a), initial=0.0),
                np.max(np.abs(b), initial=0.0), 1e-12)
    return float(np.max(np.abs(a - b), initial=0.0) / scale)
