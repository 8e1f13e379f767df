"""What every benchmark script shares: timing, the machine's description, output files.

Timing follows one protocol: each callable is first calibrated to a number of loops
that takes about ``target`` seconds, then measured ``repeats`` times, the callables
taking turns within each round (so that machine noise affects all of them alike); the
result is the median time per call. A ratio to a reference is the median of ratios
taken within a round (``paired_ratio``), or, sharper, of each callable against a time
of the reference taken right next to it (``measure_paired``). The garbage collector stays on:
engines that allocate more pay for it, as they would in use.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


# --- timing ---------------------------------------------------------------------------
def time_loops(thunk, loops: int) -> float:
    """Seconds taken by ``loops`` calls of ``thunk``."""
    t0 = time.perf_counter()
    for _ in range(loops):
        thunk()
    return time.perf_counter() - t0


def calibrate(thunk, target: float) -> int:
    """How many calls of ``thunk`` take about ``target`` seconds (at least 1)."""
    loops = 1
    elapsed = time_loops(thunk, loops)
    while elapsed < target / 10 and loops < 10 ** 7:
        loops *= 10
        elapsed = time_loops(thunk, loops)
    if elapsed <= 0.0:
        return loops
    return max(1, math.ceil(loops * target / elapsed))


def measure_interleaved(thunks: dict, target: float, repeats: int) -> dict:
    """Per-call seconds of each thunk, per repeat: ``{name: (loops, [s, ...])}``.

    Each round runs every thunk once (for its calibrated number of loops); the order
    rotates from round to round so that no engine always runs first.
    """
    loops = {name: calibrate(thunk, target) for name, thunk in thunks.items()}
    times: dict = {name: [] for name in thunks}
    names = list(thunks)
    for r in range(repeats):
        k = r % len(names) if names else 0
        for name in names[k:] + names[:k]:
            n = loops[name]
            times[name].append(time_loops(thunks[name], n) / n)
    return {name: (loops[name], times[name]) for name in names}


def measure_paired(thunks: dict, ref: str, target: float, repeats: int) -> tuple:
    """``(timed, ratios)``: ``timed`` as :func:`measure_interleaved` gives it, and
    ``ratios[name]``, one per round: the thunk's time over the time of ``thunks[ref]``
    taken right next to it.

    Each round measures every other thunk (in an order that rotates) right after a
    fresh measurement of ``ref`` on even rounds and right before one on odd rounds, so
    the two times of a ratio are a fraction of a second apart: on a machine whose
    speed drifts from minute to minute, that ratio moves far less than the ratio of
    two medians. ``timed[ref]`` holds all of ``ref``'s measurements.
    """
    loops = {name: calibrate(thunk, target) for name, thunk in thunks.items()}
    times: dict = {name: [] for name in thunks}
    ratios: dict = {name: [] for name in thunks if name != ref}
    others = list(ratios)

    def timed(name):
        t = time_loops(thunks[name], loops[name]) / loops[name]
        times[name].append(t)
        return t

    for r in range(repeats):
        k = r % len(others) if others else 0
        for name in others[k:] + others[:k]:
            if r % 2 == 0:
                base = timed(ref)
                mine = timed(name)
            else:
                mine = timed(name)
                base = timed(ref)
            ratios[name].append(mine / base)
    if not others:
        for _ in range(repeats):
            timed(ref)
    return {name: (loops[name], times[name]) for name in thunks}, ratios


def median(values) -> float:
    return statistics.median(values)


def paired_ratio(times, ref_times) -> float:
    """The median over rounds of ``times[r] / ref_times[r]``.

    Both were measured in round ``r``: on a machine whose speed drifts, the ratio
    within a round moves less than the ratio of two medians.

    >>> paired_ratio([2.0, 3.0, 2.2], [1.0, 1.5, 1.0])
    2.0
    """
    return statistics.median(t / r for t, r in zip(times, ref_times))


# --- the machine ----------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment(extra_versions: dict | None = None) -> dict:
    """Python, NumPy, sct and peer versions, CPU and date, for the JSON output."""
    try:
        import sct
        sct_version = sct.__version__
    except Exception as exc:  # the report still says why
        sct_version = f"unavailable ({type(exc).__name__}: {exc})"
    env = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "sct": sct_version,
        "git_commit": git_commit(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    env["peers"] = dict(extra_versions or {})
    return env


def environment_line(env: dict) -> str:
    return (f"Python {env['python']}, NumPy {env['numpy']}, sct {env['sct']} "
            f"({env['git_commit'] or 'no git'}), {env['cpu']} x{env['cpu_count']}, "
            f"{env['date']}")


# --- output ---------------------------------------------------------------------------
def default_json_path(prefix: str = "") -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return RESULTS / f"{prefix}{stamp}.json"


def write_json(path, payload: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=1, default=_jsonable)
        fh.write("\n")
    return path


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def fmt_time(seconds) -> str:
    """``1.23 µs``, ``45.6 ms``, ``2.00 s``; ``-`` for None."""
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(ratio) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.3g}×"


def markdown_table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [str(c).replace("|", "\\|").replace("\n", " ") for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def relative_to_cwd(path) -> str:
    """``path`` relative to the working directory when below it (for messages)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


