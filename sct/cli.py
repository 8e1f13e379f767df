"""The command line, ``python -m sct``: show, check, trace and bench a function.

``main(argv)`` parses ``argv`` and returns the exit code: 0 on success, 1 when sct
refuses the function or a gradient check fails, 2 for a usage error (a missing file or
function, a bad ``--args`` value). Errors are one-line messages, never tracebacks.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import io
import keyword
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import numpy as np

from . import gradcheck as _gradcheck
from . import kinds as _kinds
from .errors import SCTError
from .gradcheck import GradientCheckError, check_grads

BENCH_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
FLAVORS = dict(rev="grad", fwd="jvp", vjp="vjp", value_and_grad="value_and_grad")

EXAMPLES = """\
examples:
  python -m sct show examples/demo.py:f
  python -m sct show model.py:loss --mode fwd --argnums 0
  python -m sct show model.py:loss --args "[1.0, 2.0]" 0.5 --color never
  python -m sct check model.py:loss --args "[1.0, 2.0]" 0.5 --order 2
  python -m sct trace examples/demo.py:f --args 2.0 5.0 --render demo.png
  python -m sct bench --quick

Arguments (--args) are Python literals: 2.0 is a float, 3 an integer (left alone by
derivatives), [1.0, 2.0] a float array. Negative numbers in scientific notation need
parentheses: (-1e-3).
"""


class UsageError(Exception):
    """A problem with the command line itself: exit code 2."""


# -- loading FILE.py:FUNC --------------------------------------------------------------
def load(target: str):
    """The function ``FUNC`` of ``FILE.py:FUNC``, importing the file as a module.

    The file's directory is on ``sys.path`` while it is imported, so that it can
    import the modules next to it.
    """
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise UsageError(f"expected FILE.py:FUNC, got {target!r}")
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"no such file: {path}")
    modname = "_sct_cli_" + re.sub(r"\W", "_", file.stem)
    spec = importlib.util.spec_from_file_location(modname, file)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    folder = str(file.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        sys.modules.pop(modname, None)
        raise UsageError(f"{path}:{e.lineno}: syntax error: {e.msg}" if isinstance(
            e, SyntaxError) else f"importing {path} raised {type(e).__name__}: {e}"
                         ) from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            found = sorted(n for n, v in vars(module).items()
                           if inspect.isfunction(v) and v.__module__ == modname)
            hint = f" (functions: {', '.join(found)})" if found else ""
            raise UsageError(f"{path} has no function {name!r}{hint}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{path}:{name} is not a function")
    return obj


def parse_value(text: str):
    """A ``--args`` value: a Python literal; lists become float arrays."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        try:
            return float(text)  # nan, inf
        except ValueError:
            raise UsageError(f"bad --args value {text!r}: expected a Python literal "
                             f"such as 2.0, 3 or [1.0, 2.0]") from None
    return _arrays(value, text)


def _arrays(value, text):
    if isinstance(value, list):
        try:
            return np.array(value, dtype=float)
        except (ValueError, TypeError):
            raise UsageError(f"bad --args value {text!r}: a list must hold numbers "
                             f"(it becomes a float array)") from None
    if isinstance(value, tuple):
        return tuple(_arrays(v, text) for v in value)
    return value


def _parse_argnums(text):
    try:
        nums = tuple(int(t) for t in text.split(",") if t.strip()) if text else None
    except ValueError:
        nums = ()
    if nums == ():
        raise UsageError(f"bad --argnums {text!r}: expected positions such as 0,1")
    return nums


def _target(ns, partial=False):
    """``(function, its name, the --args values)``, checked against its signature."""
    f = load(ns.target)
    name = ns.target.rpartition(":")[2]
    args = [parse_value(a) for a in ns.args or ()]
    try:
        sig = inspect.signature(f)
        (sig.bind_partial if partial else sig.bind)(*args)
    except TypeError as e:
        raise UsageError(f"{name}: {e} (--args gave {len(args)} values)") from None
    except ValueError:
        pass  # no signature to check against
    return f, name, args


def _positional(f) -> list:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _select(f, name, kinds, argnums) -> tuple:
    params = _positional(f)
    if argnums is None:
        nums = tuple(i for i, k in enumerate(kinds) if k in ("S", "A"))
        if not nums:
            raise UsageError(f"{name} has no float argument to differentiate; give "
                             f"example values with --args")
        return nums
    for i in argnums:
        if not 0 <= i < len(kinds):
            raise UsageError(f"--argnums {i}: {name} has {len(kinds)} positional "
                             f"arguments")
        if kinds[i] not in ("S", "A"):
            what = params[i].name if i < len(params) else f"#{i}"
            raise UsageError(f"--argnums {i}: argument '{what}' of {name} is not a "
                             f"float or a float array")
    return argnums


class _Failed(Exception):
    """The command ran and failed: exit code 1."""


def _call_once(f, args, name):
    """Run ``f`` at the point first: its own errors are not sct's."""
    try:
        f(*[np.array(a) if isinstance(a, np.ndarray) else a for a in args])
    except Exception as e:
        raise _Failed(f"calling {name} at --args raised {type(e).__name__}: {e}"
                      ) from None


# -- commands --------------------------------------------------------------------------
def cmd_show(ns) -> int:
    from .cache import derived
    f, name, args = _target(ns, partial=True)
    kinds = [_kinds.of_value(a) for a in args]
    for p in _positional(f)[len(args):]:  # not given: its default's kind, else a float
        kinds.append("S" if p.default is p.empty else _kinds.of_value(p.default))
    nums = _select(f, name, kinds, _parse_argnums(ns.argnums))
    flavor = FLAVORS[ns.mode]
    tuple_grads = flavor != "jvp" and len(nums) > 1  # as sct.grad(f, argnums=nums)
    built = derived(f, flavor, nums, tuple(kinds), tuple_grads)
    src = "\n".join(built.sources).rstrip("\n") + "\n"
    sys.stdout.write(highlight(src) if use_color(ns.color, sys.stdout) else src)
    return 0


def cmd_check(ns) -> int:
    f, name, args = _target(ns)
    argnums = _parse_argnums(ns.argnums)
    if argnums is not None:
        _select(f, name, [_kinds.of_value(a) for a in args], argnums)
    try:
        modes = _gradcheck.parse_modes(ns.modes)
    except ValueError as e:
        raise UsageError(f"bad --modes {ns.modes!r}: {e}") from None
    _call_once(f, args, name)
    try:
        report = check_grads(f, args, modes=modes, order=ns.order, argnums=argnums)
    except GradientCheckError as e:
        print(e.report)
        print(e, file=sys.stderr)
        return 1
    print(report)
    return 0


def cmd_trace(ns) -> int:
    import sct
    f, name, args = _target(ns)
    trace = getattr(sct, "trace", None)
    if not callable(trace):
        raise _Failed("this version of sct has no sct.trace")
    _call_once(f, args, name)
    t = trace(f, *args)
    print(t.to_dot() if ns.dot else str(t))
    if ns.render:
        try:
            t.render(ns.render)
        except Exception as e:  # a missing Graphviz, an unwritable path
            raise _Failed(f"could not render {ns.render}: {e}") from None
        print(f"wrote {ns.render}", file=sys.stderr)
    return 0


def cmd_bench(rest) -> int:
    """Run the checkout's benchmarks/run.py with ``rest`` as its arguments."""
    if not BENCH_SCRIPT.is_file():
        print("sct: error: 'sct bench' runs benchmarks/run.py, which is not installed "
              "with the package; run it from a clone of the sct repository "
              "(python -m sct bench, or python benchmarks/run.py)", file=sys.stderr)
        return 1
    if rest[:1] == ["--"]:
        rest = rest[1:]
    return subprocess.call([sys.executable, str(BENCH_SCRIPT), *rest])


# -- colors ----------------------------------------------------------------------------
def use_color(choice: str, stream) -> bool:
    """``always``, ``never``, or ``auto``: a terminal, unless NO_COLOR is set."""
    if choice in ("always", "never"):
        return choice == "always"
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty() and not os.environ.get("NO_COLOR")
                and os.environ.get("TERM") != "dumb")


def highlight(source: str, use_pygments: bool = True) -> str:
    """``source`` in ANSI colors: by pygments when installed, else :func:`colorize`."""
    if use_pygments:
        try:
            from pygments import highlight as _pyg
            from pygments.formatters import TerminalFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            pass
        else:
            return _pyg(source, PythonLexer(), TerminalFormatter())
    return colorize(source)


RESET = "\x1b[0m"
STYLES = {"keyword": "\x1b[1;35m", "derivative": "\x1b[1;33m", "comment": "\x1b[2;32m",
          "number": "\x1b[36m", "string": "\x1b[32m", "def": "\x1b[1;34m"}


def colorize(source: str) -> str:
    """A small highlighter on :mod:`tokenize`: keywords, derivative names (``*_bar``,
    ``*_dot``), comments, numbers and strings. Removing the codes gives ``source``.

    >>> colorize("x_bar = 1.0  # seed\\n").split(RESET)[0]
    '\\x1b[1;33mx_bar'
    """
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out, pos, prev = [], 0, None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            style, prev = _style(tok, prev), tok.string
            if style is None or not tok.string:
                continue
            a = starts[tok.start[0] - 1] + tok.start[1]
            b = starts[tok.end[0] - 1] + tok.end[1]
            out += [source[pos:a], STYLES[style], source[a:b], RESET]
            pos = b
    except (tokenize.TokenError, SyntaxError, IndexError):
        pass  # incomplete source: colors so far, the rest plain
    out.append(source[pos:])
    return "".join(out)


_TOKENS = {tokenize.COMMENT: "comment", tokenize.NUMBER: "number",
           tokenize.STRING: "string"}


def _style(tok, prev):
    if tok.type != tokenize.NAME:
        return _TOKENS.get(tok.type)
    if keyword.iskeyword(tok.string):
        return "keyword"
    if tok.string.endswith(("_bar", "_dot")):
        return "derivative"
    return "def" if prev in ("def", "class") else None


# -- the parser ------------------------------------------------------------------------
def _command(sub, name, run, summary, examples, args_help):
    """A subcommand taking FILE.py:FUNC and --args, with examples in its help."""
    c = sub.add_parser(name, help=summary, description=summary,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n" + "".join(f"  python -m sct {name} {e}\n"
                                                       for e in examples))
    c.add_argument("target", metavar="FILE.py:FUNC", help="a function in a Python file")
    c.add_argument("--args", nargs="+", metavar="VALUE", required=name != "show",
                   help=args_help)
    c.set_defaults(run=run)
    return c


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sct", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
        description="sct: derivatives of Python functions by source transformation. "
                    "Show the derivative sct generates, check it against finite "
                    "differences, trace an evaluation, or run the benchmarks.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    point = "the point: one value per positional parameter"

    s = _command(sub, "show", cmd_show, "print the generated derivative's source",
                 ["examples/demo.py:f", "examples/demo.py:f --mode fwd --argnums 0",
                  'model.py:loss --args "[1.0, 2.0]" 3 --color never'],
                 "example values, which decide scalar or array code (default: a "
                 "float for every parameter)")
    s.add_argument("--mode", choices=list(FLAVORS), default="rev",
                   help="rev: sct.grad (default); fwd: sct.jvp; vjp: with a seed "
                        "parameter out_bar; value_and_grad")
    s.add_argument("--argnums", help="positions to differentiate, e.g. 0,1 (default: "
                                     "every float argument)")
    s.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="ANSI colors (default: when printing to a terminal)")

    c = _command(sub, "check", cmd_check, "check derivatives against finite "
                 "differences (sct.check_grads)",
                 ["examples/demo.py:f --args 2.0 5.0",
                  'model.py:loss --args "[1.0, 2.0]" 3 --order 2 --modes rev'], point)
    c.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="2 also checks sct.hvp and sct.hessian")
    c.add_argument("--modes", default="rev,fwd", help="rev, fwd or rev,fwd (default)")
    c.add_argument("--argnums", help="positions to check (default: every float "
                                     "argument)")

    t = _command(sub, "trace", cmd_trace, "print the trace tables of an evaluation "
                 "(sct.trace)", ["examples/demo.py:f --args 2.0 5.0 --render demo.png"],
                 point)
    t.add_argument("--dot", action="store_true", help="print Graphviz DOT instead")
    t.add_argument("--render", metavar="PATH", help="also draw the graph to this file")

    sub.add_parser("bench", help="run benchmarks/run.py of a source checkout; "
                                 "arguments are passed through (python -m sct bench "
                                 "--help)",
                   add_help=False)
    return p


def main(argv=None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return cmd_bench(argv[1:])
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse printed
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    try:
        return ns.run(ns)
    except (UsageError, _Failed) as e:
        print(f"sct: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, UsageError) else 1
    except SCTError as e:
        print(e, file=sys.stderr)
        return 1
