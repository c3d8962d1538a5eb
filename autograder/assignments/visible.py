"""Code given to students for their visible checks: numpy only.

The assignment specs put these sources into a provided (locked) cell, so a
notebook's visible checks run where neither the reference nor the grader
is installed.
"""

GRADIENT_HELPERS = r'''
def numerical_gradient(f, x, h=1e-5):
    """Centered differences (f(x + h e_i) - f(x - h e_i)) / (2h) for every
    entry i of the float array x; f(x) returns a number. x is changed in
    place while f runs, and restored."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def relative_error(a, b):
    """Largest |a - b| / max(|a|, |b|, 1e-8) over the entries."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)
    return float(np.max(np.abs(a - b) / scale, initial=0.0))
'''
