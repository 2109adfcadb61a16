r"""Claim B13 (numeric half): weight decay is not logit regularisation (App. E.4, Fig. 18;
docs/theory.md §2).

Weight decay :math:`\sum_i\log(1+e^{-t_i}) + \frac\gamma2\|S\|^2` penalises the isotropic
norm, so it is not equivariant: rescaling the orthogonal noise of the *same* draw changes
its predictions and its accuracy, whereas the logit-regularised minimiser's accuracy is
unchanged (B9). The symbolic half (Tikhonov identity) lives in ``proofs_check``. The check
returns its curves as ``data["B13_weight_decay"]`` (:func:`b13_figure_data`, also Fig. 18).
"""

from __future__ import annotations

import numpy as np

from core.claims import CheckResult, register

from numerics.models.accuracy import gaussian_accuracy, isotropic_accuracy
from numerics.models.signal_noise import binary_signal_noise
from numerics.solve.binary import minimize_binary
from numerics.solve.weight_decay import minimize_weight_decay
from numerics.claims._common import seeds

__all__ = ["SIZES", "MODEL", "GAMMA", "ALPHA", "REGULARIZER", "SEED", "accuracy_vs_sigma_n",
           "b13_figure_data", "check_b13_numeric"]

_SIGMA_NS = [0.25, 0.5, 1.0, 2.0, 4.0]
#: Sizes of claim B13 (check: "default", ``--full``: "full"; Fig. 18 also "test"): the
#: draw (n, d), the orthogonal noise levels it is rescaled to and ``n_seeds`` draws.
SIZES = {
    "test": dict(n=60, d=42, sigma_ns=[0.1, 0.3, 1.0, 2.0, 4.0, 8.0], n_seeds=2),
    "default": dict(n=200, d=140, sigma_ns=_SIGMA_NS, n_seeds=2),
    "full": dict(n=2000, d=1400, sigma_ns=_SIGMA_NS, n_seeds=3),
}
#: Model, weight decay gamma and logit-regulariser strength of B13; base seed.
MODEL = dict(mu_f=1.0, sigma_f=0.5)
GAMMA, ALPHA, REGULARIZER = 0.2, 0.2, "quadratic"
SEED = 5


def accuracy_vs_sigma_n(n, d, sigma_ns, *, gamma=GAMMA, alpha=ALPHA, sigma_f=0.5, n_seeds=2,
                        seed=0):
    """Mean exact Gaussian accuracy of weight decay and of logit regularisation over the
    same draws rescaled in sigma_n (common random numbers)."""
    wd = np.zeros(len(sigma_ns))
    lr = np.zeros(len(sigma_ns))
    for s in seeds(seed, n_seeds):
        base = binary_signal_noise(n, d, sigma_f=sigma_f, sigma_n=1.0, seed=s)
        for j, sn in enumerate(sigma_ns):
            ds = base.rescaled(sigma_n=sn)
            kw = dict(mu_f=1.0, sigma_f=sigma_f, sigma_n=sn)
            wd[j] += gaussian_accuracy(minimize_weight_decay(ds.u, gamma).coef, **kw) / n_seeds
            lr[j] += gaussian_accuracy(minimize_binary(ds.u, REGULARIZER, alpha).coef,
                                       **kw) / n_seeds
    return wd, lr


def b13_figure_data(size: str) -> dict:
    r"""The B13 curves at ``SIZES[size]`` (``data["B13_weight_decay"]``, Fig. 18):
    ``sigma_ns``, ``weight_decay`` and ``logit_reg`` (mean exact accuracy over ``n_seeds``
    draws, each rescaled to every :math:`\sigma_n`), ``bayes``
    (:math:`\Phi(\mu_f/\sigma_f)`, the :math:`\sigma_n \to 0` limit of weight decay and an
    upper bound for every classifier) and the settings."""
    s = dict(SIZES[size])
    wd, lr = accuracy_vs_sigma_n(s["n"], s["d"], s["sigma_ns"], gamma=GAMMA, alpha=ALPHA,
                                 sigma_f=MODEL["sigma_f"], n_seeds=s["n_seeds"], seed=SEED)
    s.update(seed=SEED, gamma=GAMMA, alpha=ALPHA, regularizer=REGULARIZER, **MODEL)
    return {"settings": s, "sigma_ns": np.asarray(s["sigma_ns"]), "weight_decay": wd,
            "logit_reg": lr,
            "bayes": isotropic_accuracy(1.0, MODEL["mu_f"] / MODEL["sigma_f"])}


@register("B13", "weight decay accuracy depends on sigma_n; logit regularisation's does not")
def check_b13_numeric(full: bool = False) -> CheckResult:
    r"""Claim B13 (numeric) at :data:`SIZES` ``"default"`` (``full``: ``"full"``);
    ``data["B13_weight_decay"]``: :func:`b13_figure_data`."""
    data = b13_figure_data("full" if full else "default")
    wd, lr = data["weight_decay"], data["logit_reg"]
    ev = {"weight decay accuracy range": float(wd.max() - wd.min()),
          "logit-regularised accuracy range": float(lr.max() - lr.min()),
          "weight decay accuracy at sigma_n=0.25": float(wd[0]),
          "weight decay accuracy at sigma_n=4": float(wd[-1]),
          "logit-regularised accuracy": float(lr.mean())}
    # Same draws rescaled: logit regularisation is flat to solver precision (B9), weight
    # decay must move by more than 0.01 in accuracy for the contrast to be real.
    passed = ev["logit-regularised accuracy range"] < 1e-6 and ev["weight decay accuracy range"] > 0.01
    return CheckResult("B13", "weight decay is sigma_n-dependent (contrast)", ev,
                       "logit-regularised range < 1e-6 (solver precision); WD range > 0.01",
                       passed, data={"B13_weight_decay": data})
