"""Central finite differences for the tests (float64, step 1e-6)."""

import numpy as np

EPS = 1e-6


def _perturb(args, i, delta):
    args = list(args)
    args[i] = args[i] + delta
    return args


def directional(f, args, argnums, directions, eps=EPS):
    """(f(x + eps v) - f(x - eps v)) / (2 eps) along ``directions`` (one per argnum)."""
    plus, minus = copied(args), copied(args)
    for i, v in zip(argnums, directions):
        plus[i] = args[i] + eps * v
        minus[i] = args[i] - eps * v
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * eps)


def copied(args):
    """Fresh copies of array arguments: a primal that writes into its input must not
    change the test's data."""
    return [np.array(a) if isinstance(a, np.ndarray) else a for a in args]


def value(f, args):
    return f(*copied(args))


def random_like(x, rng):
    if isinstance(x, np.ndarray):
        return rng.normal(size=x.shape)
    return float(rng.normal())


def central_gradient(fn, args, argnums, eps=EPS):
    """Every entry of the gradient by central differences (small inputs only)."""
    grads = []
    for i in argnums:
        x = np.asarray(args[i], dtype=float)
        g = np.empty(x.shape)
        for j in np.ndindex(x.shape):
            plus, minus = list(args), list(args)
            xp, xm = x.copy(), x.copy()
            xp[j] += eps
            xm[j] -= eps
            plus[i] = xp if x.ndim else float(xp)
            minus[i] = xm if x.ndim else float(xm)
            g[j] = (fn(*plus) - fn(*minus)) / (2 * eps)
        grads.append(g)
    return grads


def line_of(fn, marker):
    """The line of ``fn``'s source that ends with the comment ``# <- marker``."""
    import inspect
    lines, start = inspect.getsourcelines(fn)
    for i, text in enumerate(lines):
        if f"# <- {marker}" in text:
            return start + i
    raise AssertionError(f"marker {marker!r} not found")
