"""Function -> gast tree, with where it came from.

Reads the source with ``inspect``, dedents it, strips decorators (so ``@sct.grad`` over
a ``def`` works), turns a lambda into an equivalent ``def``, and records the file name
and first line so every later message can point at the user's ``file:line``.
"""

from __future__ import annotations

import inspect
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
        src_lines, first = inspect.getsourcelines(raw)
    except (OSError, TypeError) as e:
        raise _unreadable(fn, str(e) or type(e).__name__) from None
    src = textwrap.dedent("".join(src_lines))
    filename = raw.__code__.co_filename
    try:
        module = gast.parse(src)
    except SyntaxError:
        # A lambda in the middle of an expression: parse the enclosing lines.
        module = gast.parse("(\n" + src + "\n)") if raw.__name__ == "<lambda>" else None
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
