"""Function -> gast tree, with where it came from.

Reads the source with ``inspect``, dedents it, strips decorators (so ``@sct.grad`` over
a ``def`` works), turns a lambda into an equivalent ``def``, and records the file name
and first line so every later message can point at the user's ``file:line``.
"""

from __future__ import annotations

import ast
import inspect
import operator
import sys
import textwrap
from dataclasses import dataclass, field

import gast

from . import walk

from .errors import SourceUnavailable


@dataclass
class Quoted:
    """A parsed user function and its environment at build time."""

    fn: object
    tree: gast.FunctionDef
    filename: str
    firstline: int  # file line of the first source line (a decorator, or 'def')
    lines: list  # the dedented source lines
    globals: dict
    cells: dict = field(default_factory=dict)  # free variable name -> cell

    @property
    def filename_short(self) -> str:
        """The file's base name, for labels in generated source."""
        import os
        return os.path.basename(self.filename)

    @property
    def name(self) -> str:
        return self.tree.name

    def line(self, node) -> int:
        """The file line of ``node``."""
        return self.firstline + getattr(node, "lineno", 1) - 1

    def where(self, node) -> str:
        return f"{self.filename}:{self.line(node)}"

    def text(self, node) -> str:
        """The user's source text of the line ``node`` starts on."""
        i = getattr(node, "lineno", 1) - 1
        return self.lines[i].strip() if 0 <= i < len(self.lines) else ""


def _unreadable(fn, why):
    name = getattr(fn, "__qualname__", repr(fn))
    return SourceUnavailable(
        f"cannot read the source of {name!r} ({why}). sct differentiates Python "
        f"source: define the function in a file (a module or a script) and import it, "
        f"or register its derivative with @sct.rule({getattr(fn, '__name__', 'fn')}).")


def quote(fn) -> Quoted:
    """Parse ``fn`` into a :class:`Quoted`.

    Raises:
        SourceUnavailable: builtins, C functions, functions typed at a REPL before
            Python 3.13, or made by ``exec``.
    """
    if not inspect.isfunction(fn):
        raise _unreadable(fn, "it is not a Python function")
    raw = inspect.unwrap(fn) if not hasattr(fn, "__sct__") else fn
    if not inspect.isfunction(raw):
        raise _unreadable(fn, "it is not a Python function")
    module, src, first = _read(fn, raw)
    filename = raw.__code__.co_filename
    tree = _find_def(module, raw)
    if tree is None:
        raise _unreadable(fn, "its definition could not be found in its source")
    tree.decorator_list = []
    cells = {}
    if raw.__closure__:
        cells = dict(zip(raw.__code__.co_freevars, raw.__closure__))
    return Quoted(fn=raw, tree=tree, filename=filename, firstline=first,
                  lines=src.splitlines(), globals=raw.__globals__, cells=cells)


def _read(fn, raw):
    """``(module, src, first)``: the parsed source of ``raw`` (``fn`` unwrapped),
    its dedented text and the file line it starts on."""
    try:
        lines, lnum = inspect.findsource(raw)
        block = _block(raw, lines, lnum)
    except (OSError, TypeError) as e:
        raise _unreadable(fn, str(e) or type(e).__name__) from None
    if block is not None:
        src = textwrap.dedent("".join(block))
        try:
            return parse(src), src, lnum + 1
        except SyntaxError:  # (a line in a bracket or a string ended the block)
            pass
    try:
        src_lines, first = source_lines(raw, lines, lnum)
    except (OSError, TypeError) as e:
        raise _unreadable(fn, str(e) or type(e).__name__) from None
    src = textwrap.dedent("".join(src_lines))
    try:
        return parse(src), src, first
    except SyntaxError:
        # A lambda in the middle of an expression: parse the enclosing lines.
        if raw.__name__ != "<lambda>":
            raise _unreadable(fn, "its source does not parse on its own") from None
        src = "(\n" + src + "\n)"
        return parse(src), src, first - 1


def _block(fn, lines, lnum):
    """The lines of ``fn``'s ``def`` read from their indentation alone: from
    ``lines[lnum]`` (its first decorator, or the ``def``) through the last line with
    code before the first line with code (not a comment, not a closing bracket) at
    the ``def``'s indentation or less. What :func:`source_lines` reads, without the
    code object's positions; ``None`` for a lambda, a ``def`` on one line, or tabs.
    (Such a line inside a bracket or a string, a continuation, ends the lines too
    early: then they do not parse.)"""
    name = fn.__name__
    if name == "<lambda>" or lnum >= len(lines):
        return None
    head = lines[lnum]
    indent = len(head) - len(head.lstrip())
    if "\t" in head[:indent]:
        return None
    defs = (f"def {name}(", f"async def {name}(")
    start = lnum  # the 'def' line: the first line, or the first after the decorators
    if head.startswith("@", indent):
        start = next((k for k in range(lnum + 1, len(lines))
                      if lines[k].startswith(defs, indent)
                      and not lines[k][:indent].strip()), None)
        if start is None:
            return None
    elif not head.startswith(defs, indent):
        return None
    last = None
    for k in range(start + 1, len(lines)):
        line = lines[k]
        text = line.lstrip()
        if not text or text[0] == "#":
            continue
        margin = len(line) - len(text)
        if "\t" in line[:margin]:
            return None
        if margin <= indent and text[0] not in ")]}":  # (a bracket closes: a
            break                                      # signature's, say)
        last = k + 1
    return None if last is None else lines[lnum:last]


def source_lines(fn, lines=None, lnum=None):
    """``inspect.getsourcelines(fn)`` without the tokenizer where the code object
    says where the body ends: its lines through the last line with code, when the
    next line with code (not a comment) is outside the ``def``. What that leaves out
    (comments after the last statement) is never read: the tree is the same.
    (``lines``, ``lnum``: what ``inspect.findsource(fn)`` gives, when the caller
    has it.)"""
    if lines is None:
        lines, lnum = inspect.findsource(fn)
    positions = getattr(fn.__code__, "co_positions", None)  # (Python 3.11+)
    if positions is None or fn.__name__ == "<lambda>":
        return inspect.getsourcelines(fn)
    last = max(filter(None, map(_END_LINE, positions())), default=0)  # (C loops)
    head = lines[lnum] if lnum < len(lines) else ""
    indent = len(head) - len(head.lstrip())
    defs = (f"def {fn.__name__}(", f"async def {fn.__name__}(")
    start = lnum  # the 'def' line: the first line, or the first after the decorators
    if head.lstrip().startswith("@"):
        start = next((k for k in range(lnum + 1, min(last, len(lines)))
                      if lines[k].startswith(defs, indent)
                      and not lines[k][:indent].strip()), lnum)
    if last <= start + 1 or last > len(lines) or "\t" in head[:indent] or \
            not lines[start].lstrip().startswith(defs):
        return inspect.getsourcelines(fn)
    for line in lines[last:]:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        margin = line[:len(line) - len(line.lstrip())]
        if len(margin) > indent or "\t" in margin:  # more of the body: dead code?
            return inspect.getsourcelines(fn)
        break
    return lines[lnum:last], lnum + 1


def _find_def(module, fn):
    name = fn.__name__
    if name != "<lambda>":
        for node in module.body:
            if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)) \
                    and node.name == name:
                return node
        return None
    argnames = list(fn.__code__.co_varnames[:fn.__code__.co_argcount])
    found = [n for n in walk.nodes(module) if isinstance(n, gast.Lambda)
             and [a.id for a in n.args.args] == argnames]
    if len(found) != 1:
        return None
    lam = found[0]
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam.body)
    fdef = gast.FunctionDef(name="lambda_", args=lam.args, body=[ret],
                            decorator_list=[], returns=None, type_comment=None,
                            type_params=[])
    gast.copy_location(fdef, lam)
    return fdef


def parse(src):
    """``gast.parse(src)``, the same tree made faster."""
    return _to_gast(ast.parse(src))


def _to_gast(node):
    """``gast.ast_to_gast(node)`` for a tree just parsed: the tree gast's translator
    makes, node for node, without a visitor's dispatch, and in place: a node becomes
    the gast node of the same fields (its class is changed, its children converted).
    What is not a node is kept as it is."""
    cls = _GAST.get(type(node))
    return _convert(node, cls) if cls is not None else _other(node)


def _convert(node, cls):
    """``node`` made a ``cls`` with its children converted, as gast's translator
    converts any node it has no rule of its own for."""
    fields = node._fields
    node.__class__ = cls
    d = node.__dict__  # (every field, then the positions: gast's order too)
    markers, known = _MARKERS, _GAST
    for f in fields:
        v = d[f]
        t = type(v)
        if t is list:
            if v:
                d[f] = [_to_gast(x) for x in v]
        elif t in markers:  # (an operator: no call for it)
            d[f] = markers[t]
        elif t is _ast_Name:
            d[f] = _name(v)
        elif t in known:
            d[f] = _convert(v, known[t])
        elif isinstance(v, _ast_AST):
            d[f] = _other(v)
    return node


def _name(node):
    d = node.__dict__
    node.__class__ = _Name
    # (a Name's fields, then its position, as gast's constructor would set them)
    node.__dict__ = {"id": d["id"], "ctx": _MARKERS[type(d["ctx"])], "annotation": None,
                     "type_comment": None, "lineno": d["lineno"],
                     "col_offset": d["col_offset"], "end_lineno": d["end_lineno"],
                     "end_col_offset": d["end_col_offset"]}
    return node


def _other(node):
    """The nodes gast's translator has rules of its own for, and the classes of
    nodes :func:`_to_gast` has not met yet."""
    t = type(node)
    if t is _ast_Name:
        return _name(node)
    marker = _MARKERS.get(t)
    if marker is not None:  # a context or an operator: no fields, one is as good
        return marker       # as another (parsed trees share them too)
    if not isinstance(node, _ast_AST):
        return node
    if t is ast.arg:
        return ast.copy_location(gast.Name(node.arg, gast.Param(), _to_gast(
            node.annotation), node.type_comment), node)
    if t is ast.ExceptHandler:
        if not node.name:
            return _convert(node, gast.ExceptHandler)
        return ast.copy_location(gast.ExceptHandler(
            _to_gast(node.type), gast.Name(node.name, gast.Store(), None, None),
            [_to_gast(x) for x in node.body]), node)
    if t.__name__ in _OWN_RULES:
        return _OWN_RULES[t.__name__](node)
    cls = getattr(gast, t.__name__, None)
    if cls is None:  # not part of the syntax tree
        return None
    _GAST[t] = cls
    return _convert(node, cls)


def _function_def(node):
    """A function or class definition before Python 3.12 (no type parameters)."""
    t = type(node)
    fields = [[_to_gast(x) for x in v] if type(v) is list else _to_gast(v)
              for v in map(node.__dict__.get, t._fields)]
    if t is ast.ClassDef:
        new = gast.ClassDef(*fields, [])
    else:
        new = getattr(gast, t.__name__)(*fields, [])
    return gast.copy_location(new, node)


_END_LINE = operator.itemgetter(1)  # a code position's end line
_ast_AST, _ast_Name, _Name = ast.AST, ast.Name, gast.Name
_GAST: dict = {}  # ast class -> gast class, for the classes converted field for field
# ast context and operator classes -> one shared gast instance each
_MARKERS = {getattr(ast, c.__name__): c() for c in walk.MARKS
            if hasattr(ast, c.__name__)}
# ast classes whose gast conversion is not field for field, on this Python
if sys.version_info < (3, 12):
    _OWN_RULES = dict.fromkeys(("FunctionDef", "AsyncFunctionDef", "ClassDef"),
                               _function_def)
elif sys.version_info < (3, 13):  # type parameters without a default
    _OWN_RULES = dict.fromkeys(("TypeVar", "TypeVarTuple", "ParamSpec"),
                               gast.ast_to_gast)
else:
    _OWN_RULES = {}
