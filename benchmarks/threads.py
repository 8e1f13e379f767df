"""Thread pools of the array libraries: one thread each, unless told otherwise.

Engines take turns in the measurements, and the thread pools of NumPy's BLAS and of
torch (OpenMP) spin-wait for work after each call. On a machine with few cores the
pool of the engine that just ran keeps the cores busy while the next engine runs:
measured here on 2 cores, a hand-written RNN gradient went from 1.6 ms alone to 10 ms
interleaved with torch, and torch from 4 ms to 57 ms. With one thread per library the
same measurements agree alone and interleaved, and the comparison is about what the
engines do, not about how their thread pools collide. ``--threads N`` changes it.

BLAS reads its setting when NumPy is first imported, so the scripts call ``limit``
before importing NumPy; this module imports nothing that imports NumPy.
"""

from __future__ import annotations

import os
import sys

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
SETTING = "SCT_BENCH_THREADS"  # read back by the torch engine and the JSON
_numpy_first: list = []  # whether NumPy was imported before ``limit_from_argv``


def from_argv(argv) -> int | None:
    """The value of ``--threads N`` (or ``--threads=N``) in ``argv``; 1 if absent;
    None for ``--threads 0`` (the libraries' defaults)."""
    value = "1"
    for k, arg in enumerate(argv):
        if arg == "--threads" and k + 1 < len(argv):
            value = argv[k + 1]
        elif arg.startswith("--threads="):
            value = arg.split("=", 1)[1]
    try:
        n = int(value)
    except ValueError:
        return 1
    return n if n > 0 else None


def limit(n: int | None) -> None:
    """Ask every array library for ``n`` threads (None: leave the defaults)."""
    if n is None:
        return
    os.environ[SETTING] = str(n)
    for name in VARIABLES:
        os.environ[name] = str(n)


def requested() -> int | None:
    value = os.environ.get(SETTING)
    return int(value) if value else None


def describe() -> dict:
    """What was asked and whether it could apply (for the JSON)."""
    return {
        "requested": requested(),
        "variables": {name: os.environ.get(name) for name in VARIABLES},
        # set after NumPy's import, the BLAS variables come too late to apply
        "numpy_imported_first": bool(_numpy_first and _numpy_first[-1]),
    }


def limit_from_argv(argv) -> None:
    """For the scripts' ``__main__``: apply ``--threads`` before NumPy is imported."""
    _numpy_first.append("numpy" in sys.modules)
    limit(from_argv(argv))
