r"""Figures 11 and 12 of claim B6: a three-point toy where the α-insensitivity of the
direction can be seen exactly (docs/theory.md §2).

Three points in :math:`R^2` (:data:`TOY_U`) and the
per-sample loss :math:`\ell_{a,b}(t) = (t-a)^2 + b\max(0, -t)`, minimised exactly by
:func:`toy_minimizer`. With :math:`b = 0`, :math:`L_a(aW) = a^2L_1(W)`, so
:math:`S(a) = aS(1)`: the minimisers for :math:`a = 2` and :math:`a = 6` are colinear
and both minimise the coefficient of variation of the logits
:math:`r(S) = \sigma(S)/\mu(S)` (B5: minimal loss :math:`a^2 r^2/(1+r^2)`). With
:math:`b = 6` the kink weighs :math:`b/a` against the quadratic, differently for the two
targets, and the directions separate (fig. 12; one of them sits on the kink
:math:`t_i = 0`). Shown: the loss contours in the :math:`S` plane for each
:math:`a`, the minimisers and their rays, and :math:`r` along the direction
:math:`\varphi` of :math:`S = \|S\|(\cos\varphi, \sin\varphi)`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from core.errors import InvalidParameterError

from numerics.figures._registry import check_size, figure, pyplot

__all__ = ["fig11", "fig12", "TOY_U", "TOY_TARGETS", "toy_loss", "toy_minimizer",
           "coefficient_of_variation"]


#: The toy of Figs. 11-12: three label-absorbed samples in R^2; the third is on the wrong
#: side of every good classifier, so the quadratic minimiser gives it a negative logit.
TOY_U = np.array([[2.0, 0.5], [1.0, -1.0], [-1.0, 0.3]])
TOY_TARGETS = (2.0, 6.0)


def toy_loss(U, S, a, b):
    r""":math:`L(S) = \frac1N\sum_i (t_i - a)^2 + b\max(0, -t_i)`, :math:`t = US`;
    ``S`` may be (d,) or (..., d)."""
    t = np.asarray(S, dtype=float) @ np.asarray(U, dtype=float).T
    return np.mean((t - a) ** 2 + b * np.maximum(0.0, -t), axis=-1)


def toy_minimizer(U, a, b) -> dict:
    r"""Exact minimiser of :func:`toy_loss` for a few samples (Figs. 11-12).

    The loss is convex and piecewise quadratic. For each sign pattern of the logits
    (:math:`t_i < 0`, :math:`= 0`, :math:`> 0`) the stationarity conditions

    .. math:: 2U^\top(US - a\mathbf 1) - bU_-^\top\mathbf 1 - bU_0^\top\theta = 0,
              \qquad U_0 S = 0

    are a linear system; a solution whose logits have the pattern's signs and whose kink
    multipliers satisfy :math:`\theta_i \in [0, 1]` is a KKT point, hence the minimum.
    :math:`3^N` patterns: for the toy only. Returns ``S``, ``logits``, ``pattern``
    (-1/0/+1), ``theta`` (kink multipliers) and ``kkt_residual``.
    """
    U = np.asarray(U, dtype=float)
    n, d = U.shape
    if n > 8:
        raise InvalidParameterError(
            f"toy_minimizer enumerates 3^N sign patterns; N must be <= 8. Got N={n}.")
    tol = 1e-12 * (1.0 + abs(a) + abs(b)) * (1.0 + float(np.abs(U).max())) ** 2
    best = None
    for pattern in itertools.product((-1, 0, 1), repeat=n):
        p = np.array(pattern)
        zero = np.nonzero(p == 0)[0]
        k = zero.size
        A = np.zeros((d + k, d + k))
        A[:d, :d] = 2.0 * U.T @ U
        A[:d, d:] = -b * U[zero].T
        A[d:, :d] = U[zero]
        rhs = np.concatenate([2.0 * a * U.sum(axis=0) + b * U[p == -1].sum(axis=0),
                              np.zeros(k)])
        sol = np.linalg.lstsq(A, rhs, rcond=None)[0]
        S, theta = sol[:d], sol[d:]
        t = U @ S
        resid = float(np.abs(A @ sol - rhs).max())
        ok = (resid <= tol * 1e3 and np.all(t[p == -1] < 0) and np.all(t[p == 1] > 0)
              and (b == 0 or np.all((theta >= -1e-9) & (theta <= 1 + 1e-9))))
        if ok:
            val = float(toy_loss(U, S, a, b))
            if best is None or val < best["loss"]:
                best = {"S": S, "logits": t, "pattern": p, "theta": theta, "loss": val,
                        "kkt_residual": resid}
    if best is None:  # pragma: no cover - a convex coercive loss always has a KKT point
        raise InvalidParameterError("toy_minimizer found no KKT point; is U of full rank?")
    return best


def coefficient_of_variation(U, S, *, positive_mean=False):
    r""":math:`r(S) = \sigma(S)/\mu(S)`: standard deviation over mean of the logits
    :math:`t = US` (population moments, B3/B5); scale invariant. ``S`` of shape (d,) gives
    a float, (d, k) an array over the k columns; with ``positive_mean`` directions whose
    mean logit is not positive give NaN."""
    t = np.asarray(U, dtype=float) @ np.asarray(S, dtype=float)
    mean, std = t.mean(axis=0), t.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(mean > 0, std / mean, np.nan) if positive_mean else std / mean
    return float(r) if np.ndim(r) == 0 else r


def _toy(b, size, caller):
    check_size(size, caller)
    U = TOY_U
    mins = {a: toy_minimizer(U, a, b) for a in TOY_TARGETS}
    S2, S6 = (mins[a]["S"] for a in TOY_TARGETS)
    cross = float(S2[0] * S6[1] - S2[1] * S6[0])
    phi = np.linspace(-math.pi, math.pi, 2001)
    r_phi = coefficient_of_variation(U, np.vstack([np.cos(phi), np.sin(phi)]),
                                     positive_mean=True)
    lim = 1.25 * max(float(np.abs(m["S"]).max()) for m in mins.values())
    grid = np.linspace(-lim, lim, 161)
    G = np.stack(np.meshgrid(grid, grid), axis=-1)
    return {"settings": {"U": U, "targets": TOY_TARGETS, "b": float(b), "N": U.shape[0],
                         "d": U.shape[1],
                         "loss": "(1/N) sum_i (t_i - a)^2 + b max(0, -t_i)"},
            "minimizers": {a: m["S"] for a, m in mins.items()},
            "logits": {a: m["logits"] for a, m in mins.items()},
            "patterns": {a: m["pattern"] for a, m in mins.items()},
            "theta": {a: m["theta"] for a, m in mins.items()},
            "min_loss": {a: m["loss"] for a, m in mins.items()},
            "kkt_residual": max(m["kkt_residual"] for m in mins.values()),
            "r": {a: coefficient_of_variation(U, m["S"]) for a, m in mins.items()},
            "cross": cross,
            "sin_angle": cross / float(np.linalg.norm(S2) * np.linalg.norm(S6)),
            "phi": phi, "r_phi": r_phi, "grid": grid,
            "loss_grid": {a: toy_loss(U, G, a, b) for a in TOY_TARGETS}}


def _by_target(mapping, a):
    """``mapping[a]``; after a JSON round trip the keys are strings."""
    return mapping[a] if a in mapping else mapping[str(a)]


def _draw_toy(data, number):
    plt = pyplot()
    s = data["settings"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    grid = np.asarray(data["grid"])
    mins = {float(a): np.asarray(S) for a, S in data["minimizers"].items()}
    cols = {a: f"C{j}" for j, a in enumerate(mins)}
    for ax, a in zip(axes[:2], mins):
        L = np.asarray(_by_target(data["loss_grid"], a))
        levels = np.quantile(L, np.linspace(0.0, 0.6, 14) ** 2)
        ax.contour(grid, grid, L, levels=np.unique(levels), cmap="Greys", linewidths=0.7)
        for a2, S in mins.items():
            ray = np.outer([0.0, 1.6 * grid[-1] / np.linalg.norm(S)], S)
            ax.plot(ray[:, 0], ray[:, 1], "--", color=cols[a2], lw=0.9)
            ax.plot(*S, "o" if a2 == a else "x", color=cols[a2], ms=8,
                    label=f"minimiser a={a2:g}: S=({S[0]:.3f}, {S[1]:.3f})")
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(grid[0], grid[-1])
        ax.set_aspect("equal")
        ax.set_xlabel("S_1 (weight on coordinate 1)")
        ax.set_ylabel("S_2 (weight on coordinate 2)")
        ax.set_title(f"contours of L(S), a={a:g}, b={s['b']:g}; dashed: rays of the minimisers",
                     fontsize=8)
        ax.legend(fontsize=7, loc="lower left")
    ax = axes[2]
    phi = np.degrees(np.asarray(data["phi"], dtype=float))
    r_phi = np.array([np.nan if v is None else v for v in data["r_phi"]], dtype=float)
    rs = [_by_target(data["r"], a) for a in mins]
    r_lo = float(np.nanmin(r_phi))
    top = r_lo + 2.5 * (max(rs) - r_lo) + 0.05 * r_lo   # zoom on the minimisers
    show = r_phi <= top
    ax.plot(phi[show], r_phi[show], "k-", lw=1.0, label="r along direction phi")
    ax.axhline(r_lo, color="grey", ls=":", lw=0.8, label=f"min_phi r = {r_lo:.4f}")
    for a, r in zip(mins, rs):
        S = mins[a]
        ax.plot(math.degrees(math.atan2(S[1], S[0])), r, "o", color=cols[a],
                label=f"minimiser a={a:g}: r={r:.4f}")
    ax.set_xlabel("direction phi of S = |S|(cos phi, sin phi)  (degrees)")
    ax.set_ylabel("coefficient of variation r = std(t)/mean(t)  (mean t > 0)")
    ax.set_title(f"sin(angle between minimisers) = {data['sin_angle']:.3g}", fontsize=9)
    ax.legend(fontsize=7)
    U = np.asarray(s["U"])
    pts = ", ".join(f"({u[0]:g}, {u[1]:g})" for u in U)
    fig.suptitle(f"Fig. {number} (B6): N={s['N']} toy, u_i = {pts}; loss (t-a)^2 + "
                 f"{s['b']:g} max(0,-t), a in {{{', '.join(f'{a:g}' for a in mins)}}}",
                 fontsize=9)
    fig.tight_layout()
    return fig


@figure("11", "B6 N=3 toy, loss (t-a)^2 (b=0): the minimisers for a=2 and a=6 are "
              "colinear and share the minimal coefficient of variation r", claims=("B6",))
def fig11(size: str = "default") -> dict:
    r"""Data of Fig. 11 (:math:`b = 0`). Returns ``minimizers``, ``logits``, ``patterns``,
    ``theta``, ``min_loss`` and ``r`` (each keyed by the target ``a``), ``kkt_residual``,
    ``cross`` (:math:`S(2)\times S(6)`), ``sin_angle``, the curve ``phi``/``r_phi``, the
    contour data ``grid``/``loss_grid`` and the settings (``size`` does not matter: the
    toy is exact and instantaneous)."""
    return _toy(0.0, size, "fig11")


@fig11.drawer
def _draw_fig11(data):
    return _draw_toy(data, 11)


@figure("12", "B6 N=3 toy, loss (t-a)^2 + 6 max(0,-t): the kink breaks the colinearity "
              "of the minimisers for a=2 and a=6", claims=("B6",))
def fig12(size: str = "default") -> dict:
    r"""Data of Fig. 12 (:math:`b = 6`); same keys as :func:`fig11`."""
    return _toy(6.0, size, "fig12")


@fig12.drawer
def _draw_fig12(data):
    return _draw_toy(data, 12)
