"""sct.trace: the evaluation-trace tables, the computation graph, and the trace demo.

The tables are checked row by row on the textbook function, every gradient and
tangent against sct.grad and sct.jvp (loops, branches, arrays, containers, writes into
arrays), the refused constructs for their SCTError and file:line, and the DOT text
exactly. Graphviz itself is never needed: ``render`` is run with a stand-in ``dot``.
"""

import importlib.util
import inspect
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import sct
from fd import line_of
from sct.trace import GraphvizNotFound, Row, TraceError

ROOT = Path(__file__).resolve().parent.parent
FILE = os.path.basename(__file__)




# -- functions to trace ----------------------------------------------------------------
def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)  # <- f body


def loop_branch(x, n):
    y = x
    for i in range(n):
        if y > 1.0:  # <- if
            y = y * 0.5 + np.sin(x)
        else:
            y = y * y + x
    return y


def while_loop(x, y):
    z = x * y
    while z < 10.0:
        z = z * 2.0
    s = np.sum(np.array([1.0, 2.0]) * x)
    return z + s if x > 0 else z


def arrays(x, w):
    h = np.tanh(w * x)
    return np.sum(h * h)


def reductions(x, axis=0):
    return np.sum(x ** 2, axis=axis).max() + np.sum(abs(x[0])) + x.T[1][0]


def enumerate_continue(x):
    acc = 0.0
    for i, xi in enumerate(x):
        if i % 2 == 0 and xi > 0:
            continue
        acc += xi * i
    return acc


def writes(x):
    y = np.zeros(3)
    y[0] = x
    y[1:] += x * 2.0
    return y.sum() * x


def tuples(x, y):
    a, b = x * y, x + y
    t = (a, b)
    p, q = t
    return p / q


def breaks(x):
    for i in range(10):
        x = x * 1.1
        if x > 3.0:
            break
    return x


def lambdas(x):
    sq = lambda v: v * v  # noqa: E731
    def inner(v):
        return v + x
    return sq(x) + inner(x)


def versions(x, k=2):
    x += 1.0
    x **= k
    z = -x if x > 0 else x
    return math.exp(z / 10.0) + float(x)


def stops(x):
    return np.sum(sct.stop_gradient(x) * x) + np.where(x > 0, x, 0.0).sum()


def lists(x, y):
    return np.stack([x, y * 2.0]).sum() + np.dot(x, y)


def dicts(x):
    d = {"a": x, "b": 2.0 * x}
    return d["a"] * d["b"]


def make_closure(c):
    def closure(x):
        return c * np.exp(x)
    return closure


CASES = [
    (f, (2.0, 5.0)),
    (loop_branch, (0.5, 4)),
    (loop_branch, (1.5, 3)),
    (while_loop, (1.5, 2.0)),
    (arrays, (np.array([0.1, 0.2, 0.3]), 0.7)),
    (reductions, (np.arange(1.0, 7.0).reshape(2, 3),)),
    (enumerate_continue, (np.array([1.0, -2.0, 3.0, 4.0]),)),
    (writes, (1.5,)),
    (tuples, (2.0, 3.0)),
    (breaks, (1.2,)),
    (lambdas, (1.3,)),
    (versions, (0.4,)),
    (stops, (np.array([-1.0, 2.0]),)),
    (lists, (np.array([1.0, 2.0]), np.array([3.0, -1.0]))),
    (dicts, (1.5,)),
    (make_closure(3.0), (0.2,)),
]


def full_tangents(t, args):
    out = [np.zeros(np.shape(a)) if np.ndim(a) else 0.0 for a in args]
    for i, d in zip(t.argnums, t.direction):
        out[i] = d
    return tuple(out)


@pytest.mark.parametrize("fn,args", CASES, ids=[f"{c[0].__name__}{i}"
                                                for i, c in enumerate(CASES)])
def test_trace_agrees_with_grad_and_jvp(fn, args):
    t = sct.trace(fn, *args)
    assert np.allclose(t.value, fn(*args), rtol=1e-13)
    expected = sct.grad(fn, argnums=t.argnums)(*args)
    for got, want in zip(t.gradient, expected, strict=True):
        assert np.shape(got) == np.shape(want)
        assert np.allclose(got, want, rtol=1e-12, atol=1e-14)
    _, tangent = sct.jvp(fn, args, full_tangents(t, args))
    assert np.allclose(t.jvp, tangent, rtol=1e-12, atol=1e-14)
    # the last adjoint rows are the inputs' adjoints, the gradient itself
    inputs = {r.variable: r.value for r in t.adjoint if r.expression != "0"}
    names = list(inspect.signature(fn).parameters)
    for i, g in zip(t.argnums, t.gradient):
        if f"{names[i]}_bar" in inputs:
            assert np.allclose(inputs[f"{names[i]}_bar"], g)


def test_a_direction_of_ones_gives_the_sum_of_the_gradient():
    t = sct.trace(loop_branch, 0.5, 4, direction=(2.0,))
    assert t.jvp == pytest.approx(2.0 * t.gradient[0], rel=1e-13)
    x = np.array([0.1, 0.2, 0.3])
    t = sct.trace(arrays, x, 0.7, argnums=0, direction=np.ones(3))
    assert t.jvp == pytest.approx(float(np.sum(t.gradient[0])), rel=1e-13)


def test_default_direction_is_the_first_unit_vector():
    t = sct.trace(arrays, np.array([0.1, 0.2, 0.3]), 0.7)
    assert t.argnums == (0, 1)
    assert np.array_equal(t.direction[0], [1.0, 0.0, 0.0])
    assert t.direction[1] == 0.0
    assert t.jvp == pytest.approx(t.gradient[0][0], rel=1e-13)


# -- the textbook tables ---------------------------------------------------------------
def test_primal_rows_of_the_textbook_function():
    t = sct.trace(f, 2.0, 5.0)
    line = line_of(f, "f body")
    rows = t.primal
    assert all(isinstance(r, Row) for r in rows)
    assert [(r.name, r.variable, r.expression) for r in rows] == [
        ("v-1", "x1", "input"), ("v0", "x2", "input"),
        ("v1", "log_x1", "np.log(x1)"), ("v2", "x1_times_x2", "x1 * x2"),
        ("v3", "out_t1", "log_x1 + x1_times_x2"), ("v4", "sin_x2", "np.sin(x2)"),
        ("v5", "out", "out_t1 - sin_x2")]
    assert [r.value for r in rows] == pytest.approx(
        [2.0, 5.0, math.log(2.0), 10.0, math.log(2.0) + 10.0, math.sin(5.0),
         math.log(2.0) + 10.0 - math.sin(5.0)], rel=1e-15)
    assert [r.line for r in rows] == [line - 1] * 2 + [line] * 5
    assert t.value == pytest.approx(11.652071455223084, rel=1e-15)


def test_tangent_rows_of_the_textbook_function():
    t = sct.trace(f, 2.0, 5.0)
    assert [(r.variable, r.expression) for r in t.tangent] == [
        ("x1_dot", "direction"), ("x2_dot", "direction"), ("log_x1_dot", "x1_dot / x1"),
        ("x1_times_x2_dot", "x1_dot * x2 + x1 * x2_dot"),
        ("out_t1_dot", "log_x1_dot + x1_times_x2_dot"),
        ("sin_x2_dot", "x2_dot * np.cos(x2)"), ("out_dot", "out_t1_dot - sin_x2_dot")]
    assert [r.value for r in t.tangent] == pytest.approx(
        [1.0, 0.0, 0.5, 5.0, 5.5, 0.0, 5.5], rel=1e-15)
    along_x2 = sct.trace(f, 2.0, 5.0, direction=(0.0, 1.0))
    assert along_x2.jvp == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)


def test_adjoint_rows_of_the_textbook_function():
    t = sct.trace(f, 2.0, 5.0)
    rows = t.adjoint
    assert [r.name for r in rows] == ["v5", "v4", "v3", "v2", "v1", "v0", "v-1"]
    assert [(r.variable, r.expression) for r in rows] == [
        ("out_bar", "1"), ("sin_x2_bar", "-out_bar"), ("out_t1_bar", "out_bar"),
        ("x1_times_x2_bar", "out_t1_bar"), ("log_x1_bar", "out_t1_bar"),
        ("x2_bar", "x1 * x1_times_x2_bar + sin_x2_bar * np.cos(x2)"),
        ("x1_bar", "log_x1_bar / x1 + x1_times_x2_bar * x2")]
    assert [r.value for r in rows] == pytest.approx(
        [1.0, -1.0, 1.0, 1.0, 1.0, 1.7163378145367738, 5.5], rel=1e-15)
    assert t.gradient == pytest.approx((5.5, 1.7163378145367738), rel=1e-15)


def test_text_and_markdown_tables():
    t = sct.trace(f, 2.0, 5.0)
    text = str(t)
    assert text.split("\n\n")[0].splitlines()[0] == (
        f"Forward primal trace of f ({FILE}) at (x1, x2) = (2, 5)")
    assert "Forward tangent trace along (x1_dot, x2_dot) = (1, 0)" in text
    assert "Reverse adjoint trace from out_bar = 1" in text
    adjoint = t.table("adjoint").splitlines()
    assert adjoint[1].split() == ["v", "adjoint", "expression", "value", "line"]
    assert adjoint[-1].split()[:3] == ["v-1", "x1_bar", "log_x1_bar"]
    assert adjoint[-2].split()[-2] == "1.71634"
    assert t.table("adjoint", digits=17).splitlines()[-2].split()[-2] == \
        "1.7163378145367738"
    # aligned: values and lines are right-aligned, so every row ends at one column
    assert len({len(line) for line in adjoint[1:]}) == 1
    end = len(adjoint[1]) - len("line") - 2  # where the value column ends
    assert all(line[end - 1] != " " and line[end:end + 2] == "  "
               for line in adjoint[1:])
    md = t.table("tangent", fmt="markdown").splitlines()
    assert md[0] == "**Forward tangent trace along (x1_dot, x2_dot) = (1, 0)**"
    assert md[2] == "| v | tangent | expression | value | line |"
    assert md[6] == f"| v1 | log_x1_dot | x1_dot / x1 | 0.5 | {line_of(f, 'f body')} |"
    assert len(md) == 4 + 7
    with pytest.raises(ValueError):
        t.table("dual")
    with pytest.raises(ValueError):
        t.table("primal", fmt="html")
    assert str(sct.trace(f, 2.0, 5.0)) == text  # deterministic


def test_loops_give_one_row_per_pass_with_the_users_names():
    t = sct.trace(loop_branch, 0.5, 4)
    ys = [r for r in t.primal if r.variable == "y"]
    assert len(ys) == 5  # y = x, then once per pass
    assert len({r.name for r in ys}) == 5
    y, expected = 0.5, [0.5]
    for _ in range(4):
        y = y * 0.5 + math.sin(0.5) if y > 1.0 else y * y + 0.5
        expected.append(y)
    assert [r.value for r in ys] == pytest.approx(expected, rel=1e-15)
    conds = [r.value for r in t.primal if r.variable == "cond"]
    assert conds == [False, False, True, True]  # the branch each pass took
    exprs = [r.expression for r in ys]
    assert exprs == ["x"] + ["y_times_y + x"] * 2 + ["y_times_0_5 + sin_x"] * 2
    assert [r.variable for r in t.tangent][0] == "x_dot"
    assert "n_dot" not in {r.variable for r in t.tangent}  # an int: no derivative
    assert t.argnums == (0,)


def test_formulas_are_the_rule_templates_in_the_functions_names():
    t = sct.trace(lists, np.array([1.0, 2.0]), np.array([3.0, -1.0]))
    tangent = {r.variable: r.expression for r in t.tangent}
    assert tangent["stack_x_y_times_2_dot"] == \
        "np.stack([x_dot, y_times_2_dot], axis=0)"
    assert tangent["dot_x_y_dot"] == "np.dot(x_dot, y) + np.dot(x, y_dot)"
    adjoint = {r.variable: r.expression for r in t.adjoint}
    assert adjoint["y_times_2_bar"] == "(unstack(stack_x_y_times_2_bar, 0))[1]"
    w = sct.trace(writes, 1.5)
    assert [r.expression for r in w.tangent if r.variable == "y_dot"] == [
        "setitem(zeros_like(y), 0, x_dot)",
        "setitem(y_dot, slice(1, None, None), y_t1_dot)"]
    assert [r.expression for r in w.primal if r.variable == "y"] == [
        "np.zeros(3)", "y[0] = x", "y[1:] = y_t1"]


def test_arrays_print_on_one_line():
    t = sct.trace(arrays, np.array([0.1, 0.2, 0.3]), 0.7)
    assert t.primal[0].value.tolist() == [0.1, 0.2, 0.3]
    first = t.table("primal").splitlines()[2]
    assert first.startswith("v-1  x ") and " input " in first
    assert " [0.1, 0.2, 0.3]  " in first
    big = sct.trace(arrays, np.linspace(0.0, 1.0, 50), 0.7)
    assert "..." in big.table("primal").splitlines()[2]
    assert all(len(line) < 200 for line in str(big).splitlines())


def test_rows_keep_their_values_when_an_array_is_written_later():
    x = np.array([1.0, 2.0])
    t = sct.trace(writes, 1.5)
    ys = [r.value for r in t.primal if r.variable == "y"]
    assert [v.tolist() for v in ys] == [[0, 0, 0], [1.5, 0, 0], [1.5, 3, 3]]
    sct.trace(writes_argument, x)
    assert x.tolist() == [1.0, 2.0]  # the caller's array is never written


def writes_argument(x):
    x[0] = x[1] * 3.0
    return np.sum(x * x)


def test_writing_into_an_argument_agrees_with_grad():
    x = np.array([1.0, 2.0])
    t = sct.trace(writes_argument, x)
    assert np.allclose(t.gradient[0], sct.grad(writes_argument)(x))
    assert x.tolist() == [1.0, 2.0]


# -- what cannot be traced -------------------------------------------------------------
def helper(a):
    return a * a


def calls_helper(x):
    return helper(x) + 1.0  # <- helper


def appends(x):
    items = []
    items.append(x)  # <- append
    return items[0]


def comprehension(x):
    ys = [x * i for i in range(3)]  # <- comprehension
    return sum(ys)


def pops(x):
    items = [x, 2.0 * x]
    v = items.pop()  # <- pop
    return v


def writes_out(x):
    y = np.array([1.0, 2.0]) * x
    np.add(y, 1.0, out=y)  # <- out
    return np.sum(y)


def assigns_out(x):
    y = np.array([1.0, 2.0]) * x
    z = np.add(y, 1.0, out=y)  # <- out assigned
    return np.sum(z)


def concatenates(x):
    items = [x]
    more = items + [2.0 * x]  # <- concatenate
    return more[0] * more[1]


def repeats(x):
    t = (x, x * 2.0)
    u = t * 2  # <- repeat
    return u[3] * u[0]


GLOBAL = np.ones(3)


def writes_global_view(x):
    a = np.asarray(GLOBAL)  # <- global
    a[0] = x
    return np.sum(GLOBAL) * x


REFUSED = [
    (calls_helper, "helper", "user function 'helper'"),
    (appends, "append", "'items.append(x)' (a list mutation)"),
    (comprehension, "comprehension", "a list mutation"),
    (pops, "pop", "'items.pop()' (a list mutation)"),
    (writes_out, "out", "'np.add(y, 1.0, out=y)' (a call made for its effect)"),
    (assigns_out, "out assigned", "'out=' in the call 'np.add(y, 1.0, out=y)'"),
    (concatenates, "concatenate",
     "'items + v2_times_x_1' (a list made by an operation"),
    (repeats, "repeat", "'t * 2' (a tuple made by an operation"),
]


@pytest.mark.parametrize("fn,marker,words", REFUSED, ids=[r[1] for r in REFUSED])
def test_untraceable_constructs_name_the_construct_and_the_line(fn, marker, words):
    with pytest.raises(TraceError) as info:
        sct.trace(fn, 1.5)
    msg = str(info.value)
    assert isinstance(info.value, sct.SCTError)
    assert msg.startswith(f"{fn.__code__.co_filename}:{line_of(fn, marker)}: ")
    assert words in msg
    assert f"(in function '{fn.__name__}')" in msg
    assert GLOBAL.tolist() == [1.0, 1.0, 1.0]


def test_a_write_through_a_view_of_a_global_is_refused_before_tracing():
    with pytest.raises(sct.UnsupportedSyntax) as info:
        sct.trace(writes_global_view, 1.5)
    msg = str(info.value)
    assert msg.startswith(f"{writes_global_view.__code__.co_filename}:"
                          f"{line_of(writes_global_view, 'global')}: ")
    assert "written in place" in msg
    assert GLOBAL.tolist() == [1.0, 1.0, 1.0]


def constant_helper(x):
    return helper(3.0) + x


def test_a_user_function_on_constants_is_a_constant():
    t = sct.trace(constant_helper, 1.0)
    assert t.value == 10.0 and t.gradient == (1.0,)


def two_outputs(x, y):
    return x * y, x + y


def test_non_scalar_outputs_have_tangents_but_no_adjoint_trace():
    t = sct.trace(two_outputs, 2.0, 3.0)
    assert t.jvp == (3.0, 1.0)
    with pytest.raises(sct.NotDifferentiable, match="scalar float output"):
        t.gradient
    with pytest.raises(sct.NotDifferentiable):
        t.adjoint
    assert "No reverse adjoint trace: sct.trace: the adjoint trace needs" in str(t)
    arr = sct.trace(np_sin, np.array([0.0, 1.0]))
    assert np.allclose(arr.jvp, [1.0, 0.0])


def np_sin(x):
    return np.sin(x)


def test_bad_arguments():
    with pytest.raises(sct.NotDifferentiable, match="argument 1"):
        sct.trace(loop_branch, 0.5, 3, argnums=1)
    with pytest.raises(ValueError, match="shape"):
        sct.trace(arrays, np.ones(3), 0.7, direction=(np.ones(2), 0.0))
    with pytest.raises(ValueError, match="2 tangents for 1 inputs"):
        sct.trace(loop_branch, 0.5, 3, direction=(1.0, 0.0))


# -- the computation graph -------------------------------------------------------------
def test_dot_text_of_the_textbook_function():
    assert sct.trace(f, 2.0, 5.0).to_dot() == """digraph "f" {
  rankdir=LR;
  node [shape=box, fontname="Helvetica", fontsize=10];
  edge [fontname="Helvetica", fontsize=9];
  "v-1" [label="v-1: x1\\n= 2", shape=ellipse];
  "v0" [label="v0: x2\\n= 5", shape=ellipse];
  "v1" [label="v1: log_x1\\nnp.log(x1)\\n= 0.6931"];
  "v2" [label="v2: x1_times_x2\\nx1 * x2\\n= 10"];
  "v3" [label="v3: out_t1\\nlog_x1 + x1_times_x2\\n= 10.69"];
  "v4" [label="v4: sin_x2\\nnp.sin(x2)\\n= -0.9589"];
  "v5" [label="v5: out\\nout_t1 - sin_x2\\n= 11.65", peripheries=2];
  "v-1" -> "v1" [label="0.5"];
  "v-1" -> "v2" [label="5"];
  "v0" -> "v2" [label="2"];
  "v1" -> "v3" [label="1"];
  "v2" -> "v3" [label="1"];
  "v0" -> "v4" [label="0.2837"];
  "v3" -> "v5" [label="1"];
  "v4" -> "v5" [label="-1"];
}
"""


def square_and_unused(x):
    unused = np.exp(x)  # noqa: F841
    return x * x + 0.0 * np.sum(np.array([1.0]))


def test_dot_edges_sum_repeated_arguments_and_dash_dead_steps():
    dot = sct.trace(square_and_unused, 3.0).to_dot()
    assert '"v0" -> "v2" [label="6"];' in dot  # d(x*x)/dx, one edge
    assert '"v1" [label="v1: unused\\nnp.exp(x)\\n= 20.09", style=dashed];' in dot
    arr = sct.trace(arrays, np.array([0.1, 0.2]), 0.7).to_dot()
    assert '"v-1" -> "v1";' in arr  # an array argument: no scalar partial
    assert '"v0" -> "v1" [label=' not in arr


def test_render_without_graphviz_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFound, match="install graphviz") as info:
        sct.trace(f, 2.0, 5.0).render(tmp_path / "f.png")
    assert isinstance(info.value, sct.SCTError)
    assert not (tmp_path / "f.png").exists()


@pytest.mark.skipif(os.name == "nt", reason="the stand-in dot is a POSIX script")
def test_render_runs_dot_with_the_dot_text(monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text(f"#!{sys.executable}\n"
                    "import sys\n"
                    "args = sys.argv[1:]\n"
                    "if args[0] == '-Tbad':\n"
                    "    sys.exit('unknown format')\n"
                    "with open(args[args.index('-o') + 1], 'w') as out:\n"
                    "    out.write(args[0] + sys.stdin.read())\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    t = sct.trace(f, 2.0, 5.0)
    out = t.render(tmp_path / "graph.svg")
    assert out == tmp_path / "graph.svg"
    assert out.read_text() == "-Tsvg" + t.to_dot()
    assert t.render(tmp_path / "graph", format="png").read_text().startswith("-Tpng")
    with pytest.raises(sct.SCTError, match="unknown format"):
        t.render(tmp_path / "graph.bad")


# -- the demo --------------------------------------------------------------------------
def load_demo():
    spec = importlib.util.spec_from_file_location(
        "examples_trace_demo", ROOT / "examples" / "trace_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_trace_demo(capsys):
    got = load_demo().main()
    out = capsys.readouterr().out
    assert got["trace_gradient"] == pytest.approx((5.5, 1.7163378145367738), rel=1e-15)
    assert got["grad"] == pytest.approx((5.5, 1.7163378145367738), rel=1e-15)
    assert got["trace_jvp"] == pytest.approx(5.5, rel=1e-15)
    assert got["jvp"] == pytest.approx(5.5, rel=1e-15)
    assert got["direction"] == (1.0, 0.0)
    assert got["value"] == pytest.approx(got["sct_value"], rel=1e-15)
    for text in ["Forward primal trace of f (trace_demo.py) at (x1, x2) = (2, 5)",
                 "Forward tangent trace along (x1_dot, x2_dot) = (1, 0)",
                 "Reverse adjoint trace from out_bar = 1",
                 "def f_jvp(x1, x2, x1_dot, x2_dot):",
                 "    out_dot = x1_dot / x1 + (x1_dot * x2 + x1 * x2_dot) - x2_dot * "
                 "np.cos(x2)", "def f_grad(x1, x2):",
                 "def f_bwd(saved, out_bar):", 'digraph "f" {']:
        assert text in out
    assert "/" + "work" not in out and "\\" + "Users" not in out  # no machine paths


def test_a_branch_decision_in_a_loop_is_on_the_if_line():
    t = sct.trace(loop_branch, 0.9, 3)
    conds = [r for r in t.primal if r.variable.startswith("cond")]
    assert len(conds) == 3
    assert {r.line for r in conds} == {line_of(loop_branch, "if")}
