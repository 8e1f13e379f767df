"""Fit a damped oscillator to noisy observations, differentiating through RK4.

``simulate`` integrates ``x'' = -k x - c x'`` with the classical fourth-order
Runge-Kutta method, a plain Python loop over 100 time steps, and returns the positions.
sct differentiates the whole integration, loop included, in both modes:

- reverse mode, ``sct.grad(misfit, argnums=(0, 1, 2, 3))``: the gradient of the
  squared misfit to the observations with respect to the stiffness ``k``, the
  damping ``c`` and the initial state ``(x0, v0)``, from one backward pass;
- forward mode, ``sct.jvp(simulate, ...)``: how the whole trajectory moves when one
  parameter does, one column of the Jacobian per pass.

Gauss-Newton uses the Jacobian columns to recover the four numbers from observations
made with known true values plus seeded noise, and stops when the reverse-mode
gradient vanishes. At every step, ``J.T @ r`` from forward mode equals the reverse-mode
gradient: the two modes are checked against each other.

The printed source is the misfit's gradient; simulate's own derivative (the RK4 loop,
then its reverse, about 250 lines) is printed by
``print(sct.source(sct.vjp(simulate, 3.0, 0.1, 0.8, 0.3)[1]))``.

Run it from the repository root::

    python examples/ode.py
"""

import numpy as np

import sct

TRUTH = (4.0, 0.3, 1.0, 0.0)  # k, c, x0, v0
NAMES = ("k", "c", "x0", "v0")


def acceleration(x, v, k, c):
    return -k * x - c * v


def simulate(k, c, x0, v0, dt=0.1, n_steps=100):
    """Positions at t = 0, dt, ..., n_steps * dt, by RK4 on (x, v)."""
    x = x0
    v = v0
    xs = [x]
    for i in range(n_steps):
        a1 = acceleration(x, v, k, c)
        x2 = x + 0.5 * dt * v
        v2 = v + 0.5 * dt * a1
        a2 = acceleration(x2, v2, k, c)
        x3 = x + 0.5 * dt * v2
        v3 = v + 0.5 * dt * a2
        a3 = acceleration(x3, v3, k, c)
        x4 = x + dt * v3
        v4 = v + dt * a3
        a4 = acceleration(x4, v4, k, c)
        x = x + dt / 6.0 * (v + 2.0 * v2 + 2.0 * v3 + v4)
        v = v + dt / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
        xs.append(x)
    return np.array(xs)


def misfit(k, c, x0, v0, obs):
    """Half the squared distance between the simulated and observed positions."""
    r = simulate(k, c, x0, v0) - obs
    return 0.5 * np.sum(r * r)


def jacobian(theta):
    """The trajectory and its Jacobian in (k, c, x0, v0): one jvp per column."""
    columns = []
    for i in range(len(theta)):
        tangent = [0.0] * len(theta)
        tangent[i] = 1.0
        trajectory, column = sct.jvp(simulate, theta, tangent)
        columns.append(column)
    return trajectory, np.stack(columns, axis=1)


def main(start=(3.0, 0.1, 0.8, 0.3), noise=0.01, seed=0, max_iterations=20, gtol=1e-7):
    """Fit (k, c, x0, v0); returns a dict with the fit, the truth and the misfits."""
    rng = np.random.default_rng(seed)
    obs = simulate(*TRUTH)
    obs = obs + noise * rng.normal(size=obs.shape)
    dmisfit = sct.grad(misfit, argnums=(0, 1, 2, 3))
    theta = tuple(float(t) for t in start)

    grad_start = np.array(dmisfit(*theta, obs))
    print("Generated source of the misfit's gradient (simulate_fwd and simulate_bwd")
    print("are simulate's own derivative: the RK4 loop, then its reverse):\n")
    print(sct.source(dmisfit))
    print("gradient at the start, by reverse mode:\n  "
          + ", ".join(f"d/d{n} = {g:.4f}" for n, g in zip(NAMES, grad_start)))

    misfit_start = float(misfit(*theta, obs))
    mode_gap = 0.0  # largest |J.T r - gradient|, relative: forward against reverse
    print("\nGauss-Newton, Jacobian by forward mode (sct.jvp):")
    print(f"{'iter':>4} {'misfit':>10} " + " ".join(f"{n:>8}" for n in NAMES)
          + f" {'|grad|':>9}")
    for iteration in range(max_iterations + 1):
        trajectory, J = jacobian(theta)
        r = trajectory - obs
        g = np.array(dmisfit(*theta, obs))
        gap = np.max(np.abs(J.T @ r - g)) / (1.0 + np.max(np.abs(g)))
        mode_gap = max(mode_gap, float(gap))
        print(f"{iteration:4d} {0.5 * r @ r:10.6f} "
              + " ".join(f"{t:8.5f}" for t in theta) + f" {np.linalg.norm(g):9.2e}")
        if np.linalg.norm(g) < gtol or iteration == max_iterations:
            break
        step = np.linalg.lstsq(J, -r, rcond=None)[0]
        # a full Gauss-Newton step can overshoot far from the solution: halve it
        # until the misfit goes down
        current = 0.5 * r @ r
        for _ in range(30):
            trial = tuple(float(t) for t in np.add(theta, step))
            if misfit(*trial, obs) < current:
                break
            step = 0.5 * step
        theta = trial

    misfit_end = float(misfit(*theta, obs))
    print("\nfitted:\n  " + ", ".join(f"{n} = {t:.4f} (true {true})"
                                     for n, t, true in zip(NAMES, theta, TRUTH)))
    print(f"misfit {misfit_start:.4f} -> {misfit_end:.6f}; forward and reverse mode "
          f"agree to {mode_gap:.1e}")
    return {"fitted": dict(zip(NAMES, theta)), "truth": dict(zip(NAMES, TRUTH)),
            "misfit_start": misfit_start, "misfit_end": misfit_end,
            "iterations": iteration, "mode_gap": mode_gap, "grad_start": grad_start,
            "start": start, "obs": obs}


if __name__ == "__main__":
    main()
