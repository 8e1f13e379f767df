"""Gradient time per call of every engine on every workload, against hand-written NumPy.

Usage: ``python benchmarks/run.py [--quick] [--only mlp,rnn] [--json PATH]
[--plot PATH] [--threads N]``

For each workload and size, every engine first computes the gradient once (its first
call: for sct, the build of the derivative, on fresh function objects so the cache is
cold, the median of several builds) and the result is checked against the hand-written
gradient (relative tolerance 1e-6, float64 only). An engine that is not installed or
cannot build the derivative is reported as n/a with the reason; a wrong result as
"wrong"; neither is timed. The others are timed together, taking turns (see
``common.py``). The table gives the median time per call, the ratio to the
hand-written gradient (× hand) and to one call of the function itself (÷ f). The
ratio to the hand-written gradient is the median, over rounds, of each engine's time
over a time of the hand-written gradient taken right next to it
(``common.measure_paired``): a slow minute of the machine slows both. The ratio to
the function pairs the two times of the same round.
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

from benchmarks import common, engines, workloads  # noqa: E402

RTOL = 1e-6
# entries far below the gradient's scale (a y0 gradient of 1e-13 after 100 steps) are
# compared with an absolute tolerance of this times the largest reference entry
ATOL_SCALE = 1e-12


def check(got, ref) -> str | None:
    """None if ``got`` matches the reference gradient ``ref``, else what differs."""
    try:
        got = engines.to_numpy(got)
    except Exception as exc:
        return f"result not convertible to NumPy: {type(exc).__name__}: {exc}"
    if len(got) != len(ref):
        return f"{len(got)} gradients, expected {len(ref)}"
    scale = max(float(np.max(np.abs(r))) if np.size(r) else 0.0 for r in ref)
    for k, (g, r) in enumerate(zip(got, ref)):
        if g.dtype != np.float64:
            return f"gradient {k} has dtype {g.dtype}, not float64"
        if g.shape != r.shape:
            return f"gradient {k} has shape {g.shape}, expected {r.shape}"
        if not np.allclose(g, r, rtol=RTOL, atol=ATOL_SCALE * scale):
            err = np.max(np.abs(g - r) / np.maximum(np.abs(r), ATOL_SCALE * scale))
            return f"gradient {k}: max relative error {err:.3g}"
    return None


def _failure(exc) -> tuple:
    """(status, reason): errors of sct, missing peers and missing transforms are n/a."""
    reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
    own = type(exc).__module__.split(".")[0] == "sct"
    if own or isinstance(exc, (ImportError, AttributeError, NotImplementedError)):
        return "n/a", reason
    return "error", reason


def first_calls(engine, inst, builds: int):
    """(thunk, result, [seconds of prepare + first call, ...]) of an engine."""
    seconds = []
    thunk = result = None
    for _ in range(builds if engine.cold_builds else 1):
        t0 = time.perf_counter()
        thunk = engine.prepare(inst)
        result = thunk()
        seconds.append(time.perf_counter() - t0)
    return thunk, result, seconds


def run_instance(inst, engine_list, *, target, repeats, builds, log) -> list:
    """Check, then time, every engine on one instance; one record per engine."""
    ref = engines.to_numpy(inst.hand(*inst.args))
    records, thunks = [], {}
    for engine in engine_list:
        if not engine.applies(inst):
            continue
        rec = {"workload": inst.workload, "size": inst.size, "engine": engine.name,
               "status": "ok", "reason": None}
        records.append(rec)
        log(f"  {inst.label}: {engine.name} ...")
        try:
            engine.load()
            thunk, result, seconds = first_calls(engine, inst, builds)
        except Exception as exc:
            rec["status"], rec["reason"] = _failure(exc)
            continue
        rec["first_call_s"] = common.median(seconds)
        rec["first_calls_s"] = seconds
        if engine.checked:
            problem = check(result, ref)
            if problem:
                rec["status"], rec["reason"] = "wrong", problem
                continue
        thunks[engine.name] = thunk
    log(f"  {inst.label}: timing {len(thunks)} engines ...")
    if "hand-written" in thunks:
        timed, ratios = common.measure_paired(thunks, "hand-written", target, repeats)
    else:
        timed, ratios = common.measure_interleaved(thunks, target, repeats), {}
    by_name = {r["engine"]: r for r in records}
    for name, (loops, per_call) in timed.items():
        by_name[name].update(loops=loops, times_s=per_call,
                             median_s=common.median(per_call))
    f = timed.get("function")
    for rec in records:
        name, mine = rec["engine"], rec.get("times_s")
        rec["ratio_hand"] = rec["ratio_function"] = None
        if not mine:
            continue
        if name == "hand-written":  # (its times are one per engine per round)
            rec["ratio_hand"] = 1.0
            if "function" in ratios:
                rec["ratio_function"] = 1.0 / common.median(ratios["function"])
            continue
        if name in ratios:
            rec["ratio_hand"] = common.median(ratios[name])
        if f is not None:
            rec["ratio_function"] = common.paired_ratio(mine, f[1])
    return records


def table(records) -> str:
    header = ["workload", "size", "engine", "time/call", "× hand", "÷ f", "first call",
              "note"]
    rows = []
    for r in records:
        note = r["status"] if r["status"] != "ok" else ""
        if r["reason"]:
            note = f"{note}: {r['reason']}"
        rows.append([r["workload"], r["size"], r["engine"],
                     common.fmt_time(r.get("median_s")),
                     common.fmt_ratio(r.get("ratio_hand")),
                     common.fmt_ratio(r.get("ratio_function")),
                     common.fmt_time(r.get("first_call_s")), note])
    return common.markdown_table(header, rows)


def _label(record) -> str:
    return f"{record['workload']} {record['size']}".strip()


def plot(records, path) -> str:
    """Draw time per call per engine across instances (log scale); says what it did."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no plot (pip install matplotlib)"
    labels = list(dict.fromkeys(_label(r) for r in records))
    names = list(dict.fromkeys(r["engine"] for r in records if r.get("median_s")))
    colors = plt.get_cmap("tab20").colors
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(labels) + 2), 5))
    for k, name in enumerate(names):
        ys = [np.nan] * len(labels)
        for r in records:
            if r["engine"] == name and r.get("median_s"):
                ys[labels.index(_label(r))] = r["median_s"]
        plain = name == "function"
        ax.plot(range(len(labels)), ys, marker="os^vD<>ph*xP"[k % 12],
                color="black" if plain else colors[(2 * k) % 20],
                linestyle="--" if plain else "-",
                label="function (no gradient)" if plain else name)
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylabel("seconds per gradient call (median)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"plot written to {common.relative_to_cwd(path)}"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and few repeats (well under a minute)")
    p.add_argument("--only", default=None,
                   help=f"comma-separated workloads among {', '.join(workloads.NAMES)}")
    p.add_argument("--json", default=None, help="where to write the JSON results "
                   "(default: benchmarks/results/<timestamp>.json)")
    p.add_argument("--plot", default=None, help="draw time per call to this image file")
    p.add_argument("--threads", type=int, default=1,
                   help="threads per array library, applied when run as a script "
                        "(default 1, 0 for the libraries' defaults; see threads.py)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats per engine (default 7, quick 3)")
    p.add_argument("--target", type=float, default=None,
                   help="seconds per measurement (default 0.1, quick 0.02)")
    args = p.parse_args(argv)
    names = workloads.NAMES if args.only is None else tuple(
        n.strip() for n in args.only.split(",") if n.strip())
    unknown = [n for n in names if n not in workloads.NAMES]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; "
                f"choose among {', '.join(workloads.NAMES)}")
    args.names = names
    return args


def main(argv=None) -> dict:
    """Run the benchmark; print the table; write the JSON. Returns the JSON payload."""
    args = parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    target = args.target or (0.02 if args.quick else 0.1)
    builds = 1 if args.quick else 5

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    engines.warm_up()
    records = []
    for name in args.names:
        for inst in workloads.instances(name, quick=args.quick):
            records += run_instance(inst, engines.ENGINES, target=target,
                                    repeats=repeats, builds=builds, log=log)
    peers = {}
    for engine in engines.ENGINES:
        peers.update(engine.versions())
    env = common.environment(peers)
    text = table(records)
    settings = {"quick": args.quick, "repeats": repeats, "target_s": target,
                "cold_builds": builds, "rtol": RTOL,
                "atol": f"{ATOL_SCALE} x max |hand-written gradient|",
                "forward_max_inputs": engines.FORWARD_MAX_INPUTS,
                "threads": threads.describe(),
                "wall_s": time.perf_counter() - t_start}
    print(f"# Gradient benchmark ({'quick' if args.quick else 'full'})\n")
    print(common.environment_line(env) + "\n")
    print(text)
    print(f"\nMedian of {repeats} repeats of ~{target} s each. × hand: time / "
          f"hand-written NumPy gradient, timed next to each other, median over the "
          f"repeats. ÷ f: time / one call of the function. first "
          f"call: engine setup + first gradient call (sct: the build, median of "
          f"{builds} on fresh function objects, after a warm-up build of another "
          f"function has paid sct's one-time costs). Forward engines (sct forward, "
          f"dual) run only where the inputs have at most {engines.FORWARD_MAX_INPUTS} "
          f"scalars. Threads per array library: "
          f"{threads.requested() or 'library defaults'} (see benchmarks/threads.py).")
    payload = {"benchmark": "run", "environment": env, "settings": settings,
               "results": records, "table": text}
    path = common.write_json(args.json or common.default_json_path(), payload)
    print(f"\nJSON written to {common.relative_to_cwd(path)}")
    if args.plot:
        print(plot(records, args.plot))
    return payload


if __name__ == "__main__":
    main()
