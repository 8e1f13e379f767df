"""The public API as users meet it: decorators, caching, threads, purity, tracebacks."""

import inspect
import linecache
import subprocess
import sys
import textwrap
import threading
import traceback

import numpy as np
import pytest

import api_module as m
import sct


def test_grad_as_a_decorator_with_and_without_arguments():
    @sct.grad
    def df(x):
        return x * x * x

    @sct.grad(argnums=(0, 1))
    def dg(x, y):
        return x * y

    assert df(2.0) == 12.0
    assert dg(2.0, 3.0) == (3.0, 2.0)
    assert inspect.signature(dg) == inspect.signature(dg.__sct__["fn"])


def test_keyword_arguments_and_defaults_reach_the_derivative():
    from cases import defaults
    x = np.array([1.0, 2.0])
    g1 = sct.grad(defaults)(x)
    g2 = sct.grad(defaults)(x, scale=3.0, shift=0.0)
    np.testing.assert_allclose(g1, [1.0, 1.0])  # 2.0 * SCALE
    np.testing.assert_allclose(g2, [1.5, 1.5])


def test_the_cache_builds_once_and_keys_on_argument_kinds():
    def f(x):
        return np.sum(x * x)
    df = sct.grad(f)
    df(1.0)
    first = sct.cache._cache[f]
    assert len(first) == 1
    df(2.0)
    assert len(sct.cache._cache[f]) == 1
    df(np.ones(3))
    assert len(sct.cache._cache[f]) == 2
    assert sct.grad(f, argnums=0) is df  # asked again: the same dispatcher
    sct.grad(f)(3.0)
    assert len(sct.cache._cache[f]) == 2


def test_another_float_dtype_reuses_the_build_and_gets_its_own_fast_test():
    def f(x):
        return np.sum(x * x)
    g = sct.grad(f)
    x64 = np.array([1.0, 2.0])
    np.testing.assert_array_equal(g(x64), [2.0, 4.0])
    x32 = x64.astype(np.float32)
    for _ in range(2):  # (the second time, through the test the first call added)
        got = g(x32)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, [2.0, 4.0])
    assert len(sct.cache._cache[f]) == 1  # one derivative for every float dtype
    consts = [c.cell_contents for c in g.__closure__]
    assert np.dtype(np.float64) in consts and np.dtype(np.float32) in consts
    assert g(np.array([3.0])).dtype == np.float64
    # a float64 dtype that is another object (byte order swapped): the slow path
    swapped = np.array([1.0, 2.0], dtype=">f8")
    np.testing.assert_array_equal(g(swapped), [2.0, 4.0])


def _square_maker():
    def f(x):
        return x * x
    return f


def test_caches_do_not_keep_the_function_alive():
    import gc
    import weakref
    f = _square_maker()
    alive = weakref.ref(f)
    df = sct.grad(f)
    assert df(3.0) == 6.0
    assert sct.value_and_grad(f)(2.0) == (4.0, 4.0)
    del f, df
    gc.collect()
    assert alive() is None


def test_grad_asked_again_after_the_first_is_dropped_reuses_the_build():
    f = _square_maker()
    assert sct.grad(f)(3.0) == 6.0
    built = sct.cache._cache[f]
    assert sct.grad(f)(4.0) == 8.0  # a new dispatcher function, the same derivative
    assert sct.cache._cache[f] is built and len(built) == 1


def test_grad_asked_again_while_the_first_lives_returns_it():
    f = _square_maker()
    g = sct.grad(f)
    assert sct.grad(f) is g and g(3.0) == 6.0
    assert sct.grad(f, argnums=(0,)) is not g  # another transform: its own function


def test_functions_with_one_signature_share_dispatch_code_not_derivatives():
    # two functions named f with one signature: their dispatchers have the same
    # source, compiled once, and each keeps its own specializations (its own cells)
    def power(p):
        def f(x):
            return np.sum(x ** p)
        return f

    f2, f3 = power(2.0), power(3.0)
    g2, g3 = sct.grad(f2), sct.grad(f3)
    x = np.array([1.0, 2.0])
    for _ in range(2):  # (the second time round, every call takes a fast branch)
        assert g2(3.0) == 6.0 and g3(3.0) == 27.0
        np.testing.assert_array_equal(g2(x), [2.0, 4.0])
        np.testing.assert_array_equal(g3(x), [3.0, 12.0])
    assert g2.__code__.co_code == g3.__code__.co_code
    assert not {id(c) for c in g2.__closure__} & {id(c) for c in g3.__closure__}


def test_rebinding_a_global_changes_later_results():
    x = np.array([0.5, -0.3])
    g = sct.grad(m.scaled)
    a = g(x)
    old = m.SCALE
    try:
        m.SCALE = 5.0
        np.testing.assert_allclose(g(x), a * 2.5)
    finally:
        m.SCALE = old


def test_rebinding_a_called_function_rebuilds_the_derivative():
    x = np.array([0.5, -0.3])
    g = sct.grad(m.uses_act)
    np.testing.assert_allclose(g(x), np.tanh(x) + x * (1 - np.tanh(x) ** 2))
    old = m.act
    try:
        m.act = lambda x: x * x * x
        np.testing.assert_allclose(g(x), 4 * x ** 3)
    finally:
        m.act = old


def test_closures_are_read_when_the_derivative_runs():
    f = m.make_closure(3.0)
    np.testing.assert_allclose(sct.grad(f)(np.array([1.0, 2.0])), [6.0, 12.0])
    cell = f.__closure__[0]
    cell.cell_contents = 10.0
    np.testing.assert_allclose(sct.grad(f)(np.array([1.0, 2.0])), [20.0, 40.0])


def test_the_callers_arrays_and_the_users_module_are_unchanged():
    v = np.array([1.0, 2.0, 3.0])
    before = dict(vars(m))
    g = sct.grad(m.writes_argument)(v)
    np.testing.assert_array_equal(v, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(g, [0.0, 20.0, 6.0])  # f = 5 v1**2 + v2**2
    assert set(vars(m)) == set(before)
    assert all(vars(m)[k] is before[k] for k in before)
    out, back = sct.vjp(m.writes_argument, v)
    back(1.0)
    np.testing.assert_array_equal(v, [1.0, 2.0, 3.0])


def test_a_derivative_recovers_after_an_exception():
    g = sct.grad(m.raises_for_negative)
    assert g(4.0) == pytest.approx(3.0 / (2 * 2.0))
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError):
            g(-1.0)
    assert g(4.0) == pytest.approx(0.75)


def _from_threads(call, times, threads=8):
    """The results of ``call()`` run ``times`` times in each of ``threads`` threads."""
    results, errors = [], []

    def work():
        try:
            for _ in range(times):
                results.append(call())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    started = [threading.Thread(target=work) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join()
    assert not errors
    assert len(results) == times * threads
    return results


def test_the_same_derivative_from_eight_threads():
    from cases import rnn, CASES
    case = next(c for c in CASES if c.fn is rnn)
    want = sct.grad(rnn, argnums=(0, 1, 2))(*case.args)
    fresh = sct.grad(rnn, argnums=(0, 1, 2))
    for r in _from_threads(lambda: fresh(*case.args), 20):
        for a, b in zip(r, want):
            np.testing.assert_array_equal(a, b)


def test_jvp_and_hvp_from_eight_threads():
    # the repeated-call table of jvp and the shape-pattern builds, shared by threads
    from cases import mlp_loss, CASES
    case = next(c for c in CASES if c.fn is mlp_loss)
    rng = np.random.default_rng(7)
    tangents = tuple(rng.normal(size=np.shape(a)) if i < 4 else None
                     for i, a in enumerate(case.args))
    want_jvp = sct.jvp(mlp_loss, case.args, tangents)[1]
    want_hvp = sct.hvp(mlp_loss, case.args, tangents, argnums=(0, 1, 2, 3))

    def call():
        return (sct.jvp(mlp_loss, case.args, tangents)[1],
                sct.hvp(mlp_loss, case.args, tangents, argnums=(0, 1, 2, 3)))

    for j, h in _from_threads(call, 10):
        assert j == want_jvp
        for a, b in zip(h, want_hvp):
            np.testing.assert_array_equal(a, b)


def test_building_from_eight_threads_at_once():
    def make():
        def f(x):
            return np.sum(np.exp(x) * x)
        return f
    fns = [make() for _ in range(8)]
    out = [None] * 8

    def work(i):
        out[i] = sct.grad(fns[i])(np.array([0.1, 0.2]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for o in out:
        np.testing.assert_allclose(o, np.exp([0.1, 0.2]) * (1 + np.array([0.1, 0.2])))


def test_generated_source_is_visible_to_inspect_linecache_and_tracebacks():
    from cases import demo
    df = sct.grad(demo, argnums=(0, 1))
    df(2.0, 5.0)
    built = df.__sct__["state"]["last"]
    fn = built.functions[0]
    assert textwrap.dedent(inspect.getsource(fn)) == built.sources[0]
    code = fn.__code__
    assert linecache.getline(code.co_filename, code.co_firstlineno).strip().startswith(
        "def demo_grad")
    with pytest.raises(ZeroDivisionError) as info:
        df(0.0, 5.0)
    text = "".join(traceback.format_exception(info.value))
    assert "x1_bar = x2 + 1.0 / x1" in text


def test_recursion_with_a_data_dependent_depth():
    for n in (0, 1, 4):
        g = sct.grad(m.depth)(0.3, n)
        eps = 1e-6
        fd = (m.depth(0.3 + eps, n) - m.depth(0.3 - eps, n)) / (2 * eps)
        assert g == pytest.approx(fd, rel=1e-6)


def test_records_are_listed_in_the_source():
    from cases import scalar_loop
    g = sct.grad(scalar_loop)
    g(0.5, 0.1, 4)
    src = sct.source(g)
    assert "# the tape records" in src


def test_import_is_clean_with_warnings_as_errors():
    subprocess.run([sys.executable, "-W", "error", "-c", "import sct"], check=True)


def test_a_loop_records_only_what_its_reverse_reads():
    def f(x, n):
        y = x
        s = 0.0
        for i in range(n):
            y = np.sin(y) * x   # the reverse reads y and sin(y)
            s = s + 1.0         # never read by the reverse: not recorded
        return y + s
    g = sct.grad(f)
    g(0.3, 10)
    rec = sct.records(g)
    assert rec["values"] == ["sin_y", "y"]
    assert rec["loop variables"] == [] and rec["branch decisions"] == []


def test_gradients_never_share_memory_with_the_arguments_or_each_other():
    # y_bar = x * 1.0 folds to x: returned as it was, g *= 0.1 changed the caller's x
    x, y, z = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), np.array([7.0, 8.0, 9.0])
    keep = [a.copy() for a in (x, y, z)]
    g = sct.grad(m.dot, argnums=1)(x, y)
    gx, gy = sct.grad(m.two, argnums=(0, 1))(x, y, z)
    v, (hx, hy) = sct.value_and_grad(m.two, argnums=(0, 1))(x, y, z)
    t = sct.grad(m.transposed, argnums=1)(np.outer(x, y), np.outer(y, z))
    value, back = sct.vjp(m.scaled_by_one, x)  # x * 1.0 folds to x: the value too
    ct = np.array([0.5, 0.25, 2.0])
    (c,) = back(ct)
    outs = [g, gx, gy, hx, hy, t, c, value]
    for a in outs:
        for b in (x, y, z, ct):
            assert not np.shares_memory(a, b)
    for i, a in enumerate(outs):
        for b in outs[i + 1:]:
            assert not np.shares_memory(a, b)
    for a in outs:
        a *= 0.1
    for a, k in zip((x, y, z), keep):
        np.testing.assert_array_equal(a, k)
    np.testing.assert_allclose(gy * 10.0, z)


def test_a_build_leaves_the_garbage_collector_as_it_found_it():
    import gc

    from bad_functions import uses_yield

    def f(x):
        return np.sum(np.sin(x) * x)

    assert gc.isenabled()
    sct.grad(f)(np.ones(3))  # (built with the collector paused)
    assert gc.isenabled()
    with pytest.raises(sct.UnsupportedSyntax):
        sct.grad(uses_yield)(1.0)
    assert gc.isenabled()
    gc.disable()
    try:
        sct.value_and_grad(f)(np.ones(2))
        assert not gc.isenabled()  # off before: still off
    finally:
        gc.enable()


def test_a_build_leaves_no_cycles_holding_its_trees():
    # a build's trees are freed when it ends (by reference counts), not left for a
    # collection to find: ten thousand nodes in cycles made every build slower
    import gc

    def f(x, y):
        a = np.sin(x) * y + x * x
        b = np.tanh(a) / (1.0 + y * y)
        return np.sum(a * b) + np.mean(np.exp(-a))

    gc.collect()
    gc.disable()
    try:
        sct.grad(f, argnums=(0, 1))(np.ones(3), np.ones(3))
        found = gc.collect()
    finally:
        gc.enable()
    assert found < 200  # (before: about 4800 objects for a function like this)
