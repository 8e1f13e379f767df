"""The examples in examples/ run, reach what they claim, and differentiate correctly.

Each example's ``main()`` is run once (imported by path) and its key numbers are
checked; each example's loss is differentiated by sct at one point and compared,
entry by entry, with central differences. ``mlp_train.py`` is also run as a script,
the way its docstring says, with the plot written to a temporary directory.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sct
from fd import central_gradient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EPS = 1e-6

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def load(name):
    spec = importlib.util.spec_from_file_location(f"examples_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mlp_train():
    return load("mlp_train")


@pytest.fixture(scope="module")
def rnn():
    return load("rnn")


@pytest.fixture(scope="module")
def ode():
    return load("ode")




def assert_gradients_close(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert np.shape(g) == np.shape(e)
        # relative 1e-5; the absolute floor is central-difference round-off
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


# --- mlp_train.py -----------------------------------------------------------------
def test_mlp_trains_to_high_accuracy(mlp_train, tmp_path):
    plot = tmp_path / "loss.png"
    result = mlp_train.main(plot_path=str(plot))
    assert result["accuracy"] >= 0.95
    assert result["loss_after"] < result["loss_before"] / 10
    assert len(result["losses"]) == 101  # before training, then after each epoch
    if HAVE_MATPLOTLIB:
        assert result["plot"] == str(plot)
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert result["plot"] is None and not plot.exists()


def test_mlp_gradient_matches_central_differences(mlp_train):
    rng = np.random.default_rng(1)
    X, y = mlp_train.two_moons(40, noise=0.1, rng=rng)
    params = mlp_train.MLP([2, 16, 16, 1], rng).parameters()
    for p in params:  # nonzero biases, so that their gradients are exercised fully
        p += 0.1 * rng.normal(size=p.shape)
    # the gradient with respect to the list of parameters, against central
    # differences of the same loss taking the arrays one by one
    got = sct.grad(mlp_train.loss)(params, X, y)
    assert isinstance(got, list) and len(got) == len(params)

    def flat(*a):
        return mlp_train.loss(list(a[:-2]), a[-2], a[-1])
    nums = tuple(range(len(params)))
    assert_gradients_close(tuple(got), central_gradient(flat, (*params, X, y), nums))


def test_mlp_loss_agrees_with_the_model(mlp_train):
    # the loss sct differentiates computes the same logits as MLP.__call__
    rng = np.random.default_rng(2)
    X, y = mlp_train.two_moons(30, noise=0.1, rng=rng)
    model = mlp_train.MLP([2, 16, 16, 1], rng)
    expected = np.mean(np.logaddexp(0.0, -y * model(X)))
    assert mlp_train.loss(model.parameters(), X, y) == pytest.approx(expected)


def test_mlp_script_runs(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, str(EXAMPLES / "mlp_train.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = proc.stdout
    assert out.count("def loss_grad(params, X, y):") == 1
    assert "# reverse sweep" in out
    assert "epoch  100" in out
    accuracy = float(out.split("final training accuracy: ")[1].split(";")[0])
    assert accuracy >= 0.95
    assert (tmp_path / "mlp_train_loss.png").exists() == HAVE_MATPLOTLIB


# --- rnn.py -------------------------------------------------------------------------
def test_rnn_training_lowers_the_loss(rnn):
    result = rnn.main()
    losses = result["losses"]
    assert len(losses) == 101
    assert result["loss_after"] < result["loss_before"] / 20
    # it learned the task, not the sequence: a fresh sequence's loss falls too
    assert result["held_out_after"] < result["held_out_before"] / 10


def test_rnn_gradient_matches_central_differences(rnn):
    rng = np.random.default_rng(3)
    xs, ys = rnn.sequence(15, rng)
    params = rnn.init_params(5, 1, rng)
    params[2] = 0.1 * rng.normal(size=5)
    nums = (0, 1, 2, 3)
    args = (*params, xs, ys)
    value, got = sct.value_and_grad(rnn.rnn_loss, argnums=nums)(*args)
    assert value == pytest.approx(rnn.rnn_loss(*args), rel=1e-12)
    assert_gradients_close(got, central_gradient(rnn.rnn_loss, args, nums))


# --- ode.py -------------------------------------------------------------------------
def test_ode_fit_recovers_the_parameters(ode):
    result = ode.main()
    fitted, truth = result["fitted"], result["truth"]
    # noise 0.01 on 101 observations: the fit is off by a few thousandths
    assert fitted["k"] == pytest.approx(truth["k"], abs=0.02)
    assert fitted["c"] == pytest.approx(truth["c"], abs=0.01)
    assert fitted["x0"] == pytest.approx(truth["x0"], abs=0.01)
    assert fitted["v0"] == pytest.approx(truth["v0"], abs=0.03)
    assert result["misfit_end"] < result["misfit_start"] / 1000
    assert result["iterations"] < 20  # converged (gradient below tolerance)
    # J.T @ r by forward mode equals the reverse-mode gradient at every iterate
    assert result["mode_gap"] < 1e-10


def test_ode_gradient_matches_central_differences(ode):
    rng = np.random.default_rng(4)
    obs = ode.simulate(*ode.TRUTH) + 0.01 * rng.normal(size=101)
    args = (3.0, 0.1, 0.8, 0.3, obs)
    nums = (0, 1, 2, 3)
    got = sct.grad(ode.misfit, argnums=nums)(*args)
    assert_gradients_close(got, central_gradient(ode.misfit, args, nums))


def test_ode_forward_mode_matches_central_differences(ode):
    theta = (3.0, 0.1, 0.8, 0.3)
    trajectory, J = ode.jacobian(theta)
    np.testing.assert_allclose(trajectory, ode.simulate(*theta), rtol=1e-14)
    assert J.shape == (101, 4)
    for i in range(4):
        plus, minus = list(theta), list(theta)
        plus[i] += EPS
        minus[i] -= EPS
        column = (ode.simulate(*plus) - ode.simulate(*minus)) / (2 * EPS)
        np.testing.assert_allclose(J[:, i], column, rtol=1e-5, atol=1e-7)


# --- gp.py --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gp():
    return load("gp")


def test_gp_fit_raises_the_evidence_and_finds_the_noise(gp):
    result = gp.main()
    assert result["end"] < result["start"] - 40.0
    assert 0.05 < result["noise"] < 0.2  # the data's noise is 0.1
    assert result["grad_norm"] < 1e-4  # a stationary point
    # sct's gradient through cholesky, solve and det equals the GP textbook formula
    assert result["closed_form_gap"] < 1e-10


def test_gp_gradient_matches_central_differences(gp):
    X, y = gp.data(n=8, seed=5)
    args = (0.3, -0.2, -1.5, X, y)
    nums = (0, 1, 2)
    got = sct.grad(gp.neg_log_evidence, argnums=nums)(*args)
    assert_gradients_close(got, central_gradient(gp.neg_log_evidence, args, nums))
