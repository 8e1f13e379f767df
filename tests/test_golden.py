"""Generated source compared with reviewed golden files in tests/golden/.

Run ``python -m pytest tests/test_golden.py --update-golden`` to rewrite them after an
intended change, and review the diff like any code change.
"""

import os

import numpy as np
import pytest

import golden_cases as gc
import sct

HERE = os.path.join(os.path.dirname(__file__), "golden")
rng = np.random.default_rng(0)

GOLDEN = {
    "demo_grad": (sct.grad(gc.f, argnums=(0, 1)), (2.0, 5.0)),
    "loss_grad": (sct.grad(gc.loss), (np.ones(3), np.ones(3))),
    "loss_vjp": (None, (gc.loss, np.ones(3), np.ones(3))),
    "mlp_grad": (sct.grad(gc.mlp_loss, argnums=(0, 1, 2, 3)),
                 (np.ones((4, 5)), np.ones(5), np.ones((5, 3)), np.ones(3), np.ones((2, 4)),
                  np.eye(3)[:2])),
    "scalar_loop_grad": (sct.grad(gc.scalar_loop, argnums=(0, 1)), (0.5, 0.1, 3)),
    "branch_grad": (sct.grad(gc.branch), (0.5,)),
    "calls_helper_grad": (sct.grad(gc.calls_helper, argnums=(0, 1)), (0.5, 0.1)),
    "logsumexp_grad": (sct.grad(gc.logsumexp), (np.array([0.5, 2.0, 1.0]),)),
}


def generated(name):
    g, args = GOLDEN[name]
    if g is None:
        _, back = sct.vjp(*args)
        return sct.source(back)
    g(*args)
    return sct.source(g)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_source(name, request):
    src = generated(name)
    path = os.path.join(HERE, f"{name}.py")
    if request.config.getoption("--update-golden"):
        os.makedirs(HERE, exist_ok=True)
        with open(path, "w") as fh:
            fh.write(src)
    with open(path) as fh:
        assert src == fh.read()


def test_source_is_deterministic():
    import subprocess
    import sys
    code = ("import sys; sys.path.insert(0, 'tests'); import golden_cases as gc, sct; "
            "g = sct.grad(gc.mlp_loss, argnums=(0, 1, 2, 3)); import numpy as np; "
            "g(np.ones((4, 5)), np.ones(5), np.ones((5, 3)), np.ones(3), np.ones((2, 4)), "
            "np.eye(3)[:2]); print(sct.source(g))")
    root = os.path.dirname(os.path.dirname(__file__))
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=root, check=True).stdout for _ in range(2)}
    assert len(outs) == 1
    assert outs.pop() == generated("mlp_grad") + "\n"
