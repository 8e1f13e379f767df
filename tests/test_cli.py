"""The command line, python -m sct: show, check, trace, bench, and its error messages.

Run in-process through ``sct.cli.main(argv)``; one test runs ``python -m sct --help``
in a subprocess. The functions live in tests/cli_functions.py, loaded by path.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cli_functions
import sct
from sct import cli

ROOT = Path(__file__).resolve().parent.parent
FUNCS = str(Path(__file__).resolve().parent / "cli_functions.py")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def target(name):
    return f"{FUNCS}:{name}"


def test_help_runs_as_a_module():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get(
        "PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "sct", "--help"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m sct")
    for word in ("show", "check", "trace", "bench", "examples:",
                 "python -m sct check model.py:loss"):
        assert word in done.stdout


def test_help_of_a_command_has_examples(capsys):
    code, out, _ = run(capsys, "show", "--help")
    assert code == 0
    assert "examples:\n  python -m sct show examples/demo.py:f\n" in out
    assert "--mode {rev,fwd,vjp,value_and_grad}" in out


# --- show -----------------------------------------------------------------------------
def test_show_prints_what_sct_source_prints(capsys):
    code, out, err = run(capsys, "show", target("demo"))
    assert code == 0 and err == ""
    g = sct.grad(cli_functions.demo, argnums=(0, 1))
    g(2.0, 5.0)
    assert out == sct.source(g).rstrip("\n") + "\n"
    assert "    x1_bar = x2 + 1.0 / x1\n    return x1_bar, x2_bar\n" in out
    assert "\x1b" not in out  # not a terminal: no colors


@pytest.mark.parametrize("mode, head", [
    ("fwd", "def demo_jvp(x1, x2, x1_dot, x2_dot):"),
    ("vjp", "def demo_vjp(x1, x2, out_bar=1.0):"),
    ("value_and_grad", "def demo_value_and_grad(x1, x2):"),
    ("rev", "def demo_grad(x1, x2):")])
def test_show_modes(capsys, mode, head):
    code, out, _ = run(capsys, "show", target("demo"), "--mode", mode)
    assert code == 0
    assert out.splitlines()[0] == head


def test_show_argnums(capsys):
    code, out, _ = run(capsys, "show", target("demo"), "--argnums", "1")
    assert code == 0
    assert "x1_bar" not in out and out.rstrip().endswith("return x2_bar")


def test_show_builds_for_the_kinds_of_the_example_arguments(capsys):
    _, scalar, _ = run(capsys, "show", target("total"))
    code, array, _ = run(capsys, "show", target("total"), "--args", "[1.0, 2.0]", "0.5")
    assert code == 0
    # w broadcasts against the array x: its adjoint is summed back to a float
    assert "unbroadcast" in array and "unbroadcast" not in scalar
    _, out, _ = run(capsys, "show", target("loop"), "--args", "0.5", "3")
    assert out.startswith("def loop_grad(x, n):") and "n_bar" not in out
    code, _, _ = run(capsys, "show", target("demo"), "--args", "-1.5")  # x1 only
    assert code == 0


def test_show_colors(capsys, monkeypatch):
    _, plain, _ = run(capsys, "show", target("demo"), "--color", "never")
    code, colored, _ = run(capsys, "show", target("demo"), "--color", "always")
    assert code == 0 and "\x1b[" in colored and ANSI.sub("", colored) == plain

    class Terminal:
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert cli.use_color("auto", Terminal()) and not cli.use_color("never", Terminal())
    assert not cli.use_color("auto", sys.stdout)  # captured: not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli.use_color("auto", Terminal()) and cli.use_color("always", sys.stdout)


def test_the_highlighter_without_pygments(capsys):
    _, src, _ = run(capsys, "show", target("demo"), "--color", "never")
    colored = cli.highlight(src, use_pygments=False)
    assert colored == cli.colorize(src) and ANSI.sub("", colored) == src
    s, r = cli.STYLES, cli.RESET
    assert f"{s['keyword']}def{r} {s['def']}demo_grad{r}(x1, x2):" in colored
    assert f"{s['comment']}# reverse sweep{r}" in colored
    assert f"{s['derivative']}x1_bar{r} = x2 + {s['number']}1.0{r} / x1" in colored
    assert f"{s['keyword']}return{r} {s['derivative']}x1_bar{r}" in colored
    jvp = cli.colorize("y_dot = x_dot * 'a'\n")
    assert jvp == (f"{s['derivative']}y_dot{r} = {s['derivative']}x_dot{r} * "
                   f"{s['string']}'a'{r}\n")
    assert cli.colorize("def f(:\n    (") .startswith(s["keyword"])  # broken: no error


# --- check ----------------------------------------------------------------------------
def test_check_prints_the_report(capsys):
    code, out, err = run(capsys, "check", target("demo"), "--args", "2.0", "5.0")
    assert code == 0 and err == ""
    assert out == str(sct.check_grads(cli_functions.demo, (2.0, 5.0))) + "\n"
    assert out.startswith("check_grads(demo), order 1, 2 direction(s) per input: "
                          "passed")
    code, out, _ = run(capsys, "check", target("total"), "--args", "[0.3, -0.2]", "0.7",
                       "--order", "2", "--modes", "rev")
    assert code == 0
    assert "fwd-over-rev  Hessian vs hvp" in out and "rev+fwd" not in out
    code, out, _ = run(capsys, "check", target("loop"), "--args", "0.5", "3",
                       "--argnums", "0")
    assert code == 0 and "x (#0)" in out and "(#1)" not in out


WRONG = '''\
import sct
from sct import d
from helper import scale


def cube(x):
    return x * x * x


@sct.rule(cube)
def cube_rule(y, x):
    with sct.adjoint:
        d[x] += d[y] * 2.0 * x * x  # wrong: 3 x^2
    with sct.tangent:
        d[y] = d[x] * 3.0 * x * x


def model(x, w):
    return scale(cube(x)) * w
'''


@pytest.fixture
def user_dir(tmp_path):
    """A user's folder: model.py with a wrong rule, importing helper.py beside it."""
    (tmp_path / "helper.py").write_text("def scale(x):\n    return 3.0 * x\n")
    (tmp_path / "model.py").write_text(WRONG)
    yield tmp_path
    helper = sys.modules.get("helper")
    if helper is not None and Path(helper.__file__).parent == tmp_path:
        del sys.modules["helper"]  # the command line imported it; other tests may not


def test_check_fails_on_a_wrong_rule(capsys, user_dir):
    path_before = list(sys.path)
    code, out, err = run(capsys, "check", f"{user_dir / 'model.py'}:model",
                         "--args", "1.1", "0.5")
    assert sys.path == path_before  # the file's folder was on it only for the import
    assert code == 1
    assert err.startswith("check_grads: the derivatives of 'model' are wrong")
    assert "argument 'x' (position 0), mode rev (sct.value_and_grad, sct.vjp), check " \
           "finite differences" in err
    assert "argument 'w'" not in err and "Traceback" not in err
    assert re.search(r"x \(#0\)\s+rev\s+finite differences .* FAIL", out)
    assert re.search(r"x \(#0\)\s+fwd\s+finite differences .* ok", out)


def test_the_files_folder_is_importable_for_show(capsys, user_dir):
    code, out, _ = run(capsys, "show", f"{user_dir / 'model.py'}:model", "--mode",
                       "fwd")
    assert code == 0 and out.startswith("def model_jvp(x, w, x_dot, w_dot):")


# --- errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["show", "no/such/file.py:f"], "no such file: no/such/file.py"),
    (["show", FUNCS], "expected FILE.py:FUNC"),
    (["show", f"{FUNCS}:nope"], "has no function 'nope' (functions: demo, loop,"),
    (["show", f"{FUNCS}:np"], "is not a function"),
    (["check", f"{FUNCS}:demo", "--args", "2.0"], "missing a required argument: 'x2'"),
    (["check", f"{FUNCS}:demo", "--args", "2.0", "x"], "bad --args value 'x'"),
    (["show", f"{FUNCS}:total", "--args", "[1.0, 'a']"], "a list must hold numbers"),
    (["show", f"{FUNCS}:demo", "--argnums", "0,a"], "bad --argnums '0,a'"),
    (["show", f"{FUNCS}:demo", "--argnums", "5"], "--argnums 5: demo has 2 positional"),
    (["show", f"{FUNCS}:loop", "--args", "0.5", "3", "--argnums", "1"],
     "argument 'n' of loop is not a float"),
    (["show", f"{FUNCS}:loop", "--args", "1", "3"], "loop has no float argument"),
    (["check", f"{FUNCS}:demo", "--args", "2.0", "5.0", "--modes", "sideways"],
     "bad --modes 'sideways'"),
])
def test_usage_errors_are_one_line_with_exit_code_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("sct: error: ") and message in err
    assert err.count("\n") == 1


def test_argparse_errors_and_no_command_exit_with_2(capsys):
    code, _, err = run(capsys, "check", target("demo"))
    assert code == 2 and "the following arguments are required: --args" in err
    code, _, err = run(capsys, "show", target("demo"), "--mode", "sideways")
    assert code == 2 and "invalid choice: 'sideways'" in err
    code, _, err = run(capsys)
    assert code == 2 and err.startswith("usage: python -m sct")


def test_files_that_do_not_import(capsys, tmp_path):
    (tmp_path / "broken.py").write_text("def f(x):\n    return x +\n")
    code, _, err = run(capsys, "show", f"{tmp_path / 'broken.py'}:f")
    assert code == 2 and err.startswith("sct: error: ") and ":2: syntax error:" in err
    (tmp_path / "raises.py").write_text("import no_such_module_here\n")
    code, _, err = run(capsys, "show", f"{tmp_path / 'raises.py'}:f")
    assert code == 2 and "raised ModuleNotFoundError: No module named " \
                         "'no_such_module_here'" in err
    assert "_sct_cli_raises" not in sys.modules  # a failed import leaves nothing
    (tmp_path / "data.txt").write_text("x")
    code, _, err = run(capsys, "show", f"{tmp_path / 'data.txt'}:f")
    assert code == 2 and "not a Python source file" in err


def test_sct_errors_are_their_message_with_exit_code_1(capsys):
    code, out, err = run(capsys, "show", target("uses_try"))
    assert code == 1 and out == ""
    assert err.startswith(FUNCS)
    assert re.fullmatch(r":\d+: 'try' is not supported \(in function 'uses_try'\)\n",
                        err[len(FUNCS):])
    assert "Traceback" not in err


def test_a_function_that_fails_at_the_point(capsys):
    code, _, err = run(capsys, "check", target("positive_only"), "--args", "-1.0")
    assert code == 1
    assert err == ("sct: error: calling positive_only at --args raised ValueError: "
                   "x must be positive\n")


def test_parse_value():
    assert cli.parse_value("2.0") == 2.0 and type(cli.parse_value("2.0")) is float
    assert cli.parse_value("3") == 3 and type(cli.parse_value("3")) is int
    a = cli.parse_value("[[1, 2], [3, 4]]")
    assert a.dtype == np.float64 and a.shape == (2, 2)
    t = cli.parse_value("(1.5, [2.0])")
    assert t[0] == 1.5 and isinstance(t[1], np.ndarray)
    assert np.isnan(cli.parse_value("nan")) and cli.parse_value("(-1e-3)") == -0.001


# --- trace ----------------------------------------------------------------------------
class FakeTrace:
    def __init__(self, f, *args):
        self.what = f"{f.__name__}{args}"

    def __str__(self):
        return f"tables of {self.what}"

    def to_dot(self):
        return "digraph { x -> y }"

    def render(self, path):
        if str(path).endswith(".bad"):
            raise RuntimeError("Graphviz is not installed")
        Path(path).write_text(self.to_dot())


def test_trace_command_with_a_stand_in(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sct, "trace", FakeTrace, raising=False)
    code, out, _ = run(capsys, "trace", target("demo"), "--args", "2.0", "5.0")
    assert code == 0 and out == "tables of demo(2.0, 5.0)\n"
    png = tmp_path / "g.png"
    code, out, err = run(capsys, "trace", target("demo"), "--args", "2.0", "5.0",
                         "--dot", "--render", str(png))
    assert code == 0 and out == "digraph { x -> y }\n" and err == f"wrote {png}\n"
    assert png.read_text() == "digraph { x -> y }"
    code, _, err = run(capsys, "trace", target("demo"), "--args", "2.0", "5.0",
                       "--render", str(tmp_path / "g.bad"))
    assert code == 1 and "could not render" in err and "Graphviz" in err
    monkeypatch.delattr(sct, "trace")
    code, _, err = run(capsys, "trace", target("demo"), "--args", "2.0", "5.0")
    assert code == 1 and err == "sct: error: this version of sct has no sct.trace\n"


def test_trace_command_with_sct_trace(capsys):
    if not callable(getattr(sct, "trace", None)):
        code, _, err = run(capsys, "trace", target("demo"), "--args", "2.0", "5.0")
        assert code == 1 and "no sct.trace" in err
        return
    f = cli.load(target("demo"))
    code, out, err = run(capsys, "trace", target("demo"), "--args", "2.0", "5.0")
    assert code == 0, err
    assert out == str(sct.trace(f, 2.0, 5.0)) + "\n"
    code, out, _ = run(capsys, "trace", target("demo"), "--args", "2.0", "5.0", "--dot")
    assert code == 0 and out == sct.trace(f, 2.0, 5.0).to_dot() + "\n"


# --- bench ----------------------------------------------------------------------------
def test_bench_runs_the_checkouts_script(capfd, monkeypatch, tmp_path):
    assert cli.BENCH_SCRIPT == ROOT / "benchmarks" / "run.py"
    assert cli.BENCH_SCRIPT.is_file()
    script = tmp_path / "run.py"
    script.write_text("import sys\nprint('run', sys.argv[1:])\nsys.exit(3)\n")
    monkeypatch.setattr(cli, "BENCH_SCRIPT", script)
    assert cli.main(["bench", "--quick", "--only", "demo"]) == 3
    assert capfd.readouterr().out == "run ['--quick', '--only', 'demo']\n"
    assert cli.main(["bench", "--", "--help"]) == 3
    assert capfd.readouterr().out == "run ['--help']\n"
    monkeypatch.setattr(cli, "BENCH_SCRIPT", tmp_path / "missing" / "run.py")
    assert cli.main(["bench"]) == 1
    err = capfd.readouterr().err
    assert "benchmarks/run.py" in err and "clone of the sct repository" in err
