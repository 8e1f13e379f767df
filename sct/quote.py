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
    try:
        src_lines, first = source_lines(raw)
    except (OSError, TypeError) as e:
        raise _unreadable(fn, str(e) or type(e).__name__) from None
    src = textwrap.dedent("".join(src_lines))
    filename = raw.__code__.co_filename
    try:
        module = parse(src)
    except SyntaxError:
        # A lambda in the middle of an expression: parse the enclosing lines.
        module = parse("(\n" + src + "\n)") if raw.__name__ == "<lambda>" else None
        if module is None:
            raise _unreadable(fn, "its source does not parse on its own") from None
        first -= 1
        src = "(\n" + src + "\n)"
    tree = _find_def(module, raw)
    if tree is None:
        raise _unreadable(fn, "its definition could not be found in its source")
    tree.decorator_list = []
    cells = {}
    if raw.__closure__:
        cells = dict(zip(raw.__code__.co_freevars, raw.__closure__))
    return Quoted(fn=raw, tree=tree, filename=filename, firstline=first,
                  lines=src.splitlines(), globals=raw.__globals__, cells=cells)


def source_lines(fn):
    """``inspect.getsourcelines(fn)`` without the tokenizer where the code object
    says where the body ends: its lines through the last line with code, when the
    next line with code (not a comment) is outside the ``def``. What that leaves out
    (comments after the last statement) is never read: the tree is the same."""
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
    """``gast.parse(src)``, the same tree made faster (Python 3.10, 3.11)."""
    if sys.version_info >= (3, 12):  # type parameters: leave them to gast
        return gast.parse(src)
    return _to_gast(ast.parse(src))


def _to_gast(node):
    """``gast.ast_to_gast(node)``: what its translator does on Python 3.10 and 3.11,
    node for node, without a visitor's dispatch."""
    t = type(node)
    if t is list:
        return [_to_gast(x) for x in node]
    if not isinstance(node, ast.AST):
        return node
    if t is ast.Name:
        new = _Name.__new__(_Name)
        d = node.__dict__
        # (a Name's fields, then its position, as gast's constructor would set them)
        new.__dict__ = {"id": d["id"], "ctx": _MARKERS[type(d["ctx"])], "annotation": None,
                        "type_comment": None, "lineno": d["lineno"],
                        "col_offset": d["col_offset"], "end_lineno": d["end_lineno"],
                        "end_col_offset": d["end_col_offset"]}
        return new
    marker = _MARKERS.get(t)
    if marker is not None:  # a context or an operator: no fields, one is as good
        return marker       # as another (parsed trees share them too)
    if t is ast.arg:
        return ast.copy_location(gast.Name(node.arg, gast.Param(), _to_gast(
            node.annotation), _to_gast(node.type_comment)), node)
    if t is ast.ExceptHandler and node.name:
        return ast.copy_location(gast.ExceptHandler(
            _to_gast(node.type), gast.Name(node.name, gast.Store(), None, None),
            _to_gast(node.body)), node)
    if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
        return gast.copy_location(getattr(gast, t.__name__)(
            _to_gast(node.name), _to_gast(node.args), _to_gast(node.body),
            _to_gast(node.decorator_list), _to_gast(node.returns),
            _to_gast(node.type_comment), []), node)
    if t is ast.ClassDef:
        return gast.copy_location(gast.ClassDef(
            _to_gast(node.name), _to_gast(node.bases), _to_gast(node.keywords),
            _to_gast(node.body), _to_gast(node.decorator_list), []), node)
    cls = _GAST.get(t)
    if cls is None:
        cls = _GAST[t] = getattr(gast, t.__name__, None)
        if cls is None:  # not part of the syntax tree
            return None
    src = node.__dict__  # (what gast's constructor would set: fields, then positions)
    new = cls.__new__(cls)
    d = new.__dict__
    markers = _MARKERS
    for f in node._fields:
        if f in src:
            v = src[f]
            tv = type(v)
            if tv is list:
                v = [_to_gast(x) for x in v]
            elif tv in markers:  # (an operator: no call for it)
                v = markers[tv]
            elif isinstance(v, ast.AST):
                v = _to_gast(v)
            d[f] = v
    for attr in node._attributes:
        if attr in src:
            d[attr] = src[attr]
    return new


_END_LINE = operator.itemgetter(1)  # a code position's end line
_GAST: dict = {}  # ast class -> gast class
_Name = gast.Name
# ast context and operator classes -> one shared gast instance each
_MARKERS = {getattr(ast, c.__name__): c() for c in walk.MARKS
            if hasattr(ast, c.__name__)}
