"""Validation-rule expressions over data-element codes.

A validation rule compares two expressions, e.g. ``K4 <= K1`` or
``MAT_DEATH_HEMORRHAGE <= LIVE_BIRTHS + MAT_DEATHS`` (domain.md section 5). This module
parses and evaluates one side of such a rule without ever handing user text to Python:
a hand-written tokenizer and recursive-descent parser build a small tree of frozen
dataclasses, and arithmetic is done on :class:`fractions.Fraction`, so ``0.1 + 0.2 == 0.3``.

Grammar (whitespace allowed between tokens)::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | CODE | "(" expression ")"
    NUMBER     := [0-9]+ ("." [0-9]+)?
    CODE       := [A-Z] [A-Z0-9_]*

Pure Python, standard library only; no Django import. Messages are English; each
:class:`ExpressionError` also carries a stable ``code`` and ``params`` so a form can show
a translated message instead.
"""

from __future__ import annotations

import difflib
import functools
import operator as _operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "OPERATORS",
    "BinOp",
    "Code",
    "Expr",
    "ExpressionError",
    "Neg",
    "Number",
    "RuleOutcome",
    "check_rule",
    "compare",
    "evaluate",
    "normalise_operator",
    "parse",
    "to_text",
    "validate_codes",
]

MAX_LENGTH = 500
"""Longest expression text accepted, in characters."""

MAX_DEPTH = 50
"""Deepest nesting accepted; every "(" and every unary minus opens one level."""

OPERATORS = ("<", "<=", "==", ">=", ">")
"""Canonical comparison operators, as stored on a rule."""

_OPERATOR_ALIASES = {"≤": "<=", "≥": ">=", "=": "=="}

_COMPARATORS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": _operator.lt,
    "<=": _operator.le,
    "==": _operator.eq,
    ">=": _operator.ge,
    ">": _operator.gt,
}

_DIGITS = frozenset("0123456789")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_CODE_CHARS = _UPPER | _LOWER | _DIGITS | {"_"}
# Typographic minus signs pasted from documents are read as "-".
_MINUS_SIGNS = frozenset("-\u2212")
_BINARY_OPERATORS = frozenset("+-*/")


class ExpressionError(ValueError):
    """An expression the user wrote cannot be used.

    ``message`` is an English sentence; ``position`` is the 0-based index into the text
    where the problem is (``len(text)`` for "ended too early"); ``code`` is a stable
    identifier and ``params`` the values interpolated into the message, for translation.
    """

    def __init__(
        self,
        message: str,
        position: int = 0,
        *,
        code: str = "invalid",
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position
        self.code = code
        self.params = dict(params or {})

    def __str__(self) -> str:
        return f"{self.message} (at position {self.position})"

    def pointer(self, text: str) -> str:
        """Return ``text`` with a caret line under the offending position."""
        return f"{text}\n{' ' * self.position}^"


# --- Tree -----------------------------------------------------------------------------


class Expr:
    """Base class of expression nodes. Nodes are immutable and compare by structure."""

    __slots__ = ()

    def codes(self) -> frozenset[str]:
        """The data-element codes this expression refers to."""
        raise NotImplementedError

    def __str__(self) -> str:
        return to_text(self)


def _is_terminating_decimal(value: Fraction) -> bool:
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


@dataclass(frozen=True, slots=True)
class Number(Expr):
    """A non-negative literal with a finite decimal expansion (``3``, ``0.2``)."""

    value: Fraction

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | Fraction):
            raise TypeError(f"Number needs an int or Fraction, not {type(value).__name__}")
        value = Fraction(value)
        if value < 0:
            raise ValueError("Number literals are non-negative; wrap them in Neg instead")
        if not _is_terminating_decimal(value):
            raise ValueError(f"{value} cannot be written as a decimal literal")
        object.__setattr__(self, "value", value)

    def codes(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class Code(Expr):
    """A reference to a data element, e.g. ``K1_MURNI``.

    ``position`` records where the code appeared in parsed text (for error messages); it
    takes no part in equality.
    """

    name: str
    position: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        name = self.name
        if (
            not isinstance(name, str)
            or not name
            or name[0] not in _UPPER
            or any(ch not in _UPPER and ch not in _DIGITS and ch != "_" for ch in name)
        ):
            raise ValueError(f"{name!r} is not a valid element code")

    def codes(self) -> frozenset[str]:
        return frozenset((self.name,))


@dataclass(frozen=True, slots=True)
class Neg(Expr):
    """Unary minus."""

    operand: Expr

    def codes(self) -> frozenset[str]:
        return self.operand.codes()


@dataclass(frozen=True, slots=True)
class BinOp(Expr):
    """A binary operation; ``op`` is one of ``+ - * /``."""

    op: str
    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        if self.op not in _BINARY_OPERATORS:
            raise ValueError(f"Unknown binary operator {self.op!r}")

    def codes(self) -> frozenset[str]:
        return self.left.codes() | self.right.codes()


# --- Tokenizer ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "code", "op", "(", ")", "end"
    text: str
    position: int


_COMPARISON_CHARS = frozenset("<>=≤≥!")


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "number":
        return f"number {token.text}"
    if token.kind == "code":
        return f"code {token.text}"
    return f"'{token.text}'"


def _unknown_character(text: str, pos: int) -> ExpressionError:
    ch = text[pos]
    shown = repr(ch)
    between_digits = pos > 0 and text[pos - 1] in _DIGITS and text[pos + 1 : pos + 2] in _DIGITS
    if ch == "," and between_digits:
        message = "Use '.' as the decimal separator, not ','"
        return ExpressionError(message, pos, code="decimal_comma")
    if ch in _COMPARISON_CHARS:
        message = (
            f"Comparison {shown} is not allowed inside an expression; "
            "choose the comparison in the rule's operator field"
        )
        return ExpressionError(message, pos, code="comparison_in_expression", params={"char": ch})
    if ch == "_" and pos > 0 and text[pos - 1] in _DIGITS:
        message = "Write numbers without separators, e.g. 2000, not 2_000"
        return ExpressionError(message, pos, code="bad_number")
    if ch == "_":
        message = "Element codes must start with a letter, not '_'"
        return ExpressionError(message, pos, code="bad_code_start")
    after_operand = pos > 0 and text[pos - 1] in _CODE_CHARS
    if ch == "." and not after_operand and text[pos + 1 : pos + 2] in _DIGITS:
        message = "A number must start with a digit; write 0.5, not .5"
        return ExpressionError(message, pos, code="bad_number")
    message = (
        f"Character {shown} is not allowed; use numbers, element codes, + - * / and parentheses"
    )
    return ExpressionError(message, pos, code="bad_character", params={"char": ch})


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    length = len(text)
    while pos < length:
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif ch in _DIGITS:
            start = pos
            while pos < length and text[pos] in _DIGITS:
                pos += 1
            if pos < length and text[pos] == ".":
                if pos + 1 < length and text[pos + 1] in _DIGITS:
                    pos += 1
                    while pos < length and text[pos] in _DIGITS:
                        pos += 1
                    if pos < length and text[pos] == ".":
                        message = "A number can have only one decimal point"
                        raise ExpressionError(message, pos, code="bad_number")
                else:
                    message = "A decimal point must be followed by digits, e.g. 0.5"
                    raise ExpressionError(message, pos, code="bad_number")
            literal = text[start:pos]
            tokens.append(_Token("number", literal, start))
        elif ch in _UPPER or ch in _LOWER:
            start = pos
            while pos < length and text[pos] in _CODE_CHARS:
                pos += 1
            word = text[start:pos]
            if word != word.upper():
                message = f"Element codes are written in capitals: {word.upper()}, not {word}"
                raise ExpressionError(message, start, code="lowercase_code", params={"code": word})
            tokens.append(_Token("code", word, start))
        elif ch in _MINUS_SIGNS:
            tokens.append(_Token("op", "-", pos))
            pos += 1
        elif ch in "+*/":
            tokens.append(_Token("op", ch, pos))
            pos += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, pos))
            pos += 1
        else:
            raise _unknown_character(text, pos)
    tokens.append(_Token("end", "", length))
    return tokens


# --- Parser ---------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.open_parens: list[_Token] = []

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Expr:
        expr = self.expression(depth=0)
        token = self.current
        if token.kind == ")":
            raise ExpressionError(
                "Closing ')' has no matching '('", token.position, code="unbalanced_close"
            )
        if token.kind != "end":
            # Anything else here is an operand (or '(') straight after a complete operand.
            raise self.missing_operator(token)
        return expr

    def missing_operator(self, token: _Token) -> ExpressionError:
        previous = self.tokens[self.index - 1]
        message = f"Missing operator between {_describe(previous)} and {_describe(token)}"
        return ExpressionError(message, token.position, code="missing_operator")

    def expression(self, depth: int) -> Expr:
        expr = self.term(depth)
        while self.current.kind == "op" and self.current.text in "+-":
            op = self.advance().text
            expr = BinOp(op, expr, self.term(depth))
        return expr

    def term(self, depth: int) -> Expr:
        expr = self.unary(depth)
        while self.current.kind == "op" and self.current.text in "*/":
            op = self.advance().text
            expr = BinOp(op, expr, self.unary(depth))
        return expr

    def unary(self, depth: int) -> Expr:
        # Iterative, so a long run of minus signs cannot exhaust the Python stack.
        minus_count = 0
        while self.current.kind == "op" and self.current.text == "-":
            minus_count += 1
            self.check_depth(depth + minus_count, self.current)
            self.advance()
        expr = self.primary(depth + minus_count)
        for _ in range(minus_count):
            expr = Neg(expr)
        return expr

    def check_depth(self, depth: int, token: _Token) -> None:
        if depth > MAX_DEPTH:
            message = (
                f"Expression is nested too deeply (more than {MAX_DEPTH} levels of "
                "parentheses or minus signs)"
            )
            raise ExpressionError(
                message, token.position, code="too_deep", params={"limit": MAX_DEPTH}
            )

    def primary(self, depth: int) -> Expr:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Number(Fraction(token.text))
        if token.kind == "code":
            self.advance()
            return Code(token.text, token.position)
        if token.kind == "(":
            self.check_depth(depth + 1, token)
            self.advance()
            self.open_parens.append(token)
            expr = self.expression(depth + 1)
            closing = self.current
            if closing.kind != ")":
                if closing.kind == "end":
                    raise ExpressionError(
                        "Opening '(' is never closed", token.position, code="unbalanced_open"
                    )
                raise self.missing_operator(closing)
            self.advance()
            self.open_parens.pop()
            return expr
        raise self.missing_operand(token)

    def missing_operand(self, token: _Token) -> ExpressionError:
        previous = self.tokens[self.index - 1] if self.index > 0 else None
        if token.kind == "end":
            if previous is None:
                return ExpressionError("Expression is empty", 0, code="empty")
            if previous.kind == "(":
                return ExpressionError(
                    "Opening '(' is never closed", previous.position, code="unbalanced_open"
                )
            message = (
                f"Expression ends with operator '{previous.text}'; "
                "a number, code or '(' must follow it"
            )
            return ExpressionError(
                message, previous.position, code="trailing_operator", params={"op": previous.text}
            )
        if token.kind == ")":
            if previous is not None and previous.kind == "(":
                return ExpressionError(
                    "Parentheses are empty", previous.position, code="empty_parentheses"
                )
            if not self.open_parens:
                return ExpressionError(
                    "Closing ')' has no matching '('", token.position, code="unbalanced_close"
                )
        if previous is None:
            message = f"Expression cannot start with {_describe(token)}"
        elif previous.kind == "(":
            message = f"Expected a number, code or '(' after '(', found {_describe(token)}"
        else:
            message = (
                f"Expected a number, code or '(' after operator '{previous.text}', "
                f"found {_describe(token)}"
            )
        return ExpressionError(message, token.position, code="missing_operand")


def parse(text: str) -> Expr:
    """Parse ``text`` into an expression tree, or raise :class:`ExpressionError`.

    Trees are immutable (frozen dataclasses), so each text is parsed once per process: a
    validation rule is checked for every report of an import (a 10,000-row import checked
    its ~20 rules 400,000 times, 40 % of the preview's time). Errors are not cached."""
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a str, not {type(text).__name__}")
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Expr:
    if len(text) > MAX_LENGTH:
        message = f"Expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})"
        raise ExpressionError(
            message, MAX_LENGTH, code="too_long", params={"length": len(text), "limit": MAX_LENGTH}
        )
    if not text.strip():
        raise ExpressionError("Expression is empty", 0, code="empty")
    return _Parser(_tokenize(text)).parse()


# --- Printing -------------------------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_NEG_PRECEDENCE = 3
_ATOM_PRECEDENCE = 4


def _precedence(expr: Expr) -> int:
    if isinstance(expr, BinOp):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, Neg):
        return _NEG_PRECEDENCE
    return _ATOM_PRECEDENCE


def _number_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    places = 0
    scale = 1
    while (value.numerator * scale) % value.denominator:
        places += 1
        scale *= 10
    digits = str(value.numerator * scale // value.denominator).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"


def to_text(expr: Expr) -> str:
    """Print ``expr`` canonically: single spaces around binary operators, the fewest
    parentheses that keep the tree, numbers without leading or trailing zeros.

    If the spaced form would be longer than :data:`MAX_LENGTH`, the spaces are left out.
    Dropping redundant parentheses and zeros never lengthens the text, so the canonical
    text of anything :func:`parse` accepted fits :data:`MAX_LENGTH` (and a column of that
    size), and ``parse(to_text(parse(s))) == parse(s)`` always holds.
    """
    spaced = _render(expr, " ")
    if len(spaced) <= MAX_LENGTH:
        return spaced
    compact = _render(expr, "")
    return compact if len(compact) <= MAX_LENGTH else spaced


def _render(expr: Expr, space: str) -> str:
    if isinstance(expr, Number):
        return _number_text(expr.value)
    if isinstance(expr, Code):
        return expr.name
    if isinstance(expr, Neg):
        inner = _render(expr.operand, space)
        if _precedence(expr.operand) < _NEG_PRECEDENCE:
            inner = f"({inner})"
        return f"-{inner}"
    if isinstance(expr, BinOp):
        own = _PRECEDENCE[expr.op]
        left = _render(expr.left, space)
        right = _render(expr.right, space)
        if _precedence(expr.left) < own:
            left = f"({left})"
        # Operators group left to right, so an equal-precedence right operand needs
        # parentheses to stay the same tree: a - (b - c), and also a + (b + c).
        if _precedence(expr.right) <= own:
            right = f"({right})"
        return f"{left}{space}{expr.op}{space}{right}"
    raise TypeError(f"Not an expression: {expr!r}")


# --- Evaluation -----------------------------------------------------------------------


class _Skip(Exception):
    """Internal: the expression has no value (division by zero or a missing value)."""


def _as_fraction(code: str, value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise TypeError(
            f"Value of {code} must be an int, Fraction or Decimal, not {type(value).__name__}"
        )
    return Fraction(value)


def _evaluate(expr: Expr, values: Mapping[str, Fraction]) -> Fraction:
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Code):
        return values[expr.name]
    if isinstance(expr, Neg):
        return -_evaluate(expr.operand, values)
    if isinstance(expr, BinOp):
        left = _evaluate(expr.left, values)
        right = _evaluate(expr.right, values)
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if right == 0:
            raise _Skip
        return left / right
    raise TypeError(f"Not an expression: {expr!r}")


def evaluate(
    expr: Expr,
    values: Mapping[str, int | None],
    *,
    missing_as_zero: bool = True,
) -> Fraction | None:
    """Evaluate ``expr`` exactly with the given element values.

    A code absent from ``values`` or mapped to ``None`` counts as 0 when
    ``missing_as_zero`` is true; otherwise the result is ``None``. Division by zero
    anywhere gives ``None`` (the rule is skipped), never an exception.
    """
    resolved: dict[str, Fraction] = {}
    for code in expr.codes():
        value = values.get(code)
        if value is None:
            if not missing_as_zero:
                return None
            resolved[code] = Fraction(0)
        else:
            resolved[code] = _as_fraction(code, value)
    try:
        return _evaluate(expr, resolved)
    except _Skip:
        return None


# --- Comparison and rules -------------------------------------------------------------


def normalise_operator(op: str) -> str:
    """Return the canonical form of a comparison operator (``≤`` → ``<=``, ``=`` → ``==``)."""
    candidate = op.strip() if isinstance(op, str) else op
    candidate = _OPERATOR_ALIASES.get(candidate, candidate)
    if candidate not in _COMPARATORS:
        message = f"Unknown comparison operator {op!r}; use one of {', '.join(OPERATORS)}"
        raise ExpressionError(message, 0, code="bad_operator", params={"op": op})
    return candidate


def compare(left: Fraction | int | None, op: str, right: Fraction | int | None) -> bool | None:
    """Whether ``left op right`` holds, i.e. the rule passes; ``None`` if a side is ``None``."""
    comparator = _COMPARATORS[normalise_operator(op)]
    if left is None or right is None:
        return None
    return comparator(left, right)


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """Result of checking one rule on one report.

    ``passed`` is ``True`` when the rule holds, ``False`` when it is violated and ``None``
    when it was skipped (a side divided by zero, or a value was missing and
    ``missing_as_zero`` was false).
    """

    passed: bool | None
    left_value: Fraction | None
    right_value: Fraction | None
    codes: frozenset[str]

    @property
    def skipped(self) -> bool:
        return self.passed is None

    @property
    def violated(self) -> bool:
        return self.passed is False


def check_rule(
    left_text: str,
    op: str,
    right_text: str,
    values: Mapping[str, int | None],
    *,
    missing_as_zero: bool = True,
) -> RuleOutcome:
    """Parse both sides, evaluate them on ``values`` and compare them with ``op``."""
    operator = normalise_operator(op)
    left = parse(left_text)
    right = parse(right_text)
    left_value = evaluate(left, values, missing_as_zero=missing_as_zero)
    right_value = evaluate(right, values, missing_as_zero=missing_as_zero)
    return RuleOutcome(
        passed=compare(left_value, operator, right_value),
        left_value=left_value,
        right_value=right_value,
        codes=left.codes() | right.codes(),
    )


def _code_nodes(expr: Expr) -> Iterable[Code]:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Code):
            yield node
        elif isinstance(node, Neg):
            stack.append(node.operand)
        elif isinstance(node, BinOp):
            stack.extend((node.right, node.left))


def validate_codes(expr: Expr, known_codes: Iterable[str]) -> None:
    """Raise :class:`ExpressionError` naming every code in ``expr`` not in ``known_codes``.

    The position is that of the first unknown code in the text (0 for trees that were not
    parsed from text); a close match is suggested for a single typo.
    """
    known = frozenset(known_codes)
    unknown = sorted(expr.codes() - known)
    if not unknown:
        return
    first = next(node for node in _code_nodes(expr) if node.name not in known)
    position = first.position if first.position is not None else 0
    if len(unknown) == 1:
        message = f"Unknown element code {unknown[0]}"
        suggestion = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        if suggestion:
            message += f" (did you mean {suggestion[0]}?)"
    else:
        message = f"Unknown element codes {', '.join(unknown)}"
    raise ExpressionError(message, position, code="unknown_codes", params={"codes": unknown})
