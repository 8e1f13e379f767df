"""The errors sct raises, all subclasses of :class:`SCTError`.

Every message that points into user code starts with ``file:line:`` and names the
construct, so that an editor can jump to it::

    model.py:17: 'while ... else' is not supported (in function 'loss')
"""

from __future__ import annotations


class SCTError(Exception):
    """Base class of every error sct raises on purpose."""


class UnsupportedSyntax(SCTError):
    """The function uses a construct sct cannot differentiate.

    ``problems`` lists every ``(file, line, message)`` found, so one build reports
    them all at once.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(f"{f}:{n}: {m}" for f, n, m in self.problems))


class NoDerivative(SCTError):
    """A differentiated call has no derivative rule and no source to derive one."""


class SourceUnavailable(SCTError):
    """The source of a function cannot be read (builtins, REPL input, ``exec``)."""


class NotDifferentiable(SCTError):
    """A derivative was asked for a value that has none (an integer, a non-scalar)."""


def where(filename: str, line: int) -> str:
    """The ``file:line`` prefix of a message."""
    return f"{filename}:{line}"
