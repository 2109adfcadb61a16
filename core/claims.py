r"""The claim contract behind ``logitreg verify``: the catalogue of claims, the result
record and the registration of checks.

Every claim ID has one entry in :data:`CATALOGUE`: what the claim says (in our words),
where the paper (or the related work) states it, and the section of the project's theory
document that derives it (``docs/theory.md``: §1 framework, §2 binary B1-B13, §4
multiclass M1-M7, §5 real data R1-R2, §6 related systems G1-G4, §7 proportional-limit
theory A0-A5). A check is a function ``check(full: bool = False, **kw) -> CheckResult``
registered under a catalogued ID with :func:`register`; a claim may have several checks
(e.g. a symbolic and a numeric one). Each result carries the measured evidence, the
tolerance and why, and a verdict that could have failed.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, fields
from typing import Callable

from core.errors import InvalidParameterError

__all__ = ["Claim", "CATALOGUE", "Scope", "SCOPE", "HYPOTHESES", "claim_scope", "claim_info",
           "check_location", "CheckResult", "register", "registered", "run_check",
           "takes_regularizer"]


@dataclass(frozen=True)
class Claim:
    """One catalogued claim: ``id``, ``statement``, paper ``reference``, theory ``section``."""

    id: str
    statement: str
    reference: str
    section: str


_THEORY = "docs/theory.md"
_SECTION = {"D": "§1", "B": "§2", "M": "§4", "R": "§5", "G": "§6", "A": "§7"}

# (ID, statement, reference). The references are to Beck, Bar-Sinai, Levi, "The Implicit
# Bias of Logit Regularization" (arXiv:2602.12039) unless another work is named.
_ENTRIES = (
    ("D1",
     ("The target t*(alpha), the unique minimiser of the per-sample loss l(t) = (1-alpha) "
      "softplus(-t) + alpha f(t), is computed correctly for every built-in regulariser "
      "(it equals a direct high-precision minimisation)."),
     "framework: the target t* (stationarity of l; no numbered result)"),
    # Binary claims (docs/theory.md §2).
    ("B1",
     ("For alpha > 0 the training logits of the minimiser gather around the target t*; "
      "for alpha = 0 on separable data the weight norm grows like log t and the logits "
      "spread out."),
     "framework and Fig. 1 (logit clustering)"),
    ("B2",
     ("Label smoothing is a logit regulariser: with targets (1-eps)y + eps/K it is "
      "(1-eps) CE + eps (logsumexp(z) - mean(z)), i.e. alpha = eps, binary form f(t) = "
      "log(2 + 2 cosh t)/2 (a binary label flip with probability eps is alpha = 2 eps)."),
     "framework: label smoothing as logit regularisation (no numbered result)"),
    ("B3",
     ("For Gaussian inputs the population minimiser minimises the coefficient of "
      "variation sigma(S)/mu(S) of the logit; the reduced loss Q(r) increases in r "
      "(Gaussian integration by parts; Lemma C.1)."),
     "Prop. 3.1, App. C.3, Lemma C.1"),
    ("B4",
     ("Gaussian population and any convex loss: the minimiser points along Sigma^-1 mu; a "
      "quadratic per-sample loss on any data with N > d gives exactly the empirical "
      "Fisher direction, whatever the target."),
     "Cor. 3.3"),
    ("B5",
     ("Quadratic loss along a fixed direction: optimal norm, mean logit and minimal loss "
      "in closed form; minimising the loss means minimising r = sigma/mu."),
     "App. C.4"),
    ("B6",
     ("The direction of the minimiser jumps between alpha = 0 and alpha > 0 and then "
      "hardly moves with alpha, while its norm changes by orders of magnitude."),
     "Sec. 3.4, Figs. 2, 10-13"),
    ("B7",
     ("Noiseless features (sigma_f = 0): any alpha > 0 generalises perfectly iff N >= d, "
      "for every f and sigma_n; max-margin (alpha = 0) needs about N = 2d (Cover's "
      "count); weight decay does not move the threshold."),
     "Prop. 5.1, Sec. 5.1; App. E.4"),
    ("B8",
     ("Grokking: with alpha > 0 gradient descent reaches perfect test accuracy only after "
      "a delay that diverges as alpha -> 0; alpha = 0 overfits for good."),
     "Sec. 5.2, Fig. 5"),
    ("B9",
     ("alpha > 0, lambda < 1: the minimiser is equivariant under invertible linear maps, "
      "so its test accuracy does not depend on sigma_n; Eq. 4 in Eq. 5 cancels sigma_n "
      "symbolically; max-margin is not invariant."),
     "Prop. 6.1, Eqs. 4-5"),
    ("B10",
     ("Benefit phase diagram: regularised accuracy is flat in sigma_n, unregularised "
      "accuracy is not; their crossing bounds the region where regularisation helps."),
     "Sec. 6.2, Figs. 6, 15"),
    ("B11",
     ("Test logit variance is sigma_f^2 S1^2 + sigma_n^2 |S_perp|^2; the training spread "
      "lies below sigma_f S1 and the test spread above it."),
     "App. E.1, Fig. 14"),
    ("B12",
     ("At sigma_n = 1, alpha = 0.4: S1 stays nearly constant while |S_perp|, and with it "
      "the constant C of Eq. 4, grows linearly in small sigma_f."),
     "App. E.5, Fig. 20"),
    ("B13",
     ("Quadratic logit regularisation equals a generalised (non-centred) Tikhonov "
      "penalty, yet plain weight decay behaves differently: its accuracy depends on "
      "sigma_n."),
     "App. E.4, Fig. 18"),
    # Multiclass claims (docs/theory.md §4).
    ("M1",
     ("The per-sample multiclass minimiser puts q_high at the true class and q_low "
      "elsewhere: the K targets form a symmetric simplex."),
     "Sec. 7, App. D"),
    ("M2",
     ("For alpha > 0 each class's training logits gather at its simplex vertex; for alpha "
      "= 0 they spread."),
     "Sec. 7, Fig. 7"),
    ("M3",
     ("Squared loss to targets q e_c: the minimiser scales as W(q) = q W(1), so the "
      "accuracy does not depend on q > 0."),
     "Prop. D.1"),
    ("M4",
     ("Squared per-sample loss with bias: the row space of the class-centred weights is "
      "exactly the Fisher discriminant subspace."),
     "Sec. 7, App. D (multiclass Fisher discriminant)"),
    ("M5",
     ("Noiseless features, alpha > 0, N > d: the multiclass minimiser generalises "
      "perfectly and its signal block solves [b, W_S] M = Z*; max-margin needs more "
      "samples."),
     "Prop. D.2"),
    ("M6",
     ("alpha > 0, N > d: the regularised multiclass minimiser's test predictions do not "
      "depend on sigma_n."),
     "Prop. D.3"),
    ("M7",
     ("Multiclass grokking: alpha > 0 reaches perfect test accuracy after a delay that "
      "grows as alpha -> 0; alpha = 0 overfits for good."),
     "Sec. 7, Fig. 8"),
    # Real data (docs/theory.md §5).
    ("R1",
     ("On real data, the linear probe's accuracy changes between alpha = 0 and small "
      "alpha > 0 and then stays on a plateau."),
     "App. E.6.1 (adapted: data shipped with scikit-learn)"),
    ("R2",
     ("On real data with N > d, the regularised probe's predictions are invariant under "
      "rescaling the component orthogonal to the class-mean span; max-margin's are not."),
     "App. E.6.1 (adapted: data shipped with scikit-learn)"),
    # Related systems (docs/theory.md §6).
    ("G1",
     ("Gradient descent on separable multiclass data with an exponential-tailed loss "
      "converges in direction to the multiclass hard-margin SVM, with error of order "
      "1/log t."),
     "Ravi, Scott, Soudry, Wang, NeurIPS 2024 (arXiv:2411.01350)"),
    ("G2",
     ("MaxSup, CE + lam (max z - mean z), is the logit regulariser f(z) = max(z) - "
      "mean(z) at alpha = lam/(1+lam) (times 1+lam); unlike label smoothing it never "
      "pushes a misclassified sample's true logit down."),
     "Zhou et al., NeurIPS 2025 (arXiv:2502.15798)"),
    ("G3",
     ("Label smoothing keeps the optimal logit gap finite, log(1 + K(1-alpha)/alpha), "
      "where cross-entropy's diverges; its benefit under label noise is measured, not "
      "assumed."),
     "Nguyen, Levie, Lienen, Kutyniok, Hüllermeier, ICLR 2023"),
    ("G4",
     ("Per-example gradient regularisation of a linear model, l + lam l'^2 |u|^2, creates "
      "no finite target for cross-entropy (margins keep growing)."),
     "Meng, Cao, Zou (arXiv:2303.17940)"),
    # Proportional-limit theory (docs/theory.md §7).
    ("A0",
     ("Signal-plus-noise data with sigma_f > 0 is, after rescaling e1, the isotropic "
      "Gaussian mixture kappa e1 + g with kappa = mu_f/sigma_f; accuracy is Phi(kappa "
      "rho)."),
     "data model of Sec. 3; proportional-limit reduction (project derivation)"),
    ("A1",
     ("The Gordon (CGMT) fixed point predicts the proportional-limit cosine and accuracy "
      "of the regularised minimiser."),
     "project derivation (CGMT); not in the paper"),
    ("A2",
     ("The separability threshold lambda_sep(kappa) of the mixture; beyond it the "
      "unregularised minimiser is the max-margin direction."),
     "project derivation (Gaussian-mixture separability); not in the paper"),
    ("A3",
     ("Finite-size thresholds: Cover's count for sigma_f = 0 and the regularised "
      "minimiser's step at N = d."),
     "Cover (1965); Prop. 5.1"),
    ("A4",
     ("The benefit diagram of B10 predicted analytically (regularised vs max-margin) "
      "agrees with simulations."),
     "Sec. 6.2, Figs. 6, 15 (analytic version, project derivation)"),
    ("A5",
     "At equal (lambda, kappa) the square loss is the best of the built-in losses.",
     ("project measurement; optimality of least squares for Gaussian mixtures "
      "(literature, to confirm)")),
)

#: Claim ID -> :class:`Claim`, in reading order (framework, binary, multiclass, ...).
CATALOGUE = {cid: Claim(cid, statement, reference, f"{_THEORY} {_SECTION[cid[0]]}")
             for cid, statement, reference in _ENTRIES}


@dataclass(frozen=True)
class Scope:
    r"""Does a claim speak about a general regulariser :math:`f`, and under which hypotheses?

    ``general``: the statement holds for every admissible :math:`f` (docs/theory.md §1:
    even, convex, with a finite attained minimum of :math:`\ell`), so ``logitreg verify
    --f EXPR`` runs its checks for the user's ``f``; otherwise ``why`` says what the claim
    is about instead (label smoothing, the quadratic loss, weight decay, ...).
    ``needs``: the hypotheses the statement assumes, keys of ``theory.properties`` (a
    failing one is reported as "hypothesis fails", and the check still runs and reports
    what it measured). ``form``: ``"binary"`` or ``"multiclass"`` (needs ``--multiclass``).
    """

    general: bool
    needs: tuple = ()
    why: str = ""
    form: str = "binary"


#: The three hypotheses of docs/theory.md §1, in the order they are reported.
HYPOTHESES = ("even", "convex", "finite_minimum")
_ALL = HYPOTHESES
#: D1 compares the compiled stationary point with the global minimiser: it also needs the
#: stationary point to be the global minimum (``global_target``, when theory reports it).
_TARGET = ("even", "finite_minimum", "global_target")


def _fixed(why: str) -> Scope:
    return Scope(False, (), why)


#: Claim ID -> :class:`Scope` (docs/theory.md §2, §4, §7 state which results assume what).
SCOPE = {
    "D1": Scope(True, _TARGET),
    "B1": Scope(True, _ALL),
    "B2": _fixed("an identity of label smoothing itself (soft targets = f of label smoothing)"),
    "B3": Scope(True, _ALL),
    "B4": Scope(True, _ALL),
    "B5": _fixed("closed forms of the quadratic per-sample loss; no regulariser enters"),
    "B6": Scope(True, _ALL),
    "B7": Scope(True, _ALL),
    "B8": Scope(True, _ALL),
    "B9": Scope(True, _ALL),
    "B10": Scope(True, _ALL),
    "B11": _fixed("a variance identity of any linear minimiser's test logits"),
    "B12": Scope(True, _ALL),
    "B13": _fixed("about the quadratic regulariser and weight decay"),
    "M1": Scope(True, _ALL, form="multiclass"),
    "M2": Scope(True, _ALL, form="multiclass"),
    "M3": _fixed("about the squared multiclass loss to targets q e_c"),
    "M4": _fixed("about the squared multiclass loss with bias (Fisher subspace)"),
    "M5": Scope(True, _ALL, form="multiclass"),
    "M6": Scope(True, _ALL, form="multiclass"),
    "M7": Scope(True, _ALL, form="multiclass"),
    "R1": _fixed("a measurement on real data with the built-in regularisers"),
    "R2": _fixed("a measurement on real data with the built-in regularisers"),
    "G1": _fixed("implicit bias of unregularised gradient descent (alpha = 0)"),
    "G2": _fixed("about MaxSup and label smoothing"),
    "G3": _fixed("about label smoothing under label noise"),
    "G4": _fixed("about per-example gradient regularisation of cross-entropy"),
    "A0": _fixed("a reduction of the data model; no regulariser enters"),
    "A1": Scope(True, _ALL),
    "A2": _fixed("separability of the data (alpha = 0); no regulariser enters"),
    "A3": _fixed("Cover's counting formula and the step at N = d (B7 runs it for f)"),
    "A4": Scope(True, _ALL),
    "A5": _fixed("a comparison among the built-in losses"),
}


def claim_scope(claim: str) -> Scope:
    """The :class:`Scope` of a catalogued claim."""
    claim_info(claim)
    return SCOPE[claim]


def takes_regularizer(fn) -> bool:
    """Does the check ``fn`` accept ``regularizer=`` (run it for a user's ``f``)?"""
    import inspect

    try:
        return "regularizer" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def claim_info(claim: str) -> Claim:
    """The catalogue entry of ``claim``; an unknown ID is an error naming the known ones."""
    try:
        return CATALOGUE[claim]
    except (KeyError, TypeError):
        raise InvalidParameterError(
            f"claim ID {claim!r} is not in the catalogue (core/claims.py); known: "
            f"{', '.join(CATALOGUE)}") from None


def check_location(fn) -> str:
    """Where a check lives, ``module:qualname`` (e.g. ``numerics.claims.threshold:check_b7``)."""
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


@dataclass
class CheckResult:
    """Outcome of one claim check.

    ``evidence`` maps names to measured numbers (or short strings); ``tolerance`` states
    the threshold and its reason; ``passed`` is the verdict. ``data`` maps a figure name
    (e.g. ``"B7_threshold"``) to the measured data that figure is drawn from: checks
    measure and decide, the figure layer (:mod:`numerics.figures.claim_figures`) draws.
    ``figures`` lists the PNG paths written for a report (filled by the command line);
    ``check`` is where the check lives, ``module:function`` (filled by :func:`run_check`).
    """

    claim: str
    statement: str
    evidence: dict
    tolerance: str
    passed: bool
    seconds: float = 0.0
    figures: list = field(default_factory=list)
    note: str = ""
    data: dict = field(default_factory=dict, repr=False)
    check: str = ""

    def as_dict(self) -> dict:
        """JSON-ready record: everything but the figure data."""
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self) if f.name != "data"}
        out["evidence"] = {k: (float(v) if hasattr(v, "__float__") and not isinstance(v, (bool, str))
                               else v) for k, v in self.evidence.items()}
        return out


_REGISTRY: dict = {}


def register(claim: str, statement: str) -> Callable:
    """Decorator registering ``fn(full: bool) -> CheckResult`` for the catalogued
    ``claim``; an ID missing from :data:`CATALOGUE` is refused at import."""
    claim_info(claim)

    def wrap(fn):
        _REGISTRY.setdefault(claim, []).append((statement, fn))
        return fn
    return wrap


def registered() -> dict:
    """Checks registered so far: claim ID -> [(statement, fn), ...]. The modules that
    declare checks register on import; :func:`logitreg.collect.registry` imports them."""
    return _REGISTRY


def run_check(claim: str, statement: str, fn, *, full: bool, regularizer=None) -> CheckResult:
    """Run one check, timing it; an exception becomes a failed result naming it.
    ``regularizer`` (a ``theory.Regularizer``) is passed on only when given: ``None`` runs
    the check as catalogued, on its built-in regularisers."""
    start = time.perf_counter()
    try:
        result = fn(full=full) if regularizer is None else fn(full=full, regularizer=regularizer)
    except Exception as exc:  # a crashing check is a failed check, reported, not hidden
        result = CheckResult(claim, statement, {"error": f"{type(exc).__name__}: {exc}"},
                             "-", False)
    result.seconds = time.perf_counter() - start
    result.check = check_location(fn)
    return result
