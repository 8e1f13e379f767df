"""Forward mode and second order: sct.jvp and sct.hvp against what they replace.

Usage: ``python benchmarks/forward.py [--quick] [--json PATH] [--threads N]``

- jvp of the scalar loop ``y = sin(y)*x + 0.1*y`` (n = 100, 1000) against a
  hand-written tangent loop (the primal and its tangent in one pass);
- the Hessian-vector product of the MLP loss (hidden 16/128/1024), forward over
  reverse, against one gradient evaluation (sct.grad) and the hand-written gradient.

Each result is checked before it is timed (the tangent against the hand-written one,
the Hessian-vector product against central differences of the hand-written gradient).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import threads  # noqa: E402

if __name__ == "__main__":  # before NumPy's import: see threads.py
    threads.limit_from_argv(sys.argv[1:])

import numpy as np  # noqa: E402

from benchmarks import common, workloads  # noqa: E402


def scalar_loop_tangent(x, y0, n, x_dot, y0_dot):
    """Hand-written forward mode of ``workloads.scalar_loop``."""
    y, y_dot = y0, y0_dot
    for i in range(n):
        s = np.sin(y)
        y_dot = np.cos(y) * y_dot * x + s * x_dot + 0.1 * y_dot
        y = s * x + 0.1 * y
    return y, y_dot


def _close(a, b, rtol=1e-6) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.allclose(a, b, rtol=rtol, atol=rtol * float(np.max(np.abs(b)))))


def jvp_rows(sct, n, target, repeats):
    x, y0 = 2.0, 0.5
    tan = (0.3, -1.0)
    want = scalar_loop_tangent(x, y0, n, *tan)
    got = sct.jvp(workloads.scalar_loop, (x, y0, n), (*tan, None))
    if not (_close(got[0], want[0]) and _close(got[1], want[1])):
        raise AssertionError(f"sct.jvp of the scalar loop is wrong: {got} != {want}")
    thunks = {
        "function": lambda: workloads.scalar_loop(x, y0, n),
        "hand-written tangent loop": lambda: scalar_loop_tangent(x, y0, n, *tan),
        "sct.jvp": lambda: sct.jvp(workloads.scalar_loop, (x, y0, n), (*tan, None)),
    }
    return _rows("scalar_loop jvp", f"n={n}", thunks, "hand-written tangent loop",
                 target, repeats)


def hvp_rows(sct, hidden, target, repeats):
    inst = workloads.mlp_instance(hidden)
    args = inst.args
    rng = np.random.default_rng(1)
    params = args[:4]
    vs = tuple(rng.standard_normal(p.shape) for p in params)
    data = args[4:]
    zeros = (None,) * len(data)  # data: no tangent, no derivative
    nums = (0, 1, 2, 3)  # the Hessian over the parameters, as one gradient's
    got = sct.hvp(workloads.mlp_loss, args, vs + zeros, argnums=nums)
    eps = 1e-5
    plus = workloads.mlp_loss_grad(*(p + eps * v for p, v in zip(params, vs)), *data)
    minus = workloads.mlp_loss_grad(*(p - eps * v for p, v in zip(params, vs)), *data)
    for k, (g, a, b) in enumerate(zip(got, plus, minus)):
        fd = (a - b) / (2 * eps)
        if not np.allclose(g, fd, rtol=1e-4, atol=1e-6 * float(np.max(np.abs(fd)))):
            raise AssertionError(f"sct.hvp of the MLP loss is wrong in block {k}")
    grad = sct.grad(workloads.mlp_loss, argnums=(0, 1, 2, 3))
    thunks = {
        "hand-written gradient": lambda: workloads.mlp_loss_grad(*args),
        "sct.grad": lambda: grad(*args),
        "sct.hvp": lambda: sct.hvp(workloads.mlp_loss, args, vs + zeros, argnums=nums),
    }
    return _rows("mlp hvp", f"H={hidden}", thunks, "sct.grad", target, repeats)


def _rows(workload, size, thunks, base, target, repeats):
    timed = common.measure_interleaved(thunks, target, repeats)
    ref = timed[base][1]
    return [{"workload": workload, "size": size, "engine": name,
             "median_s": common.median(per_call), "times_s": per_call, "baseline": base,
             "ratio": common.paired_ratio(per_call, ref)}
            for name, (_, per_call) in timed.items()]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    p.add_argument("--json", default=None, help="where to write the JSON results")
    p.add_argument("--threads", type=int, default=1,
                   help="threads per array library when run as a script (0: defaults)")
    args = p.parse_args(argv)
    import sct
    repeats, target = (3, 0.02) if args.quick else (7, 0.2)
    t0 = time.perf_counter()
    rows = []
    for n in ((100,) if args.quick else (100, 1000)):
        rows += jvp_rows(sct, n, target, repeats)
    for hidden in ((16,) if args.quick else (16, 128, 1024)):
        rows += hvp_rows(sct, hidden, target, repeats)
    env = common.environment()
    table = common.markdown_table(
        ["workload", "size", "what", "time/call", "ratio", "to"],
        [[r["workload"], r["size"], r["engine"], common.fmt_time(r["median_s"]),
          common.fmt_ratio(r["ratio"]), r["baseline"]] for r in rows])
    print(f"# Forward mode and Hessian-vector products ({'quick' if args.quick else 'full'})\n")
    print(common.environment_line(env) + "\n")
    print(table)
    print(f"\nMedian of {repeats} repeats of ~{target} s each, the callables taking turns. "
          f"Threads per array library: {threads.requested() or 'library defaults'}.")
    payload = {"benchmark": "forward", "environment": env,
               "settings": {"quick": args.quick, "repeats": repeats, "target_s": target,
                            "threads": threads.describe(),
                            "wall_s": time.perf_counter() - t0},
               "results": rows, "table": table}
    path = common.write_json(args.json or common.default_json_path("forward-"), payload)
    print(f"\nJSON written to {common.relative_to_cwd(path)}")
    return payload


if __name__ == "__main__":
    main()
