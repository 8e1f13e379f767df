"""Single-use temporaries nested back into the statement that reads them (sct/fold.py)."""

import numpy as np
import pytest

import sct
from fd import directional

rng = np.random.default_rng(5)


def layer(W, x, b):
    pre = W @ x + b          # a user name read once: it stays
    return np.sum(np.tanh(pre) * np.exp(-x @ x))


def looped(W, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.sin(W @ h + xs[t])
    return np.sum(h * h)


def test_user_names_stay_and_temporaries_fold():
    args = (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3))
    df = sct.grad(layer, argnums=(0, 1, 2))
    g = df(*args)
    src = sct.source(df)
    assert "pre = W @ x + b" in src
    assert "W_at_x" not in src  # W @ x is read once, by the next statement
    dirs = [rng.normal(size=np.shape(a)) for a in args]
    fd = directional(layer, args, (0, 1, 2), dirs)
    assert sum(np.vdot(gi, v) for gi, v in zip(g, dirs)) == pytest.approx(float(fd),
                                                                         rel=1e-6)


def test_a_loop_header_and_a_taped_value():
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(6, 3)))
    df = sct.grad(looped)
    g = df(*args)
    src = sct.source(df)
    assert "h = np.zeros(np.shape(W)[0])" in src
    assert "tape.append(h)" in src  # what the reverse reads is never folded away
    d = rng.normal(size=args[0].shape)
    assert np.vdot(g, d) == pytest.approx(float(directional(looped, args, (0,), [d])),
                                          rel=1e-6)
