r"""Safe parsing of user-defined regulariser expressions.

The string is parsed with :func:`ast.parse` (which never executes anything) and the tree
is *interpreted* node by node against a whitelist: numbers, the form's own symbol
(``t`` for the binary form, the vector ``z`` for the multiclass form), ``pi``/``E`` and a
fixed set of functions. Anything else -- attribute access, subscripts, dunder names,
lambdas, comprehensions, strings, keyword arguments, calls of non-whitelisted names --
is refused with :class:`~core.errors.UnsafeExpressionError` before any evaluation.
``eval``/``sympify`` are never called on user text.

Sizes are bounded so that SymPy cannot be driven into exponential work: at most
``MAX_LENGTH`` characters, ``MAX_DEPTH`` nested nodes, integer literals of at most
``MAX_INT_DIGITS`` digits and numeric exponents of magnitude at most ``MAX_EXPONENT``.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass

import sympy as sp

from core.errors import InvalidParameterError, InvalidTypeError, UnsafeExpressionError
from theory._functions import LogSumExp, Sigmoid, Softplus

__all__ = ["parse_binary", "parse_multiclass", "ALLOWED_FUNCTIONS", "Vector"]

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_INT_DIGITS = 30
MAX_EXPONENT = 1000
#: Exponential towers such as exp(exp(exp(t))) overflow any float at ``|t| ~ 10`` and drive
#: 30-digit analysis into numbers with astronomically many digits: allow two levels.
MAX_EXP_NESTING = 2

_ELEMENTWISE = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "Abs": sp.Abs,
    "cosh": sp.cosh, "sinh": sp.sinh, "tanh": sp.tanh, "cos": sp.cos, "sin": sp.sin,
    "atan": sp.atan, "asinh": sp.asinh, "log1p": lambda x: sp.log(1 + x),
    "softplus": Softplus, "sigmoid": Sigmoid, "sign": sp.sign,
}
_VARIADIC = {"Max": sp.Max, "max": sp.Max, "Min": sp.Min, "min": sp.Min,
             "logsumexp": LogSumExp}
_REDUCERS = {"sum", "mean", "max", "min", "Max", "Min", "logsumexp", "norm2"}
ALLOWED_FUNCTIONS = tuple(sorted(set(_ELEMENTWISE) | set(_VARIADIC) | _REDUCERS))
_CONSTANTS = {"pi": sp.pi, "E": sp.E}


@dataclass(frozen=True)
class Vector:
    """The multiclass logit vector ``z`` during interpretation: elementwise algebra."""

    items: tuple

    def map(self, fn):
        return Vector(tuple(fn(x) for x in self.items))


def _binop(op, a, b):
    if isinstance(a, Vector) and isinstance(b, Vector):
        if len(a.items) != len(b.items):
            raise InvalidParameterError("vector length mismatch in expression")
        return Vector(tuple(op(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, Vector):
        return a.map(lambda x: op(x, b))
    if isinstance(b, Vector):
        return b.map(lambda y: op(a, y))
    return op(a, b)


def _pow(a, b):
    if isinstance(b, Vector) or (isinstance(b, sp.Basic) and not b.is_Number):
        return sp.Pow(a, b)
    if abs(float(b)) > MAX_EXPONENT:
        raise UnsafeExpressionError(
            f"numeric exponent {b} is too large (|exponent| <= {MAX_EXPONENT} allowed)")
    if isinstance(a, sp.Basic) and a.is_Rational and a != 0:
        # Exact rational powers are evaluated eagerly by SymPy: bound the digits.
        bits = max(int(a.p).bit_length(), int(a.q).bit_length())
        if bits * abs(float(b)) * 0.30103 > 10_000:
            raise UnsafeExpressionError(
                f"numeric power {str(a)[:20]}...**{b} would have more than 10000 digits")
    return sp.Pow(a, b)


_BINOPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
}


class _Interpreter:
    def __init__(self, text: str, symbols: dict):
        self.text = text
        self.symbols = symbols

    def refuse(self, node, what: str):
        seg = ast.get_source_segment(self.text, node) or type(node).__name__
        raise UnsafeExpressionError(f"{what} is not allowed in a regulariser expression: {seg!r}")

    def run(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise UnsafeExpressionError(f"expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Expression):
            return self.run(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.refuse(node, f"constant of type {type(value).__name__}")
            if isinstance(value, int):
                if len(str(abs(value))) > MAX_INT_DIGITS:
                    raise UnsafeExpressionError(
                        f"integer literal with more than {MAX_INT_DIGITS} digits is not allowed")
                return sp.Integer(value)
            if not math.isfinite(value):
                self.refuse(node, "non-finite number")
            return sp.Rational(str(value)) if abs(value) < 1e30 else sp.Float(value)
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                self.refuse(node, "underscore name")
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            allowed = ", ".join(sorted(self.symbols) + sorted(_CONSTANTS))
            self.refuse(node, f"name {node.id!r} (allowed names: {allowed})")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.run(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand
            return operand.map(lambda x: -x) if isinstance(operand, Vector) else -operand
        if isinstance(node, ast.BinOp):
            left = self.run(node.left, depth + 1)
            right = self.run(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                return _binop(_pow, left, right)
            op = _BINOPS.get(type(node.op))
            if op is None:
                self.refuse(node, f"operator {type(node.op).__name__}")
            return _binop(op, left, right)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        self.refuse(node, type(node).__name__)

    def call(self, node, depth):
        if not isinstance(node.func, ast.Name):
            self.refuse(node, "call of a non-name (attribute or expression)")
        name = node.func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.refuse(node, "keyword or starred argument")
        if name not in ALLOWED_FUNCTIONS:
            self.refuse(node, f"function {name!r} (allowed: {', '.join(ALLOWED_FUNCTIONS)})")
        args = [self.run(a, depth + 1) for a in node.args]
        if not args:
            self.refuse(node, f"call of {name!r} without arguments")
        if len(args) == 1 and isinstance(args[0], Vector) and name in _REDUCERS:
            items = args[0].items
            if name == "sum":
                return sp.Add(*items)
            if name == "mean":
                return sp.Add(*items) / len(items)
            if name == "norm2":
                return sp.Add(*[x**2 for x in items])
            if name in ("max", "Max"):
                return sp.Max(*items)
            if name in ("min", "Min"):
                return sp.Min(*items)
            return LogSumExp(*items)
        if any(isinstance(a, Vector) for a in args):
            if name in _ELEMENTWISE and len(args) == 1:
                return args[0].map(_ELEMENTWISE[name])
            self.refuse(node, f"{name!r} applied to the vector z with several arguments")
        if name in _ELEMENTWISE:
            if len(args) != 1:
                self.refuse(node, f"{name!r} with {len(args)} arguments (takes 1)")
            return _ELEMENTWISE[name](args[0])
        if name in _VARIADIC:
            return _VARIADIC[name](*args)
        self.refuse(node, f"reducer {name!r} applied to a scalar")


def _exp_nesting(expr) -> int:
    """Deepest chain of nested exponential-growth nodes (exp, cosh, sinh, x**expr(t))."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return 0
    inner = max(_exp_nesting(a) for a in expr.args)
    grows = (isinstance(expr, (sp.exp, sp.cosh, sp.sinh))
             or (isinstance(expr, sp.Pow) and expr.exp.free_symbols))
    return inner + 1 if grows else inner


def _check_growth(expr, text):
    for p in expr.atoms(sp.Pow):
        if p.base.free_symbols and p.exp.free_symbols:
            raise UnsafeExpressionError(
                f"a power whose base and exponent both depend on the logit ({p}) is not "
                f"allowed: it is not real for negative logits. Got {text!r}")
    if _exp_nesting(expr) > MAX_EXP_NESTING:
        raise UnsafeExpressionError(
            f"exponentials nested more than {MAX_EXP_NESTING} deep (e.g. exp(exp(exp(t)))) "
            f"are not allowed: they overflow any float for |t| > 10. Got {text!r}")


def _parse(text, symbols: dict, form: str):
    if not isinstance(text, str):
        raise InvalidTypeError(f"A regulariser expression must be a string. Got {text!r} instead.")
    if len(text) > MAX_LENGTH:
        raise UnsafeExpressionError(
            f"expression longer than {MAX_LENGTH} characters ({len(text)} given)")
    if not text.strip():
        raise InvalidParameterError(f"The {form} expression is empty. Got {text!r} instead.")
    try:
        with warnings.catch_warnings():
            # Python warns about e.g. invalid escapes in the user's text; the text is
            # refused or accepted by our own rules, the warning would only be noise.
            warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise InvalidParameterError(f"cannot parse {form} expression {text!r}: {exc}") from None
    try:
        expr = _Interpreter(text.strip(), symbols).run(tree)
        for item in (expr.items if isinstance(expr, Vector) else (expr,)):
            _check_growth(sp.sympify(item), text)
        return expr
    except RecursionError:
        raise UnsafeExpressionError(f"expression nested too deeply: {text[:60]!r}") from None
    except (TypeError, ZeroDivisionError, OverflowError) as exc:
        raise InvalidParameterError(f"cannot build {form} expression {text!r}: {exc}") from None


def parse_binary(text: str, t: sp.Symbol) -> sp.Expr:
    r"""Parse the binary form :math:`f(t)` of a user regulariser (only ``t`` allowed).

    >>> import sympy as sp
    >>> parse_binary("t**4 + cosh(t)", sp.Symbol("t", real=True))
    t**4 + cosh(t)
    """
    expr = _parse(text, {"t": t}, "binary")
    if isinstance(expr, Vector):
        raise InvalidParameterError(f"binary expression {text!r} is not a scalar")
    expr = sp.sympify(expr)
    if not expr.free_symbols <= {t}:
        raise InvalidParameterError(f"binary expression {text!r} may only depend on t")
    return expr


def parse_multiclass(text: str, z: tuple) -> sp.Expr:
    r"""Parse a multiclass form :math:`f(z)`; ``z`` is the logit vector.

    Elementwise functions and arithmetic broadcast over ``z``; ``sum``, ``mean``,
    ``max``, ``min``, ``logsumexp`` and ``norm2`` reduce it, e.g.
    ``"logsumexp(z) - mean(z)"`` (label smoothing) or ``"sum(z**2)"``.
    """
    expr = _parse(text, {"z": Vector(tuple(z))}, "multiclass")
    if isinstance(expr, Vector):
        raise InvalidParameterError(
            f"multiclass expression {text!r} is a vector; reduce it with sum/mean/max/logsumexp")
    return sp.sympify(expr)
