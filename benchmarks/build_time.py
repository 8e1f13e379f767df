"""How long sct takes to build a derivative, and what a cache hit costs.

Usage: ``python benchmarks/build_time.py [--quick] [--json PATH] [--threads N]``

The function is ``workloads.straight_line``, ~30 lines of straight-line NumPy. A cold
build needs a function sct has never seen: each repeat writes the function's source to
a new module file and imports it (so ``inspect.getsource`` reads a real file), then
times ``sct.grad(f)`` and the first call. The warm measurements reuse one function:

- ``warm call``: the same gradient function called again (a dispatcher hit);
- ``sct.grad(f)(x) (warm cache)``: a new dispatcher for an already-built derivative,
  then the call: what code that writes ``sct.grad(f)(x)`` inline pays each time;
- ``generated function``: the derivative sct generated, called directly, so that
  ``warm call`` minus this is the dispatch overhead;
- ``function``: ``f`` itself, for scale.

The warm measurements are repeated on the two-scalar ``demo``, where dispatch is a
larger share of a call.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import threads  # noqa: E402

if __name__ == "__main__":  # before NumPy's import: see threads.py
    threads.limit_from_argv(sys.argv[1:])

from benchmarks import common, engines, workloads  # noqa: E402

ARGNUMS = (0, 1, 2)


def module_source() -> str:
    return "import numpy as np\n\n\n" + inspect.getsource(workloads.straight_line)


def load_fresh(directory: Path, k: int, text: str):
    """``straight_line`` from a new module file ``directory/sct_build_<k>.py``."""
    name = f"sct_build_{k}"
    path = directory / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module.straight_line


def cold_builds(sct, args, repeats: int) -> list:
    """[(seconds of sct.grad(f), seconds of the first call), ...] on new functions."""
    text = module_source()
    out = []
    with tempfile.TemporaryDirectory(prefix="sct_build_") as tmp:
        for k in range(repeats):
            fn = load_fresh(Path(tmp), k, text)
            t0 = time.perf_counter()
            g = sct.grad(fn, argnums=ARGNUMS)
            t1 = time.perf_counter()
            g(*args)
            t2 = time.perf_counter()
            out.append((t1 - t0, t2 - t1))
    return out


def fd_error(g, fn, args, h=1e-6) -> float:
    """Largest relative difference between ``g`` and central differences of ``fn``."""
    grads = g(*args)
    worst = 0.0
    for i in ARGNUMS:
        for j in range(args[i].size):
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[i].flat[j] += h
            minus[i].flat[j] -= h
            fd = (fn(*plus) - fn(*minus)) / (2 * h)
            worst = max(worst, abs(grads[i].flat[j] - fd) / max(1.0, abs(fd)))
    return worst


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="few repeats (a few seconds)")
    p.add_argument("--json", default=None, help="where to write the JSON results "
                   "(default: benchmarks/results/build_time-<timestamp>.json)")
    p.add_argument("--threads", type=int, default=1,
                   help="threads per array library, applied when run as a script "
                        "(default 1, 0 for the libraries' defaults; see threads.py)")
    p.add_argument("--repeats", type=int, default=None,
                   help="cold builds and timed repeats (default 9, quick 3)")
    args_ns = p.parse_args(argv)
    repeats = args_ns.repeats or (3 if args_ns.quick else 9)
    target = 0.02 if args_ns.quick else 0.2

    import sct
    engines.warm_up()
    fn = workloads.straight_line
    args = workloads.straight_line_args()

    builds = cold_builds(sct, args, repeats)
    wrap_s = [b[0] for b in builds]
    first_s = [b[1] for b in builds]

    g = sct.grad(fn, argnums=ARGNUMS)
    g(*args)
    generated = g.__sct__["state"]["last"].functions[0]
    src = sct.source(g)
    # the same on the two-scalar demo, where the dispatch is a larger share of a call
    demo = engines.fresh(workloads.demo)
    gd = sct.grad(demo, argnums=(0, 1))
    gd(2.0, 5.0)
    demo_generated = gd.__sct__["state"]["last"].functions[0]
    thunks = {
        "warm call": lambda: g(*args),
        "sct.grad(f)(x) (warm cache)": lambda: sct.grad(fn, argnums=ARGNUMS)(*args),
        "generated function": lambda: generated(*args),
        "function": lambda: fn(*args),
        "demo: warm call": lambda: gd(2.0, 5.0),
        "demo: sct.grad(f)(x) (warm cache)":
            lambda: sct.grad(demo, argnums=(0, 1))(2.0, 5.0),
        "demo: generated function": lambda: demo_generated(2.0, 5.0),
        "demo: function": lambda: demo(2.0, 5.0),
    }
    timed = common.measure_interleaved(thunks, target, repeats)
    med = {name: common.median(v[1]) for name, v in timed.items()}
    overhead = {k: med[f"{k}warm call"] - med[f"{k}generated function"]
                for k in ("", "demo: ")}

    rows = [
        ["cold: sct.grad(f)", common.fmt_time(common.median(wrap_s)), "",
         "new function"],
        ["cold: first call (build + run)", common.fmt_time(common.median(first_s)),
         common.fmt_ratio(common.median(first_s) / med["function"]), "new function"],
    ]
    for name in thunks:
        f_name = "demo: function" if name.startswith("demo: ") else "function"
        rows.append([name, common.fmt_time(med[name]),
                     common.fmt_ratio(med[name] / med[f_name]), ""])
    for k, v in overhead.items():
        rows.append([f"{k}dispatch overhead (warm call - generated)",
                     common.fmt_time(max(v, 0.0)), "", "difference of medians"])
    text = common.markdown_table(["what", "median", "÷ f", "note"], rows)
    err = fd_error(g, fn, args)

    env = common.environment()
    size = args[0].size
    print("# sct build time\n")
    print(common.environment_line(env) + "\n")
    print(f"`straight_line`: {len(inspect.getsource(fn).splitlines())} source lines, "
          f"3 arrays of {size} floats; generated derivative: "
          f"{len(src.splitlines())} lines; gradient vs central differences: max "
          f"relative error {err:.2g}.\n")
    print(text)
    print(f"\nMedian of {repeats} cold builds (each on a new module) and of {repeats} "
          f"timed repeats of ~{target} s for the rest.")
    payload = {
        "benchmark": "build_time", "environment": env,
        "settings": {"quick": args_ns.quick, "repeats": repeats, "target_s": target,
                     "size": size, "threads": threads.describe()},
        "results": {
            "cold_grad_s": wrap_s, "cold_first_call_s": first_s,
            "cold_first_call_median_s": common.median(first_s),
            "timed": {name: {"loops": v[0], "times_s": v[1], "median_s": med[name]}
                      for name, v in timed.items()},
            "dispatch_overhead_s": overhead[""],
            "demo_dispatch_overhead_s": overhead["demo: "],
            "source_lines": len(inspect.getsource(fn).splitlines()),
            "generated_lines": len(src.splitlines()),
            "fd_max_rel_error": err,
        },
        "table": text,
    }
    path = common.write_json(args_ns.json or common.default_json_path("build_time-"),
                             payload)
    print(f"\nJSON written to {common.relative_to_cwd(path)}")
    return payload


if __name__ == "__main__":
    main()
