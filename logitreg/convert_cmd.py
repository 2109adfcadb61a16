r"""``logitreg convert VALUE --from NAME --to NAME [--classes K]``: a regularisation strength
in another parameterisation (docs/theory.md §8; :func:`numerics.export.convert`).

Names: ``alpha`` (ours), ``torch_eps``, ``optax_eps``, ``timm_eps`` (all = alpha),
``eps_k_minus_1`` (eps/(K-1) off-target mass: alpha = eps K/(K-1), needs ``--classes``),
``maxsup_lambda``, ``confidence_beta`` (alpha = lam/(1+lam); their loss is (1+lam) x ours),
``flip_probability`` (binary, alpha = 2p).
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("convert", help="convert a strength between alpha, PyTorch/optax/timm "
                                       "eps, eps/(K-1), MaxSup lambda, binary flip p")
    p.add_argument("value", type=float)
    p.add_argument("--from", dest="source", required=True)
    p.add_argument("--to", dest="target", default="alpha")
    p.add_argument("--classes", type=int, help="K (needed by eps_k_minus_1)")
    return p


def run(args) -> int:
    from numerics.export import convert

    print(repr(convert(args.value, args.source, args.target, classes=args.classes)))
    return 0
