"""The benchmark workloads: plain NumPy user functions, with hand-written gradients.

Every engine differentiates the same function objects defined here (engines that need
another array library rebind the global name ``np``, the code stays the same). Each
user function has a hand-written gradient ``<name>_grad`` with the same arguments,
returning one gradient per differentiated argument: the reference every engine is
checked against, and the baseline of the timing ratios. The smoke test checks the
hand-written gradients against central differences.

``instances(name, quick)`` gives the sizes that ``run.py`` measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEED = 0


@dataclass
class Instance:
    """One workload at one size: ``fn(*args)`` differentiated wrt ``argnums``."""

    workload: str
    size: str
    fn: object
    hand: object
    args: tuple
    argnums: tuple
    # forward mode builds a gradient from one jvp per input scalar: only for few inputs
    forward_ok: bool = False

    @property
    def label(self) -> str:
        return f"{self.workload} {self.size}".strip()


# --- 1. demo --------------------------------------------------------------------------
def demo(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def demo_grad(x1, x2):
    return 1.0 / x1 + x2, x1 - np.cos(x2)


def demo_instance():
    return Instance("demo", "", demo, demo_grad, (2.0, 5.0), (0, 1), forward_ok=True)


# --- 2. MLP loss: 2-layer tanh MLP, softmax cross-entropy -----------------------------
def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def mlp_loss_grad(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    probs = e / np.sum(e, axis=1, keepdims=True)
    # d loss / dz = (softmax(z) * sum(Y) - Y) / N, and each row of Y sums to 1
    dz = (probs - Y) / X.shape[0]
    dW2 = h.T @ dz
    db2 = np.sum(dz, axis=0)
    da = (dz @ W2.T) * (1.0 - h * h)
    dW1 = X.T @ da
    db1 = np.sum(da, axis=0)
    return dW1, db1, dW2, db2


def mlp_instance(hidden, batch=32, inputs=64, classes=10, seed=SEED):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((inputs, hidden)) / np.sqrt(inputs)
    b1 = 0.1 * rng.standard_normal(hidden)
    W2 = rng.standard_normal((hidden, classes)) / np.sqrt(hidden)
    b2 = 0.1 * rng.standard_normal(classes)
    X = rng.standard_normal((batch, inputs))
    Y = np.eye(classes)[rng.integers(0, classes, batch)]
    return Instance("mlp", f"H={hidden}", mlp_loss, mlp_loss_grad,
                    (W1, b1, W2, b2, X, Y), (0, 1, 2, 3))


# --- 3. scalar loop -------------------------------------------------------------------
def scalar_loop(x, y0, n):
    y = y0
    for i in range(n):
        y = np.sin(y) * x + 0.1 * y
    return y


def scalar_loop_grad(x, y0, n):
    # the forward loop keeps each step's y and sin(y): the reverse needs only cos(y)
    ys = []
    sins = []
    y = y0
    for i in range(n):
        s = np.sin(y)
        ys.append(y)
        sins.append(s)
        y = s * x + 0.1 * y
    y_bar = 1.0
    x_bar = 0.0
    for i in range(n - 1, -1, -1):
        x_bar += y_bar * sins[i]
        y_bar = y_bar * (x * np.cos(ys[i]) + 0.1)
    return x_bar, y_bar


def scalar_loop_instance(n):
    # x = 2 gives a stable fixed point near y = 2: the gradient neither vanishes nor
    # blows up with n, so engines can be compared with a relative tolerance
    return Instance("scalar_loop", f"n={n}", scalar_loop, scalar_loop_grad,
                    (2.0, 0.5, n), (0, 1), forward_ok=True)


# --- 4. RNN ---------------------------------------------------------------------------
def rnn_loss(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h ** 2)


def rnn_loss_grad(W, U, b, xs, h0):
    steps = xs.shape[0]
    hs = np.empty((steps + 1, h0.shape[0]))
    hs[0] = h0
    for t in range(steps):
        hs[t + 1] = np.tanh(W @ hs[t] + U @ xs[t] + b)
    # backpropagation through time: a_bar[t] is the adjoint of step t's pre-activation
    a_bar = np.empty((steps, h0.shape[0]))
    h_bar = 2.0 * hs[steps]
    for t in range(steps - 1, -1, -1):
        a_bar[t] = h_bar * (1.0 - hs[t + 1] ** 2)
        h_bar = W.T @ a_bar[t]
    return a_bar.T @ hs[:-1], a_bar.T @ xs, np.sum(a_bar, axis=0)


def rnn_instance(hidden, inputs=16, steps=50, seed=SEED):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    U = rng.standard_normal((hidden, inputs)) / np.sqrt(inputs)
    b = 0.1 * rng.standard_normal(hidden)
    xs = rng.standard_normal((steps, inputs))
    h0 = np.zeros(hidden)
    return Instance("rnn", f"H={hidden}", rnn_loss, rnn_loss_grad,
                    (W, U, b, xs, h0), (0, 1, 2))


# --- 5. large elementwise -------------------------------------------------------------
def elementwise(x):
    return np.sum(np.tanh(x) * np.exp(-x * x) + np.sin(x) ** 2)


def elementwise_grad(x):
    t = np.tanh(x)
    e = np.exp(-x * x)
    # d/dx [t e] = (1 - t^2) e - 2 x t e;  d/dx sin(x)^2 = sin(2x)
    return (e * (1.0 - t * t - 2.0 * x * t) + np.sin(2.0 * x),)


def elementwise_instance(size, seed=SEED):
    x = np.random.default_rng(seed).uniform(-2.0, 2.0, size)
    return Instance("elementwise", f"n={_count(size)}", elementwise, elementwise_grad,
                    (x,), (0,))


def _count(n):
    """``10**6`` as ``1e6``, other counts as they are."""
    digits = str(n)
    if n >= 1000 and digits.strip("0") == "1":
        return f"1e{len(digits) - 1}"
    return digits


# --- registry -------------------------------------------------------------------------
SIZES = {
    "demo": ([()], [()]),
    "mlp": ([(16,), (128,), (1024,)], [(16,)]),
    "scalar_loop": ([(100,), (1000,)], [(100,)]),
    "rnn": ([(32,), (256,)], [(32,)]),
    "elementwise": ([(10 ** 6,)], [(10 ** 4,)]),
}
MAKERS = {
    "demo": demo_instance,
    "mlp": mlp_instance,
    "scalar_loop": scalar_loop_instance,
    "rnn": rnn_instance,
    "elementwise": elementwise_instance,
}
NAMES = tuple(MAKERS)


def instances(name: str, quick: bool = False) -> list:
    """The instances of workload ``name`` that ``run.py`` measures (full or quick)."""
    full, small = SIZES[name]
    return [MAKERS[name](*size) for size in (small if quick else full)]


def tiny_instances() -> list:
    """Every workload at a size small enough for finite differences of every input."""
    return [demo_instance(), mlp_instance(3, batch=4, inputs=5, classes=3),
            scalar_loop_instance(7), rnn_instance(3, inputs=2, steps=4),
            elementwise_instance(9)]


# --- build time: a ~30-line straight-line function ------------------------------------
def straight_line(x, y, z):
    r2 = x * x + y * y + z * z
    r = np.sqrt(r2 + 1.0)
    inv_r = 1.0 / r
    u = x * inv_r
    v = y * inv_r
    w = z * inv_r
    a = np.sin(u) * np.cos(v) + np.tanh(w)
    b = np.exp(-0.5 * r2) * (u - v)
    c = np.log(1.0 + r2) - a * b
    d = a * a - b * b + c
    e = np.sin(d) / (2.0 + np.cos(c))
    f = e * u + d * v - c * w
    g = np.tanh(f) ** 2 + np.exp(-f * f)
    h = g * r + np.sqrt(1.0 + d * d)
    k = h / (1.0 + g * g)
    m = np.maximum(k, 0.0) + 0.5 * np.minimum(k, 0.0)
    p = m * np.sin(x) + k * np.cos(y) - h * np.sin(z)
    q = p / (1.0 + r) + np.arctan(u * v)
    s = q * q - p * g + e * f
    t = np.log(2.0 + np.sin(s))
    u2 = t * a + s * b - q * c
    v2 = np.tanh(u2) * np.exp(-0.1 * r2)
    w2 = v2 + 0.5 * u2 - 0.25 * t
    sx = np.sum(w2 * x)
    sy = np.sum(w2 * y * y)
    sz = np.mean(np.abs(z) * w2)
    total = sx + sy + sz + np.sum(p * q)
    return total * 0.5 + np.sum(np.sin(total * w2))


def straight_line_args(size=16, seed=SEED):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-1.0, 1.0, size) for _ in range(3))
