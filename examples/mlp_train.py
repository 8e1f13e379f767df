"""Train a small multilayer perceptron with sct.grad on the two-moons data set.

The network is written the way PyTorch or micrograd users know it -- a ``Layer(n_in,
n_out)`` holding ``W`` and ``b``, an ``MLP([2, 16, 16, 1])`` made of layers, and
``parameters()`` listing the arrays to train -- but in plain NumPy. The loss is ordinary
NumPy code; ``sct.grad`` reads it and writes its gradient as a new Python function,
which this example prints once and then calls for every minibatch of stochastic
gradient descent. The two-moons data is generated here with a seeded random generator,
so every run prints the same numbers. The loss curve goes to ``mlp_train_loss.png``
when matplotlib is installed.

Run it from the repository root::

    python examples/mlp_train.py
"""

import numpy as np

import sct


def two_moons(n, noise, rng):
    """``n`` points in two interleaved half circles, labels -1 and +1."""
    n_top = n // 2
    t_top = rng.uniform(0.0, np.pi, n_top)
    t_bottom = rng.uniform(0.0, np.pi, n - n_top)
    top = np.stack([np.cos(t_top), np.sin(t_top)], axis=1)
    bottom = np.stack([1.0 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)], axis=1)
    X = np.concatenate([top, bottom]) + noise * rng.normal(size=(n, 2))
    y = np.concatenate([-np.ones(n_top), np.ones(n - n_top)])
    return X, y


class Layer:
    """A dense layer ``x @ W + b``, with W scaled for unit-variance outputs."""

    def __init__(self, n_in, n_out, rng):
        self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
        self.b = np.zeros(n_out)

    def __call__(self, x):
        return x @ self.W + self.b

    def parameters(self):
        return [self.W, self.b]


class MLP:
    """Dense layers with tanh between them; the last layer is linear (a logit)."""

    def __init__(self, sizes, rng):
        self.layers = [Layer(n_in, n_out, rng)
                       for n_in, n_out in zip(sizes[:-1], sizes[1:])]

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = np.tanh(layer(x))
        return self.layers[-1](x)[:, 0]

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# The function sct differentiates, with respect to the list ``model.parameters()``
# ([W1, b1, W2, b2, ...]): the gradient is a list of arrays in the same order.
def loss(params, X, y):
    """Mean logistic loss of the logits ``z`` for labels ``y`` in {-1, +1}."""
    h = X
    for k in range(0, len(params) - 2, 2):
        h = np.tanh(h @ params[k] + params[k + 1])
    z = (h @ params[-2] + params[-1])[:, 0]
    # log(1 + exp(-y z)), without overflow for large |z|
    return np.mean(np.logaddexp(0.0, -y * z))


def accuracy(model, X, y):
    return float(np.mean(np.sign(model(X)) == y))


def plot_losses(losses, path):
    """Plot the loss curve to ``path``; returns ``path``, or None without matplotlib."""
    try:
        from matplotlib.figure import Figure  # no pyplot: no GUI backend needed
    except ImportError:
        print("matplotlib is not installed: no loss plot")
        return None
    fig = Figure(figsize=(5, 3.5), layout="tight")
    ax = fig.subplots()
    ax.semilogy(np.arange(len(losses)), losses)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean logistic)")
    ax.set_title("MLP [2, 16, 16, 1] on two moons, SGD with sct.grad")
    fig.savefig(path, dpi=100)
    print(f"loss curve written to {path}")
    return path


def main(epochs=100, batch_size=20, lr=0.2, seed=0, plot_path="mlp_train_loss.png",
         every=20):
    """Train; returns a dict with the final accuracy, losses and the plot's path."""
    rng = np.random.default_rng(seed)
    X, y = two_moons(200, noise=0.1, rng=rng)
    model = MLP([2, 16, 16, 1], rng)
    params = model.parameters()
    dloss = sct.grad(loss)

    dloss(params, X[:batch_size], y[:batch_size])  # build it once, to show it
    print("Generated gradient source:\n")
    print(sct.source(dloss))

    losses = [float(loss(params, X, y))]  # the loss before training, at epoch 0
    print(f"epoch {0:4d}  loss {losses[0]:.4f}  accuracy {accuracy(model, X, y):.3f}")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            grads = dloss(params, X[batch], y[batch])
            for p, g in zip(params, grads):
                p -= lr * g  # in place: the model's own arrays
        losses.append(float(loss(params, X, y)))
        if epoch % every == 0:
            print(f"epoch {epoch:4d}  loss {losses[-1]:.4f}  "
                  f"accuracy {accuracy(model, X, y):.3f}")

    acc = accuracy(model, X, y)
    print(f"final training accuracy: {acc:.3f}; loss {losses[0]:.4f} before "
          f"training, {losses[-1]:.4f} after {epochs} epochs")
    path = plot_losses(losses, plot_path) if plot_path else None
    return {"accuracy": acc, "loss_before": losses[0], "loss_after": losses[-1],
            "losses": losses, "plot": path}


if __name__ == "__main__":
    main()
