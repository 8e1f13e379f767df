"""Tree -> source -> function, with names for referenced objects, linecache and comments.

References to objects (NumPy functions, runtime helpers, derived callees) are
placeholders until here, where refs.py names them: through the user's own alias
(``np.cos``), or in the generated function's closure.

The function is created with the user's module as its globals (so globals are read at
call time, as Python would) without adding anything to that module. Its source is
registered with ``linecache``, so tracebacks, ``pdb`` and ``inspect.getsource`` show
the generated lines.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import math
import operator
import re
import sys
import types
import warnings

import gast

from . import printer
from .refs import named, resolve, resolve_refs  # noqa: F401 (resolve_refs: emit's own name)
from .reverse import COMMENT

try:  # astor prints the code; it warns on import on Python 3.12+, and may fail later
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import astor as _astor
    # how astor quotes a string (see _pretty_string)
    _astor_pretty_string = inspect.signature(_astor.to_source).parameters[
        "pretty_string"].default
except Exception:  # pragma: no cover - depends on the installed astor
    _astor = None

_counter = itertools.count(1)


def to_source(tree) -> str:
    """Print a gast tree as source: astor when it works, else ``ast.unparse``."""
    src = None
    if getattr(_astor, "__name__", None) == "astor":  # astor's text, printed faster
        src = printer.to_source(tree, _plain, _comment_line)
        if src is not None:  # (the comments are printed: what _comments would make)
            return src.rstrip() + "\n"
    node = _negative_bases(_to_ast(tree))  # (astor reads no line numbers)
    if _astor is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                src = _astor.to_source(node, pretty_string=_pretty_string,
                                       pretty_source="".join)
        except Exception:  # pragma: no cover - astor lagging a new Python
            src = None
    if src is None:
        src = ast.unparse(ast.fix_missing_locations(node)) + "\n"
    return _comments(src, _comment_texts(tree, []))


def _negative_bases(node):
    """``-2.0 ** n`` reads as ``-(2.0 ** n)``: a negative number raised to a power is
    written as the negation it came from, which the printers parenthesize."""
    for n in ast.walk(node):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) and isinstance(
                n.left, ast.Constant) and isinstance(n.left.value, (int, float)) and \
                not isinstance(n.left.value, bool) and math.copysign(1, n.left.value) < 0:
            n.left = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-n.left.value))
    return node


def _plain(s) -> bool:
    """Whether ``s`` is a comment marker, which prints as its ``repr``."""
    return s.startswith(COMMENT) and "\n" not in s and "\r" not in s


def _comment_line(s):
    """The line a statement of the comment marker ``s`` turns into (see
    :func:`_comments`), or ``None`` when ``s`` is no plain marker."""
    if not _plain(s):
        return None
    text = s[len(COMMENT):]
    if text.startswith("="):
        text = text[1:]
    return f"# {text}" if text else ""


def _pretty_string(s, *args, **kwargs):
    """astor's choice of quotes for a string, but a plain ``repr`` for a comment
    marker: its line is rewritten as a comment from the tree's text (see
    :func:`_comments`), and astor would compile every candidate to compare."""
    if isinstance(s, str) and s.startswith(COMMENT) and "\n" not in s and "\r" not in s:
        return repr(s)
    return _astor_pretty_string(s, *args, **kwargs)


def _comment_texts(node, out):
    """The comment markers' texts in the order the printer writes their lines."""
    for field in node._fields:
        v = getattr(node, field, None)
        if type(v) is list:
            for s in v:
                v = s.value if isinstance(s, gast.Expr) else None
                if isinstance(v, gast.Constant) and isinstance(v.value, str) and \
                        v.value.startswith(COMMENT):
                    out.append(v.value)
                elif isinstance(s, (gast.stmt, gast.excepthandler, gast.match_case)):
                    _comment_texts(s, out)
    return out


def _to_ast(tree):
    """``gast.gast_to_ast(tree)`` without the source positions, which nothing prints:
    several times faster, since gast copies four positions per node and most of
    sct's nodes have none (each a caught AttributeError)."""
    if sys.version_info >= (3, 12):  # type parameters: leave them to gast
        return gast.gast_to_ast(tree)
    return _convert(tree)


_AST_CLASS: dict = {}  # gast class -> (ast class, the fields both have)
# contexts and operators: one instance of each serves (the printer reads their kind)
_KINDS = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_MARKERS = {getattr(gast, c.__name__): c() for c in vars(ast).values()
            if isinstance(c, type) and issubclass(c, _KINDS) and not c._fields
            and hasattr(gast, c.__name__)}


def _convert(node):
    t = type(node)
    if t is gast.Name:
        return ast.Name(node.id, _MARKERS[type(node.ctx)])
    if t is gast.Constant:
        return ast.Constant(node.value, getattr(node, "kind", None))
    marker = _MARKERS.get(t)
    if marker is not None:
        return marker
    if t is list:
        return [_convert(x) for x in node]
    if not isinstance(node, gast.AST):
        return node
    if t is gast.arguments:
        return ast.arguments(
            posonlyargs=[_arg(x) for x in node.posonlyargs],
            args=[_arg(x) for x in node.args], vararg=_arg(node.vararg),
            kwonlyargs=[_arg(x) for x in node.kwonlyargs],
            kw_defaults=_convert(node.kw_defaults), kwarg=_arg(node.kwarg),
            defaults=_convert(node.defaults))
    if t is gast.Assign:  # (gast drops the type comment)
        return ast.Assign(targets=_convert(node.targets), value=_convert(node.value))
    if t is gast.ExceptHandler and node.name:
        return ast.ExceptHandler(type=_convert(node.type), name=node.name.id,
                                 body=_convert(node.body))
    known = _AST_CLASS.get(t)
    if known is None:
        cls = getattr(ast, t.__name__)
        known = _AST_CLASS[t] = (cls, tuple(f for f in t._fields if f in cls._fields))
    cls, fields = known
    d = node.__dict__
    kw = {}
    for f in fields:
        if f in d:
            v = d[f]
            if type(v) is list:
                v = [_convert(x) if isinstance(x, gast.AST) else x for x in v]
            elif isinstance(v, gast.AST):
                v = _convert(v)
            kw[f] = v
    return cls(**kw)


def _arg(node):
    if node is None:
        return None
    return ast.arg(arg=node.id, annotation=_convert(node.annotation),
                   type_comment=node.type_comment)


_COMMENT_LINE = re.compile(r"""^(\s*)([rRuU]?(?:\"\"\"|\'\'\'|"|'))""" + COMMENT)


def _comments(src: str, texts=None) -> str:
    """Turn the comment markers the transforms leave into ``# ...`` lines.

    ``texts``: the markers' strings in order, when known (else each line is read
    back as a literal)."""
    lines = src.splitlines()
    found = [(i, m) for i, m in enumerate(map(_COMMENT_LINE.match, lines)) if m]
    if texts is None or len(texts) != len(found):
        texts = [ast.literal_eval(lines[i].strip()) for i, _ in found]
    out = list(lines)
    for (i, m), text in zip(found, texts):
        text = text[len(COMMENT):]
        if text.startswith("="):
            text = text[1:]
        out[i] = f"{m.group(1)}# {text}" if text else ""
    return "\n".join(out).rstrip() + "\n"


def compile_functions(fdefs, ctx, label):
    """Source and function objects of ``fdefs``, bound to the user's globals.

    Names the generated code takes from the user's closure share the user's cells,
    so it reads them live, as the user's function does; the objects sct refers to get
    cells of their own.
    """
    found = None
    if getattr(_astor, "__name__", None) == "astor":  # (to_source prints with printer.py)
        printed = [printer.printed(f, _plain, _comment_line, ctx.refs) for f in fdefs]
        if None not in printed:  # placeholders named as the printer met them
            found = named(fdefs, printed, ctx)
    if found is None:
        closure, read = resolve(fdefs, ctx)
        sources = [to_source(fdef) for fdef in fdefs]
    else:
        closure, read, sources = found
    user_cells = {n: c for n, c in ctx.quoted.cells.items() if n in read}
    names = sorted(set(closure) | set(user_cells))
    factory = "__sct_factory"
    body = "".join(_indent(s) + "\n" for s in sources)
    ret = ", ".join(f.name for f in fdefs)
    text = f"def {factory}({', '.join(names)}):\n{body}    return ({ret},)\n"
    filename = f"<sct {label} #{next(_counter)}>"
    code = compile(text, filename, "exec")
    fcode = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    cells = {n: types.CellType(v) for n, v in closure.items()}
    cells.update(user_cells)
    by_name = {c.co_name: c for c in fcode.co_consts if isinstance(c, types.CodeType)}
    # the factory evaluates the parameters' defaults as a def statement would
    make = types.FunctionType(fcode, ctx.quoted.globals, factory)
    made = make(*[_cell_value(cells[n]) for n in names])
    fns = []
    for fdef, src, proto in zip(fdefs, sources, made):
        inner = by_name[fdef.name]
        fn = types.FunctionType(inner, ctx.quoted.globals, fdef.name, proto.__defaults__,
                                tuple(cells[n] for n in inner.co_freevars))
        fn.__kwdefaults__ = proto.__kwdefaults__
        fn.__sct_source__ = src
        fn.__module__ = ctx.quoted.fn.__module__
        fns.append(fn)
    return fns, sources


def _indent(text):
    """``textwrap.indent(text, "    ")``, without a call per line."""
    return "".join(["    " + line if line.strip() else line
                    for line in text.splitlines(True)])


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return None


def operator_name(obj):  # pragma: no cover - debugging helper
    for k in dir(operator):
        if getattr(operator, k) is obj:
            return k
    return None


if sys.version_info < (3, 10):  # pragma: no cover
    raise ImportError("sct needs Python 3.10 or newer")
