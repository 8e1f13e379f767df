"""Every refused construct raises an SCTError subclass naming it and the user's file:line."""

import inspect
import os

import numpy as np
import pytest

import bad_functions as bad
import sct
from fd import line_of




FILE = os.path.basename(bad.__file__)

SYNTAX = [
    (bad.uses_yield, "yield", "'yield'"),
    (bad.uses_try, "try", "'try'"),
    (bad.uses_with, "with", "'with'"),
    (bad.uses_global, "global", "'global'"),
    (bad.local_function_as_value, "local value", "used as a value"),
    (bad.uses_del, "del", "'del'"),
    (bad.uses_star_args, "star args", "'*xs'"),
    (bad.recursive_local, "local recursion", "calls itself"),
    (bad.uses_exec, "exec", "'exec'"),
    (bad.uses_nested_item_store, "nested item store", "nested item"),
    (bad.uses_attribute_store, "attribute store", "assignment to an attribute"),
    (bad.uses_while_else, "while else", "'while ... else'"),
    (bad.no_return, "no return", "never returns a value"),
    (bad.writes_into_shared_array, "alias", "written in place and another name"),
    (bad.writes_through_a_view, "view", "written in place and another name"),
    (bad.writes_through_a_reshape, "reshape", "written in place and another name"),
    (bad.writes_through_a_helper_result, "helper result",
     "written in place and another name"),
    (bad.repeats_a_tuple, "tuple repetition", "on a list or tuple"),
    (bad.concatenates_lists, "list concatenation", "on a list or tuple"),
]


@pytest.mark.parametrize("fn,marker,words", SYNTAX, ids=[s[1] for s in SYNTAX])
def test_unsupported_syntax(fn, marker, words):
    with pytest.raises(sct.UnsupportedSyntax) as info:
        sct.grad(fn)(*([1.0] * max(1, fn.__code__.co_argcount)))
    msg = str(info.value)
    assert f"{FILE}:{line_of(fn, marker)}:" in msg
    assert words in msg
    assert f"(in function '{fn.__name__}')" in msg
    assert isinstance(info.value, sct.SCTError)


def copies_before_writing(x):
    y = np.zeros(3)
    z = np.copy(y)  # what the alias error advises
    y[0] = x
    return np.sum(z) + np.sum(y * y)


def test_the_copy_the_alias_error_advises_has_a_derivative():
    assert "np.copy(y)" in str(pytest.raises(
        sct.UnsupportedSyntax, sct.grad(bad.writes_into_shared_array), 1.0).value)
    assert sct.check_grads(copies_before_writing, (1.5,), order=2).passed


def test_every_problem_is_reported_at_once():
    with pytest.raises(sct.UnsupportedSyntax) as info:
        sct.grad(bad.many_problems)(1.0)
    problems = info.value.problems
    lines = {p[1] for p in problems}
    assert line_of(bad.many_problems, "many 1") in lines
    assert line_of(bad.many_problems, "many 2") in lines
    assert len(problems) == 2


def test_call_without_rule_names_function_and_line():
    with pytest.raises(sct.NoDerivative) as info:
        sct.grad(bad.calls_unknown_builtin)(np.ones(4))
    msg = str(info.value)
    assert f"{FILE}:{line_of(bad.calls_unknown_builtin, 'no rule')}:" in msg
    assert "fft" in msg and "sct.rule" in msg


def test_call_of_a_local_value_is_refused():
    with pytest.raises(sct.NoDerivative) as info:
        sct.grad(bad.calls_local_function)(1.0, np.sin)
    assert f"{FILE}:{line_of(bad.calls_local_function, 'unknown call')}:" in str(info.value)


def test_builtin_has_no_source():
    with pytest.raises(sct.SourceUnavailable) as info:
        sct.grad(np.fft.fft)(np.ones(3))
    with pytest.raises(sct.SourceUnavailable):
        sct.grad(len)(1.0)
    assert "sct.rule" in str(info.value)


def test_exec_made_function_has_no_source():
    ns = {}
    exec("def made(x):\n    return x * x\n", ns)
    with pytest.raises(sct.SourceUnavailable) as info:
        sct.grad(ns["made"])(1.0)
    assert "made" in str(info.value)
    assert "define the function in a file" in str(info.value)


def test_integer_argument_is_refused_at_the_call():
    def f(x):
        return x * 2.0
    df = sct.grad(f)
    with pytest.raises(sct.NotDifferentiable) as info:
        df(3)
    assert "'x'" in str(info.value) and "integer" in str(info.value)
    with pytest.raises(sct.NotDifferentiable):
        df(np.arange(3))
    assert df(3.0) == 2.0


def test_non_scalar_output_is_refused_at_the_call():
    def f(x):
        return x * 2.0
    with pytest.raises(sct.NotDifferentiable) as info:
        sct.grad(f)(np.ones(3))
    assert "sct.vjp" in str(info.value)
    # a size-1 array is a scalar
    g = sct.grad(f)(np.ones(1))
    assert g.shape == (1,) and g[0] == 2.0


def test_not_a_derivative_for_source():
    with pytest.raises(sct.SCTError):
        sct.source(len)


def test_problems_in_the_whole_call_tree_are_listed_together():
    with pytest.raises(sct.UnsupportedSyntax) as info:
        sct.grad(bad.calls_two_bad_helpers)(1.0)
    lines = {p[1] for p in info.value.problems}
    assert line_of(bad.bad_helper_one, "helper one") in lines
    assert line_of(bad.bad_helper_two, "helper two") in lines



def test_a_helper_result_read_after_the_last_write_is_derived():
    g = sct.grad(bad.reads_a_helper_result_after_writing)(0.7)
    assert g == pytest.approx(1.4, rel=1e-12)
    assert sct.jvp(bad.reads_a_helper_result_after_writing, (0.7,), (1.0,))[1] == \
        pytest.approx(1.4, rel=1e-12)


def test_a_pop_with_an_index_is_refused_with_what_to_do():
    with pytest.raises(sct.NoDerivative) as info:
        sct.grad(bad.pops_from_the_front)(0.7, 3)
    msg = str(info.value)
    line = line_of(bad.pops_from_the_front, "pop index")
    assert f"{os.path.basename(bad.__file__)}:{line}: cannot differentiate" in msg
    assert "only be popped from its end" in msg


def _refused_at(fn, marker, *args):
    """The message of the NoDerivative that sct.grad(fn)(*args) raises, which must
    name the line marked ``# <- marker``."""
    with pytest.raises(sct.NoDerivative) as info:
        sct.grad(fn)(*args)
    msg = str(info.value)
    assert f"{FILE}:{line_of(fn, marker)}:" in msg
    return msg


def test_einsum_forms_without_a_derivative_say_so():
    # three operands: refused by the binding
    assert "einsum" in _refused_at(bad.einsum_three_operands, "three operands", np.ones(3))
    # an index summed within one operand only: the subscripts are checked at build
    assert "index 'i' of operand 0" in _refused_at(
        bad.einsum_summed_alone, "summed alone", np.ones((2, 3)), np.ones(3))


def test_linspace_along_another_axis_is_refused_at_its_line():
    assert "axis 0" in _refused_at(bad.linspace_axis_1, "axis 1", np.ones(2))


@pytest.mark.parametrize("fn, marker", [(bad.meshgrid_of_an_argument, "meshgrid"),
                                        (bad.enumerate_held, "enumerate")])
def test_structural_calls_on_a_differentiated_value_are_refused(fn, marker):
    # they were registered as having no derivative: the gradients came out as zeros
    _refused_at(fn, marker, np.array([1.0, 2.0]))


def test_structural_calls_on_constants_still_work():
    assert sct.grad(bad.meshgrid_of_constants)(2.0) == pytest.approx(6.0)
