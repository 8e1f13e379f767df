"""Fast questions about the names in a tree: which are read, which are written.

The analyses ask these for every statement, often more than once per pass, so they
must not cost a full ``gast.walk`` (which makes a generator and a deque per node).
Order is not meaningful: the results are counted or compared as sets.

>>> import gast
>>> s = gast.parse("y[i] = x * f(x, z=w)").body[0]
>>> sorted(loads(s)), sorted(stores(s))
(['f', 'i', 'w', 'x', 'x', 'y'], [])
>>> sorted(stores(gast.parse("a, b = t").body[0]))
['a', 'b']
"""

from __future__ import annotations

import gast

_Name = gast.Name
_AST = gast.AST
_Load = gast.Load
_Store = gast.Store
_Call = gast.Call
_Constant = gast.Constant
# nodes without fields (contexts, operators; pass, break, continue) hold no name
_LEAVES = frozenset(c for c in vars(gast).values()
                    if isinstance(c, type) and issubclass(c, _AST) and not c._fields)
# contexts and operators: the leaves that are not statements (pass, break, continue)
_MARKS = frozenset(c for c in _LEAVES if issubclass(
    c, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)))
_NO_NAMES = _LEAVES | {_Constant}  # nodes that hold no name
MARKS = _MARKS


def name_nodes(node) -> list:
    """Every ``Name`` node under ``node`` (itself included), breadth first."""
    if type(node) is _Name:
        return [node]
    todo = [node]
    names = []
    found, push = names.append, todo.append
    fields, no_names = _NODE_FIELDS, _NO_NAMES
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        # a name is taken when it is met, not when its turn comes: names hold no
        # other name, and the order is the same (the first met is the first served)
        for field in fields[type(n)]:
            v = getattr(n, field, None)
            t = type(v)
            if t is _Name:
                found(v)
            elif t is list:
                for x in v:
                    t = type(x)
                    if t is _Name:
                        found(x)
                    elif t not in no_names and isinstance(x, _AST):
                        push(x)
            elif t not in no_names and isinstance(v, _AST):
                push(v)
    return names


class _Fields(dict):
    """node class -> the fields that may hold a node (not an identifier, a context
    or an operator), filled in as classes are met."""

    def __missing__(self, cls):
        found = self[cls] = tuple(f for f in cls._fields if f not in _LEAF_FIELDS)
        return found


# fields that hold a string, a number, a context or operators, never a node
_LEAF_FIELDS = frozenset(("id", "ctx", "op", "ops", "attr", "kind", "type_comment",
                          "is_async", "arg", "level", "module", "conversion"))
_NODE_FIELDS = _Fields()


def children(node, skip) -> list:
    """The nodes in ``node``'s fields whose class is not in ``skip`` (the step of a
    walk, for walks that handle their common nodes themselves)."""
    out = []
    for field in node._fields:
        v = getattr(node, field, None)
        if type(v) is list:
            out.extend(x for x in v if isinstance(x, _AST) and type(x) not in skip)
        elif isinstance(v, _AST) and type(v) not in skip:
            out.append(v)
    return out


def loads(node) -> list:
    """The ids of the names ``node`` reads, once per occurrence."""
    return [n.id for n in name_nodes(node) if type(n.ctx) is _Load]


def stores(node) -> list:
    """The ids of the names ``node`` assigns, once per occurrence."""
    return [n.id for n in name_nodes(node) if type(n.ctx) is _Store]


def reads(node) -> set:
    if type(node) is _Name:  # (an atom: the commonest question)
        return {node.id} if type(node.ctx) is _Load else set()
    return {n.id for n in name_nodes(node) if type(n.ctx) is _Load}


def writes(node) -> set:
    return {n.id for n in name_nodes(node) if type(n.ctx) is _Store}


def clone(node):
    """A copy of a tree (or a list of trees): new nodes, the same leaf values.

    What ``copy.deepcopy`` does for syntax trees, several times faster; attributes the
    stages attach to nodes (``ref_object``: the object a placeholder names) are shared,
    not copied, so a placeholder still names the very same object.
    """
    cls = type(node)
    if cls is list:
        return [clone(x) for x in node]
    if not isinstance(node, _AST):
        return node
    new = cls.__new__(cls)
    src = node.__dict__
    if not src:  # a context, an operator: nothing to copy
        return new
    d = src.copy()  # (the same keys in the same order)
    for k, v in src.items():
        if type(v) is list:
            d[k] = [clone(x) if isinstance(x, _AST) else x for x in v]
        elif isinstance(v, _AST):
            d[k] = clone(v)
    new.__dict__ = d
    return new


def nodes(node) -> list:
    """Every node under ``node`` but contexts and operators, breadth first:
    ``gast.walk`` as a list, faster. (Contexts and operators are two nodes in five of
    a generated function, and no question about the nodes is about them: a name's
    ``ctx`` and an operation's ``op`` are read from their parent.)

    >>> [type(n).__name__ for n in nodes(gast.parse("x = -y").body[0])]
    ['Assign', 'Name', 'UnaryOp', 'Name']
    """
    todo = [node]
    extend, push, marks, fields = todo.extend, todo.append, _MARKS, _NODE_FIELDS
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        t = type(n)
        if t is _Name:  # (the commonest node: its only child can be an annotation)
            a = getattr(n, "annotation", None)
            if a is not None:
                push(a)
            continue
        if t is _Constant:
            continue
        for field in fields[t]:
            v = getattr(n, field, None)
            if type(v) is list:
                if v:
                    extend([x for x in v
                            if isinstance(x, _AST) and type(x) not in marks])
            elif v is not None and type(v) not in marks and isinstance(v, _AST):
                push(v)
    return todo


class Transformer(gast.NodeTransformer):
    """``gast.NodeTransformer``, faster: the same visits in the same order, and the
    same results (``None`` deletes a node, a list is spliced into its list); the
    visit method of each node class is looked up once, and contexts and operators,
    which have no fields, are not visited unless the subclass asks for them.

    >>> class Twice(Transformer):
    ...     def visit_Expr(self, node):
    ...         return None if isinstance(node.value, gast.Constant) else [node, node]
    >>> m = Twice().visit(gast.parse("f(x)\\n1"))
    >>> [type(s).__name__ for s in m.body]
    ['Expr', 'Expr']
    """

    _methods = None  # node class -> the bound visit method

    def _setup(self):
        self._methods = {}
        cls = type(self)
        if "_skip" not in cls.__dict__:  # (found once per class)
            cls._skip = () if any(hasattr(cls, "visit_" + c.__name__)
                                  for c in _LEAVES) else _LEAVES

    def visit(self, node):
        methods = self._methods
        if methods is None:
            self._setup()
            methods = self._methods
        method = methods.get(type(node))
        if method is None:
            method = methods[type(node)] = getattr(
                self, "visit_" + type(node).__name__, self.generic_visit)
        return method(node)

    def generic_visit(self, node):
        if self._methods is None:
            self._setup()
        skip = self._skip
        for field in node._fields:
            try:
                old = getattr(node, field)
            except AttributeError:
                continue
            if type(old) is list:
                new_values = []
                for value in old:
                    if isinstance(value, _AST):
                        value = self.visit(value)
                        if value is None:
                            continue
                        if not isinstance(value, _AST):
                            new_values.extend(value)
                            continue
                    new_values.append(value)
                old[:] = new_values
            elif isinstance(old, _AST) and type(old) not in skip:
                new = self.visit(old)
                if new is None:
                    delattr(node, field)
                else:
                    setattr(node, field, new)
        return node


_HOLDERS = (gast.stmt, gast.excepthandler, gast.match_case)  # what holds statements
_STMT = gast.stmt
# statements that hold no other statement: their fields need not be looked at
_FLAT_STMTS = frozenset((gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr,
                         gast.Return, gast.Pass, gast.Break, gast.Continue))


def statements(node) -> list:
    """Every statement under ``node`` (not ``node`` itself), or in the list of
    statements ``node``, nested ones too, in the order :func:`nodes` finds them: for
    questions about statements only, which need not visit the expressions (four
    nodes in five), since no expression holds one. Straight-line code costs one look
    at each statement.

    >>> tree = gast.parse("for i in r:\\n    if c:\\n        x = 1\\ny = 2")
    >>> [type(n).__name__ for n in statements(tree)]
    ['For', 'Assign', 'If', 'Assign']
    >>> [type(n).__name__ for n in statements(tree.body[0].body)]
    ['If', 'Assign']
    """
    todo = list(node) if type(node) is list else [node]
    flat, holders = _FLAT_STMTS, _HOLDERS
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        if type(n) in flat:
            continue
        for field in n._fields:
            v = getattr(n, field, None)
            if type(v) is list and v and isinstance(v[0], holders):
                todo.extend(v)
    if type(node) is not list:
        del todo[0]  # (the node itself)
    return [n for n in todo if isinstance(n, _STMT)]


def reads_writes(node) -> tuple:
    """``(reads(node), writes(node))`` in one walk."""
    r, w = set(), set()
    for n in name_nodes(node):
        if type(n.ctx) is _Load:
            r.add(n.id)
        elif type(n.ctx) is _Store:
            w.add(n.id)
    return r, w
