"""Tests for indicators.expressions: parsing, printing and evaluating validation rules."""

import ast
import builtins
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from indicators import expressions
from indicators.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    BinOp,
    Code,
    ExpressionError,
    Neg,
    Number,
    RuleOutcome,
    check_rule,
    compare,
    evaluate,
    normalise_operator,
    parse,
    to_text,
    validate_codes,
)


def value_of(text, values=None, **kwargs):
    return evaluate(parse(text), values or {}, **kwargs)


# --- Parsing and evaluation -----------------------------------------------------------


class TestPrecedence:
    def test_multiplication_binds_tighter_than_addition(self):
        assert value_of("1 + 2 * 3") == 7
        assert value_of("2 * 3 + 1") == 7
        assert parse("K1 + K2 * 3") == BinOp("+", Code("K1"), BinOp("*", Code("K2"), Number(3)))

    def test_division_binds_tighter_than_subtraction(self):
        assert value_of("10 - 6 / 2") == 7

    def test_parentheses_override_precedence(self):
        assert value_of("(1 + 2) * 3") == 9
        assert value_of("((((2))))") == 2

    def test_codes_take_their_values(self):
        values = {"K1": 100, "K1_MURNI": 80, "K4": 70}
        assert value_of("K1_MURNI * 100 / K1", values) == 80
        assert value_of("K1 - K4", values) == 30


class TestAssociativity:
    def test_subtraction_groups_left_to_right(self):
        assert value_of("10 - 4 - 3") == 3
        assert parse("A - B - C") == BinOp("-", BinOp("-", Code("A"), Code("B")), Code("C"))

    def test_division_groups_left_to_right(self):
        assert value_of("100 / 10 / 5") == 2

    def test_mixed_additive_chain(self):
        assert value_of("1 - 2 + 3 - 4") == -2


class TestUnaryMinus:
    def test_negates_operand(self):
        assert value_of("-K1 + 2", {"K1": 5}) == -3
        assert parse("-K1") == Neg(Code("K1"))

    def test_negates_parenthesised_group(self):
        assert value_of("-(K1 - K2)", {"K1": 5, "K2": 8}) == 3

    def test_after_binary_operator(self):
        assert value_of("K1 - -K2", {"K1": 5, "K2": 8}) == 13
        assert value_of("2 * -3") == -6

    def test_double_minus_cancels(self):
        assert value_of("--3") == 3

    def test_binds_tighter_than_multiplication(self):
        assert parse("-2 * 3") == BinOp("*", Neg(Number(2)), Number(3))

    def test_typographic_minus_sign_is_accepted(self):
        assert parse("K1 \u2212 K2") == parse("K1 - K2")


class TestDecimals:
    def test_are_exact(self):
        assert value_of("0.1 + 0.2") == Fraction(3, 10)
        assert value_of("1 / 3 * 3") == 1

    def test_multiply_counts(self):
        assert value_of("0.2 * K1", {"K1": 5}) == 1
        assert isinstance(value_of("0.2 * K1", {"K1": 5}), Fraction)

    def test_trailing_zeros_do_not_matter(self):
        assert parse("0.50") == parse("0.5") == Number(Fraction(1, 2))


class TestDivisionByZero:
    @pytest.mark.parametrize(
        "text",
        ["1 / 0", "K1 / K2", "K1 / (K2 - K2)", "(1 / 0) * 0", "-(K1 / 0)", "K1 / MISSING"],
    )
    def test_gives_none_not_an_exception(self, text):
        assert value_of(text, {"K1": 3, "K2": 0}) is None

    def test_zero_numerator_is_fine(self):
        assert value_of("0 / 5") == 0


class TestMissingValues:
    def test_absent_code_counts_as_zero_by_default(self):
        assert value_of("K1 + K4", {"K1": 3}) == 3

    def test_none_counts_as_zero_by_default(self):
        assert value_of("K1 + K4", {"K1": 3, "K4": None}) == 3

    def test_strict_mode_returns_none_when_a_referenced_value_is_missing(self):
        assert value_of("K1 + K4", {"K1": 3}, missing_as_zero=False) is None
        assert value_of("K1 + K4", {"K1": 3, "K4": None}, missing_as_zero=False) is None

    def test_strict_mode_evaluates_when_everything_is_present(self):
        assert value_of("K1 + K4", {"K1": 3, "K4": 0}, missing_as_zero=False) == 3

    def test_strict_mode_ignores_unreferenced_codes(self):
        assert value_of("K1", {"K1": 3, "K4": None}, missing_as_zero=False) == 3

    def test_constant_needs_no_values(self):
        assert value_of("2 + 2", missing_as_zero=False) == 4


class TestValueTypes:
    def test_decimal_and_fraction_values_are_accepted(self):
        assert value_of("K1 + K2", {"K1": Decimal("0.5"), "K2": Fraction(1, 2)}) == 1

    @pytest.mark.parametrize("bad", [0.5, True, "3"])
    def test_inexact_or_non_numeric_values_are_refused(self, bad):
        with pytest.raises(TypeError, match="K1"):
            value_of("K1", {"K1": bad})


class TestCodes:
    def test_collects_each_code_once(self):
        expr = parse("K1 + K1_MURNI * 2 - (K1 / -BALITA_STUNTING)")
        assert expr.codes() == frozenset({"K1", "K1_MURNI", "BALITA_STUNTING"})

    def test_constant_has_no_codes(self):
        assert parse("2 * (3 + 4)").codes() == frozenset()


# --- Printing -------------------------------------------------------------------------


class TestToText:
    @pytest.mark.parametrize(
        ("text", "canonical"),
        [
            ("  K1+K2 *3 ", "K1 + K2 * 3"),
            ("(K1 + K2) * 3", "(K1 + K2) * 3"),
            ("((K1))", "K1"),
            ("K1 - (K2 - K3)", "K1 - (K2 - K3)"),
            ("(K1 - K2) - K3", "K1 - K2 - K3"),
            ("K1 + (K2 + K3)", "K1 + (K2 + K3)"),
            ("K1 / (K2 * K3)", "K1 / (K2 * K3)"),
            ("-(K1 + K2)", "-(K1 + K2)"),
            ("- - K1", "--K1"),
            ("K1--K2", "K1 - -K2"),
            ("0.50", "0.5"),
            ("007", "7"),
            ("1.0", "1"),
            ("0.125", "0.125"),
            ("0.001", "0.001"),
        ],
    )
    def test_canonical_form(self, text, canonical):
        assert to_text(parse(text)) == canonical
        assert parse(canonical) == parse(text)

    def test_str_is_canonical_text(self):
        assert str(parse("K1+2")) == "K1 + 2"


class TestNodes:
    def test_number_refuses_values_without_a_decimal_literal(self):
        with pytest.raises(ValueError, match="decimal literal"):
            Number(Fraction(1, 3))
        with pytest.raises(ValueError, match="non-negative"):
            Number(-1)

    def test_code_refuses_invalid_names(self):
        for name in ["k1", "1K", "_K", "", "K-1"]:
            with pytest.raises(ValueError, match="not a valid element code"):
                Code(name)

    def test_binop_refuses_unknown_operator(self):
        with pytest.raises(ValueError, match="Unknown binary operator"):
            BinOp("^", Number(2), Number(3))

    def test_nodes_are_immutable_and_hashable(self):
        expr = parse("K1 + 2")
        with pytest.raises(AttributeError):
            expr.op = "-"
        assert {expr, parse("K1+2")} == {expr}


# --- Errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "position", "fragment"),
    [
        ("", "empty", 0, "empty"),
        ("   \t", "empty", 0, "empty"),
        ("K1 + $", "bad_character", 5, "'$'"),
        ("K1 % 2", "bad_character", 3, "'%'"),
        ("K1 + é", "bad_character", 5, "not allowed"),
        ("K4 <= K1", "comparison_in_expression", 3, "operator field"),
        ("K1 = K2", "comparison_in_expression", 3, "operator field"),
        ("k1 + K2", "lowercase_code", 0, "K1"),
        ("K1 + Kn_lengkap", "lowercase_code", 5, "KN_LENGKAP"),
        ("_K1", "bad_code_start", 0, "start with a letter"),
        ("1.", "bad_number", 1, "followed by digits"),
        (".5", "bad_number", 0, "0.5"),
        ("1.2.3", "bad_number", 3, "one decimal point"),
        ("2_000", "bad_number", 1, "separators"),
        ("0,2 * K1", "decimal_comma", 1, "decimal separator"),
        ("(K1 + K2", "unbalanced_open", 0, "never closed"),
        ("K1 + (K2 * (3)", "unbalanced_open", 5, "never closed"),
        ("(", "unbalanced_open", 0, "never closed"),
        ("K1 + K2)", "unbalanced_close", 7, "no matching"),
        (")", "unbalanced_close", 0, "no matching"),
        ("K1 + )", "unbalanced_close", 5, "no matching"),
        ("()", "empty_parentheses", 0, "empty"),
        ("K1 * ()", "empty_parentheses", 5, "empty"),
        ("K1 +", "trailing_operator", 3, "ends with operator '+'"),
        ("K1 * -", "trailing_operator", 5, "ends with operator '-'"),
        ("-", "trailing_operator", 0, "ends with operator '-'"),
        ("K1 K2", "missing_operator", 3, "between code K1 and code K2"),
        ("2K1", "missing_operator", 1, "between number 2 and code K1"),
        ("K1 (K2)", "missing_operator", 3, "between code K1 and '('"),
        ("(K1)(K2)", "missing_operator", 4, "between ')' and '('"),
        ("(K1 K2)", "missing_operator", 4, "between code K1 and code K2"),
        ("* K1", "missing_operand", 0, "cannot start with '*'"),
        ("+K1", "missing_operand", 0, "cannot start with '+'"),
        ("K1 + * K2", "missing_operand", 5, "after operator '+', found '*'"),
        ("K1 ** 2", "missing_operand", 4, "after operator '*', found '*'"),
        ("(/ 2)", "missing_operand", 1, "after '(', found '/'"),
    ],
)
def test_error_code_position_and_message(text, code, position, fragment):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert (error.code, error.position) == (code, position)
    assert fragment in error.message
    assert str(error) == f"{error.message} (at position {position})"


class TestLimits:
    def test_length_limit_is_inclusive(self):
        text = "K1 + " * 99 + "K1_MU"
        assert len(text) == MAX_LENGTH
        assert parse(text).codes() == {"K1", "K1_MU"}

    def test_too_long(self):
        text = "K1 + " * 100 + "K1"
        with pytest.raises(ExpressionError) as caught:
            parse(text)
        assert (caught.value.code, caught.value.position) == ("too_long", MAX_LENGTH)
        assert "502 characters" in caught.value.message

    def test_parentheses_nesting_limit(self):
        assert parse("(" * MAX_DEPTH + "K1" + ")" * MAX_DEPTH) == Code("K1")
        with pytest.raises(ExpressionError) as caught:
            parse("(" * (MAX_DEPTH + 1) + "K1" + ")" * (MAX_DEPTH + 1))
        assert (caught.value.code, caught.value.position) == ("too_deep", MAX_DEPTH)

    def test_unary_minus_nesting_limit(self):
        assert value_of("-" * MAX_DEPTH + "1") == 1
        with pytest.raises(ExpressionError) as caught:
            parse("-" * (MAX_DEPTH + 1) + "1")
        assert (caught.value.code, caught.value.position) == ("too_deep", MAX_DEPTH)

    def test_long_flat_chain_within_length_is_fine(self):
        text = "+".join(["1"] * 250)
        assert value_of(text) == 250

    def test_canonical_text_stays_within_the_limit(self):
        # Spacing "1+1+...+1" would double its length; the compact form is used instead.
        text = "+".join(["1"] * 250)
        assert to_text(parse(text)) == text
        assert parse(to_text(parse(text))) == parse(text)
        assert to_text(parse("1+1")) == "1 + 1"


class TestErrorHelpers:
    def test_pointer_marks_the_position(self):
        with pytest.raises(ExpressionError) as caught:
            parse("K1 + * K2")
        assert caught.value.pointer("K1 + * K2") == "K1 + * K2\n     ^"

    def test_is_a_value_error(self):
        assert issubclass(ExpressionError, ValueError)

    def test_non_string_input_is_a_programming_error(self):
        with pytest.raises(TypeError):
            parse(None)


# --- Comparison and rules -------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "less", "equal", "greater"),
    [
        ("<", True, False, False),
        ("<=", True, True, False),
        ("==", False, True, False),
        (">=", False, True, True),
        (">", False, False, True),
        ("≤", True, True, False),
        ("≥", False, True, True),
        ("=", False, True, False),
        (" <= ", True, True, False),
    ],
)
def test_compare_every_operator(op, less, equal, greater):
    assert compare(Fraction(1), op, Fraction(2)) is less
    assert compare(2, op, Fraction(4, 2)) is equal
    assert compare(Fraction(5, 2), op, 2) is greater


@pytest.mark.parametrize("op", ["<", "<=", "==", ">=", ">", "≤", "≥", "="])
def test_compare_with_a_missing_side_is_none(op):
    assert compare(None, op, 1) is None
    assert compare(1, op, None) is None
    assert compare(None, op, None) is None


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("≤", "<="), ("≥", ">="), ("=", "=="), ("<", "<"), ("<=", "<="), (" ≥ ", ">=")],
)
def test_normalise_operator(alias, canonical):
    assert normalise_operator(alias) == canonical


@pytest.mark.parametrize("op", ["", "=>", "=<", "!=", "<>", "===", "lt"])
def test_unknown_operator_is_refused(op):
    with pytest.raises(ExpressionError) as caught:
        normalise_operator(op)
    assert caught.value.code == "bad_operator"
    with pytest.raises(ExpressionError):
        compare(1, op, 2)


class TestCheckRule:
    def test_violation(self):
        outcome = check_rule("K4", "≤", "K1", {"K1": 100, "K4": 120})
        assert outcome == RuleOutcome(
            passed=False,
            left_value=Fraction(120),
            right_value=Fraction(100),
            codes=frozenset({"K1", "K4"}),
        )
        assert outcome.violated
        assert not outcome.skipped

    def test_pass(self):
        values = {"MAT_DEATH_HEMORRHAGE": 1, "LIVE_BIRTHS": 40, "MAT_DEATHS": 2}
        outcome = check_rule("MAT_DEATH_HEMORRHAGE", "<=", "LIVE_BIRTHS + MAT_DEATHS", values)
        assert outcome.passed is True
        assert outcome.right_value == 42

    def test_skipped_on_division_by_zero(self):
        outcome = check_rule("K1_MURNI / K1", "<=", "1", {"K1": 0, "K1_MURNI": 0})
        assert outcome.passed is None
        assert outcome.skipped
        assert outcome.left_value is None
        assert outcome.right_value == 1

    def test_missing_values_both_modes(self):
        values = {"KN1": 10}
        assert check_rule("KN_LENGKAP", "<=", "KN1", values).passed is True
        strict = check_rule("KN_LENGKAP", "<=", "KN1", values, missing_as_zero=False)
        assert strict.passed is None
        assert strict.right_value == 10

    def test_invalid_side_raises(self):
        with pytest.raises(ExpressionError):
            check_rule("K4", "<=", "K1 +", {})
        with pytest.raises(ExpressionError):
            check_rule("K4", "=>", "K1", {})


class TestValidateCodes:
    KNOWN = frozenset({"K1", "K1_MURNI", "K4", "KN1", "KN_LENGKAP"})

    def test_known_codes_pass(self):
        validate_codes(parse("K1_MURNI / K1 * 100"), self.KNOWN)

    def test_typo_is_named_with_a_suggestion(self):
        with pytest.raises(ExpressionError) as caught:
            validate_codes(parse("K1 + K1_MURNII"), self.KNOWN)
        error = caught.value
        assert error.message == "Unknown element code K1_MURNII (did you mean K1_MURNI?)"
        assert (error.code, error.position) == ("unknown_codes", 5)
        assert error.params == {"codes": ["K1_MURNII"]}

    def test_every_unknown_code_is_named_and_the_first_is_located(self):
        with pytest.raises(ExpressionError) as caught:
            validate_codes(parse("K1 + (ZZZ * 2) - AAA"), self.KNOWN)
        assert caught.value.message == "Unknown element codes AAA, ZZZ"
        assert caught.value.position == 6

    def test_tree_built_in_code_has_position_zero(self):
        with pytest.raises(ExpressionError) as caught:
            validate_codes(BinOp("+", Code("K1"), Code("XYZ")), self.KNOWN)
        assert caught.value.position == 0


# --- Properties -----------------------------------------------------------------------

SAMPLE_CODES = ["K1", "K1_MURNI", "K4", "KN_LENGKAP", "MAT_DEATH_HEMORRHAGE", "BALITA_STUNTING"]

codes = st.one_of(
    st.sampled_from(SAMPLE_CODES),
    st.from_regex(r"[A-Z][A-Z0-9_]{0,11}", fullmatch=True),
)
numbers = st.builds(
    lambda numerator, places: Number(Fraction(numerator, 10**places)),
    st.integers(0, 10**6),
    st.integers(0, 3),
)
trees = st.recursive(
    st.one_of(numbers, st.builds(Code, codes)),
    lambda children: st.one_of(
        st.builds(Neg, children),
        st.builds(BinOp, st.sampled_from("+-*/"), children, children),
    ),
    max_leaves=12,
)
value_maps = st.dictionaries(
    st.sampled_from(SAMPLE_CODES), st.one_of(st.none(), st.integers(-50, 1000))
)


def reference_codes(expr):
    match expr:
        case Number():
            return set()
        case Code(name=name):
            return {name}
        case Neg(operand=operand):
            return reference_codes(operand)
        case BinOp(left=left, right=right):
            return reference_codes(left) | reference_codes(right)


def reference_evaluate(expr, values, missing_as_zero):
    """Straightforward Fraction evaluator; ZeroDivisionError anywhere means no value."""
    if not missing_as_zero and any(values.get(c) is None for c in reference_codes(expr)):
        return None

    def walk(node):
        match node:
            case Number(value=value):
                return value
            case Code(name=name):
                return Fraction(values.get(name) or 0)
            case Neg(operand=operand):
                return -walk(operand)
            case BinOp(op=op, left=left, right=right):
                a, b = walk(left), walk(right)
                if op == "/":
                    return a / b
                return {"+": a + b, "-": a - b, "*": a * b}[op]

    try:
        return walk(node=expr)
    except ZeroDivisionError:
        return None


def height(expr):
    match expr:
        case Neg(operand=operand):
            return 1 + height(operand)
        case BinOp(left=left, right=right):
            return 1 + max(height(left), height(right))
    return 1


@settings(max_examples=200, deadline=None)
@given(tree=trees, values=value_maps, missing_as_zero=st.booleans())
def test_random_trees_round_trip_and_match_reference(tree, values, missing_as_zero):
    text = to_text(tree)
    assume(len(text) <= MAX_LENGTH and height(tree) <= MAX_DEPTH)
    reparsed = parse(text)
    assert reparsed == tree
    assert to_text(reparsed) == text
    assert reparsed.codes() == reference_codes(tree)
    expected = reference_evaluate(tree, values, missing_as_zero)
    assert evaluate(reparsed, values, missing_as_zero=missing_as_zero) == expected


grammar_text = st.text(alphabet="K14_MURNI0.9 +-\u2212*/()\t,<=$k", max_size=80)


def parse_or_error(text):
    """Parse ``text``; only ExpressionError may escape, and it must point inside the text."""
    try:
        expr = parse(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)
        assert error.message
        assert error.code
        return None
    canonical = to_text(expr)
    assert len(canonical) <= MAX_LENGTH
    assert parse(canonical) == expr
    result = evaluate(expr, {"K1": 3, "K4": 0})
    assert result is None or isinstance(result, Fraction)
    return expr


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=60), grammar_text))
def test_random_text_only_ever_raises_expression_error(text):
    parse_or_error(text)


@settings(max_examples=20, deadline=None)
@given(text=st.text(alphabet="K1+-()", min_size=MAX_LENGTH - 5, max_size=MAX_LENGTH + 5))
def test_random_text_near_the_length_limit(text):
    parse_or_error(text)


def _forbidden(*args, **kwargs):
    raise AssertionError("the expression parser must not evaluate text as Python")


HOSTILE_TEXTS = [
    "__import__('os').system('echo pwned')",
    "K1.__class__",
    "K1 if K1 else K4",
    "lambda: 0",
    "[K1, K4]",
    "K1 ** 2",
    "K1 // 2",
    "K1; K4",
    "open('/etc/passwd')",
    "K1 # comment",
    "1e9",
    "0x10",
    "K1 and K4",
    "not K1",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_python_syntax_is_refused_without_calling_eval(text):
    with (
        mock.patch.object(builtins, "eval", _forbidden),
        mock.patch.object(builtins, "exec", _forbidden),
        mock.patch.object(builtins, "compile", _forbidden),
        pytest.raises(ExpressionError),
    ):
        parse(text)


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(grammar_text, st.sampled_from(HOSTILE_TEXTS)))
def test_parser_never_calls_eval(text):
    with (
        mock.patch.object(builtins, "eval", _forbidden),
        mock.patch.object(builtins, "exec", _forbidden),
        mock.patch.object(builtins, "compile", _forbidden),
    ):
        parse_or_error(text)


def test_module_source_uses_no_dynamic_evaluation_and_only_the_standard_library():
    tree = ast.parse(Path(expressions.__file__).read_text(encoding="utf-8"))
    called = {
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert not called & {"eval", "exec", "compile", "literal_eval", "__import__"}
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
