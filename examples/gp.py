"""Fit a Gaussian process's hyperparameters by gradient descent on its evidence.

``neg_log_evidence`` is the textbook negative log marginal likelihood of a GP with a
squared-exponential kernel, written as one would in NumPy: the kernel matrix, its
Cholesky factor, two triangular solves and the log-determinant read off the factor's
diagonal (``np.diag``). sct differentiates it with respect to the log lengthscale, the log signal
scale and the log noise, through ``np.linalg.cholesky`` and ``np.linalg.solve``:
the generated gradient is printed, and plain gradient descent with a backtracking
step recovers hyperparameters that explain data drawn from a known function.

The gradient is checked against the closed form every GP text gives,
``dL/dtheta = -1/2 tr((alpha alpha^T - K^-1) dK/dtheta)``, at the start.

Run it from the repository root::

    python examples/gp.py
"""

import numpy as np

import sct

NAMES = ("log lengthscale", "log signal", "log noise")


def kernel(log_ell, log_sf, X):
    d = X[:, None] - X[None, :]
    return np.exp(2.0 * log_sf) * np.exp(-0.5 * d * d / np.exp(2.0 * log_ell))


def neg_log_evidence(log_ell, log_sf, log_sn, X, y):
    """-log p(y | X, theta), up to the constant n/2 log(2 pi)."""
    K = kernel(log_ell, log_sf, X) + np.exp(2.0 * log_sn) * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    # log det K = 2 log det L, and L is triangular: det L is its diagonal's product
    return 0.5 * (y @ alpha) + np.sum(np.log(np.diag(L)))


def closed_form_gradient(theta, X, y):
    """The GP literature's formula for the same gradient (a check, not sct)."""
    log_ell, log_sf, log_sn = theta
    n = X.shape[0]
    Kf = kernel(log_ell, log_sf, X)
    K = Kf + np.exp(2.0 * log_sn) * np.eye(n)
    Kinv = np.linalg.inv(K)
    alpha = Kinv @ y
    d = X[:, None] - X[None, :]
    dK = (Kf * d * d / np.exp(2.0 * log_ell), 2.0 * Kf,
          2.0 * np.exp(2.0 * log_sn) * np.eye(n))
    A = np.outer(alpha, alpha) - Kinv
    return np.array([-0.5 * np.sum(A * D) for D in dK])


def data(n=30, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(-3.0, 3.0, n))
    y = np.sin(2.0 * X) + noise * rng.normal(size=n)
    return X, y


def main(steps=100, seed=0):
    """Fit; returns a dict with the evidence before and after and the checks."""
    X, y = data(seed=seed)
    grad = sct.value_and_grad(neg_log_evidence, argnums=(0, 1, 2))
    theta = np.array([1.0, 0.0, -1.0])  # lengthscale e, signal 1, noise e^-1
    value, g = grad(*theta, X, y)
    print("Generated source of the gradient (Cholesky, solves and diagonal included):\n")
    print(sct.source(grad))
    closed = closed_form_gradient(theta, X, y)
    gap = float(np.max(np.abs(np.array(g) - closed)) / np.max(np.abs(closed)))
    print("gradient at the start: " + ", ".join(f"{n} {v:+.4f}" for n, v in zip(NAMES, g))
          + f"  (the closed form agrees to {gap:.1e})")
    start = value
    rate = 0.05
    for step in range(steps):
        value, g = grad(*theta, X, y)
        g = np.array(g)
        while True:  # halve the step until the evidence improves
            trial = theta - rate * g
            new = neg_log_evidence(*trial, X, y)
            if new < value or rate < 1e-8:
                break
            rate *= 0.5
        theta, rate = trial, rate * 1.5
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:3d}  -log evidence {new:9.4f}  " + "  ".join(
                f"{n} {t:+.3f}" for n, t in zip(NAMES, theta)))
    ell, sf, sn = np.exp(theta)
    print(f"\nfitted: lengthscale {ell:.3f}, signal {sf:.3f}, noise {sn:.3f} "
          f"(the data's noise is 0.1)")
    return {"start": float(start), "end": float(new), "theta": theta,
            "noise": float(sn), "closed_form_gap": gap, "grad_norm": float(
                np.linalg.norm(grad(*theta, X, y)[1]))}


if __name__ == "__main__":
    main()
