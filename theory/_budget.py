r"""Time budgets for optional symbolic work on user expressions.

SymPy's ``simplify``, ``limit`` and ``solve`` have no time limit, and some innocent-looking
user forms (``cosh(t)**50``) send them into minutes of work. Every such call in the
derivation is *optional*: it improves a result (a simpler expression, a closed form, an
exact limit) that has a numeric fallback. :func:`within_budget` runs it under a wall-clock
budget and returns the fallback when the budget is spent, so the derivation stays
bounded in time (no hang on any input).

The budget uses ``SIGALRM`` and therefore applies only in the main thread of the main
interpreter on POSIX; elsewhere (worker threads) the call runs unbounded, as before.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["within_budget", "simplify_or_keep", "SYMBOLIC_BUDGET"]

#: Seconds allowed for one optional symbolic step; built-in regularisers need < 1 s each.
SYMBOLIC_BUDGET = 8.0


class _OutOfTime(BaseException):
    # BaseException so that SymPy's internal `except Exception` blocks cannot swallow it.
    pass


def _raise(signum, frame):
    raise _OutOfTime


def within_budget(fn, *args, fallback=None, seconds: float = SYMBOLIC_BUDGET, **kwargs):
    """``fn(*args, **kwargs)``, or ``fallback`` if it takes longer than ``seconds``.

    Nested calls share the outermost budget (the inner call does not reset the timer).
    """
    usable = (hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        return fn(*args, **kwargs)
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    except _OutOfTime:
        return fallback
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def simplify_or_keep(expr):
    """``sympy.simplify(expr)`` within the budget, else ``expr`` unchanged (still correct,
    only less simple)."""
    import sympy as sp

    return within_budget(sp.simplify, expr, fallback=expr)
