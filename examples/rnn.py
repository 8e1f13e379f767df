"""Differentiate a recurrent network through its loop over time, and train it.

The RNN reads a sequence one step at a time, ``h = tanh(W @ h + U @ x_t + b)``, and
predicts ``y_t = v @ h``. Its target is the input from two steps earlier, so the
state has to remember. The loss is a Python ``for`` loop over the sequence in plain
NumPy; ``sct.value_and_grad`` writes its derivative as a new function -- a forward
sweep that puts on a tape what each pass of the loop overwrites, then the reversed
loop (backpropagation through time) -- and this example prints that source before
taking gradient-descent steps that lower the loss on the training sequence and on a
fresh one.

Run it from the repository root::

    python examples/rnn.py
"""

import numpy as np

import sct

DELAY = 2  # the target at step t is the input at step t - DELAY


def rnn_loss(W, U, b, v, xs, ys):
    """Mean squared error of the predictions ``v @ h`` along the sequence."""
    h = np.zeros(len(b))
    total = 0.0
    for x_t, y_t in zip(xs, ys):
        h = np.tanh(W @ h + U @ x_t + b)
        err = v @ h - y_t
        total = total + err * err
    return total / len(ys)


def sequence(length, rng):
    """Inputs ``xs`` (length x 1) uniform in [-1, 1] and targets: the delayed input."""
    xs = rng.uniform(-1.0, 1.0, size=(length, 1))
    ys = np.concatenate([np.zeros(DELAY), xs[:-DELAY, 0]])
    return xs, ys


def init_params(n_hidden, n_in, rng):
    W = 0.3 * rng.normal(size=(n_hidden, n_hidden)) / np.sqrt(n_hidden)
    U = rng.normal(size=(n_hidden, n_in))
    b = np.zeros(n_hidden)
    v = rng.normal(size=n_hidden) / np.sqrt(n_hidden)
    return [W, U, b, v]


def main(steps=100, lr=0.3, n_hidden=8, length=60, seed=0, every=20):
    """Train; returns a dict with the losses before and after, on both sequences."""
    rng = np.random.default_rng(seed)
    xs, ys = sequence(length, rng)
    xs_new, ys_new = sequence(length, rng)  # never trained on
    params = init_params(n_hidden, 1, rng)
    step_fn = sct.value_and_grad(rnn_loss, argnums=(0, 1, 2, 3))

    step_fn(*params, xs, ys)  # build it once, to show it
    print("Generated source of the loss and its gradient:\n")
    print(sct.source(step_fn))
    print("The tape keeps, per pass of the loop:",
          ", ".join(sct.records(step_fn)["values"]), "\n")

    held_out_before = float(rnn_loss(*params, xs_new, ys_new))
    losses = []
    for step in range(steps + 1):
        value, grads = step_fn(*params, xs, ys)
        losses.append(float(value))
        if step % every == 0:
            print(f"step {step:4d}  training loss {value:.5f}")
        if step < steps:
            params = [p - lr * g for p, g in zip(params, grads)]
    held_out_after = float(rnn_loss(*params, xs_new, ys_new))
    print(f"training loss: {losses[0]:.5f} -> {losses[-1]:.5f} "
          f"({losses[0] / losses[-1]:.0f}x lower)")
    print(f"loss on a fresh sequence: {held_out_before:.5f} -> {held_out_after:.5f}")
    return {"loss_before": losses[0], "loss_after": losses[-1], "losses": losses,
            "held_out_before": held_out_before, "held_out_after": held_out_after,
            "params": params}


if __name__ == "__main__":
    main()
