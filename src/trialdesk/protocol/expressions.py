"""A small, safe expression language for protocol rules.

Eligibility criteria, stratum levels, derived fields and cross-field checks are written as text in
the protocol file (``age >= 18 and pao2_fio2 <= 300``). They are parsed here into a tree and
evaluated against a mapping of field values; nothing is ever passed to ``eval``.

Grammar (lowest precedence first)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | STRING | "true" | "false" | "yes" | "no" | NAME | "(" expr ")"
"""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema


class ExpressionSyntaxError(ValueError):
    """Raised when a rule's text does not follow the grammar."""


class MissingValue(LookupError):
    """Raised when an expression needs a field value that has not been entered."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\))
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "true", "false", "yes", "no"}
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    stripped_end = len(source.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise ExpressionSyntaxError(
                f"unexpected character {source[position:].strip()[:1]!r} at position {position}"
            )
        kind = match.lastgroup or ""
        text = match.group(kind)
        start = match.start(kind)
        if kind == "name" and text in _KEYWORDS:
            kind = "keyword"
        tokens.append(Token(kind, text, start))
        position = match.end()
    return tokens


# --- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node(ABC):
    @abstractmethod
    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """Return the node's value for ``values``; raise MissingValue for an empty field."""

    def names(self) -> Iterator[str]:
        yield from ()


@dataclass(frozen=True)
class Literal(Node):
    value: Any

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return self.value


@dataclass(frozen=True)
class Name(Node):
    name: str

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        value = values.get(self.name)
        if value is None or value == "":
            raise MissingValue(self.name)
        return value

    def names(self) -> Iterator[str]:
        yield self.name


@dataclass(frozen=True)
class Negate(Node):
    operand: Node

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return -self.operand.evaluate(values)

    def names(self) -> Iterator[str]:
        yield from self.operand.names()


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        left = self.left.evaluate(values)
        right = self.right.evaluate(values)
        if self.op in _COMPARISONS:
            return _COMPARISONS[self.op](left, right)
        if self.op == "/" and right == 0:
            raise MissingValue(_first_name(self.right) or "divisor")
        return _ARITHMETIC[self.op](left, right)

    def names(self) -> Iterator[str]:
        yield from self.left.names()
        yield from self.right.names()


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        return not self.operand.evaluate(values)

    def names(self) -> Iterator[str]:
        yield from self.operand.names()


@dataclass(frozen=True)
class All(Node):
    operands: tuple[Node, ...]

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        return _combine(self.operands, values, want=False)

    def names(self) -> Iterator[str]:
        for operand in self.operands:
            yield from operand.names()


@dataclass(frozen=True)
class Any_(Node):
    operands: tuple[Node, ...]

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        return _combine(self.operands, values, want=True)

    def names(self) -> Iterator[str]:
        for operand in self.operands:
            yield from operand.names()


def _combine(operands: tuple[Node, ...], values: Mapping[str, Any], *, want: bool) -> bool:
    """Short-circuit like and/or, but a missing value only matters if it could change the result."""
    missing: MissingValue | None = None
    for operand in operands:
        try:
            if bool(operand.evaluate(values)) is want:
                return want
        except MissingValue as error:
            missing = missing or error
    if missing is not None:
        raise missing
    return not want


def _first_name(node: Node) -> str | None:
    return next(iter(node.names()), None)


# --- the parser -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionSyntaxError("empty rule")
        node = self._or()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise ExpressionSyntaxError(f"unexpected {token.text!r} at position {token.position}")
        return node

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _accept(self, *texts: str) -> Token | None:
        token = self._peek()
        if token is not None and token.kind in ("op", "keyword") and token.text in texts:
            self.index += 1
            return token
        return None

    def _or(self) -> Node:
        operands = [self._and()]
        while self._accept("or"):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Any_(tuple(operands))

    def _and(self) -> Node:
        operands = [self._not()]
        while self._accept("and"):
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else All(tuple(operands))

    def _not(self) -> Node:
        if self._accept("not"):
            return Not(self._not())
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._sum()
        token = self._accept(*_COMPARISONS)
        if token is None:
            return left
        return Binary(token.text, left, self._sum())

    def _sum(self) -> Node:
        node = self._product()
        while (token := self._accept("+", "-")) is not None:
            node = Binary(token.text, node, self._product())
        return node

    def _product(self) -> Node:
        node = self._unary()
        while (token := self._accept("*", "/")) is not None:
            node = Binary(token.text, node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._accept("-"):
            return Negate(self._unary())
        return self._atom()

    def _atom(self) -> Node:
        token = self._peek()
        if token is None:
            raise ExpressionSyntaxError("the rule ends too early")
        self.index += 1
        if token.kind == "number":
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind == "string":
            return Literal(token.text[1:-1])
        if token.kind == "keyword" and token.text in ("true", "yes"):
            return Literal(True)
        if token.kind == "keyword" and token.text in ("false", "no"):
            return Literal(False)
        if token.kind == "name":
            return Name(token.text)
        if token.text == "(":
            node = self._or()
            if not self._accept(")"):
                raise ExpressionSyntaxError(f"missing ')' for '(' at position {token.position}")
            return node
        raise ExpressionSyntaxError(f"unexpected {token.text!r} at position {token.position}")


class Expression:
    """A parsed rule that keeps its source text; usable as a pydantic field type."""

    __slots__ = ("root", "source")

    def __init__(self, source: str) -> None:
        self.source = source.strip()
        self.root = _Parser(self.source).parse()

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """Return the rule's value; raise MissingValue if a needed field is empty."""
        return self.root.evaluate(values)

    def names(self) -> set[str]:
        """Return the field names the rule reads."""
        return set(self.root.names())

    def numeric_bounds(self) -> dict[str, Interval] | None:
        """Return per-field intervals if the rule is a conjunction of ``name OP number``.

        Used to prove that a stratum level can (or cannot) be reached; None when the rule has
        another shape, in which case nothing is concluded.
        """
        return _bounds(self.root)

    def equalities(self) -> dict[str, Any]:
        """Return ``name == literal`` terms of a conjunction (empty when there are none)."""
        terms = self.root.operands if isinstance(self.root, All) else (self.root,)
        found: dict[str, Any] = {}
        for term in terms:
            if (
                isinstance(term, Binary)
                and term.op == "=="
                and isinstance(term.left, Name)
                and isinstance(term.right, Literal)
            ):
                found[term.left.name] = term.right.value
        return found

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def parse(value: Any) -> Expression:
            if isinstance(value, Expression):
                return value
            if not isinstance(value, str):
                raise PydanticCustomError("rule_type", "a rule must be text")
            try:
                return cls(value)
            except ExpressionSyntaxError as error:
                raise PydanticCustomError(
                    "rule_syntax", "rule {rule!r} cannot be parsed: {reason}",
                    {"rule": value, "reason": str(error)},
                ) from error

        return core_schema.no_info_plain_validator_function(
            parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


@dataclass(frozen=True)
class Interval:
    low: float = float("-inf")
    low_closed: bool = False
    high: float = float("inf")
    high_closed: bool = False

    def intersect(self, other: Interval) -> Interval:
        low, low_closed = max(
            (self.low, not self.low_closed), (other.low, not other.low_closed)
        )
        high, high_closed = min((self.high, self.high_closed), (other.high, other.high_closed))
        return Interval(low, not low_closed, high, high_closed)

    def is_empty(self) -> bool:
        if self.low > self.high:
            return True
        return self.low == self.high and not (self.low_closed and self.high_closed)


def _bounds(node: Node) -> dict[str, Interval] | None:
    terms = node.operands if isinstance(node, All) else (node,)
    result: dict[str, Interval] = {}
    for term in terms:
        if not (isinstance(term, Binary) and term.op in ("<", "<=", ">", ">=")):
            if isinstance(term, Binary) and term.op == "==":
                continue  # equalities are checked separately
            return None
        if isinstance(term.left, Name) and isinstance(term.right, Literal):
            name, op, number = term.left.name, term.op, term.right.value
        elif isinstance(term.right, Name) and isinstance(term.left, Literal):
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
            name, op, number = term.right.name, flipped[term.op], term.left.value
        else:
            return None
        if not isinstance(number, int | float) or isinstance(number, bool):
            return None
        interval = {
            "<": Interval(high=number),
            "<=": Interval(high=number, high_closed=True),
            ">": Interval(low=number),
            ">=": Interval(low=number, low_closed=True),
        }[op]
        result[name] = result.get(name, Interval()).intersect(interval)
    return result
