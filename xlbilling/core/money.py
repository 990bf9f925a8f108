"""Money: exact Decimal amounts and the one place that rounds (half-up, to cents or a given step)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_DIGITS = 60
_WIDE = Context(prec=_DIGITS)  # digits enough for any everyday amount, without switching contexts


def round_cents(amount: Decimal) -> Decimal:
    """Round half-up to cents. The only rounding of money in xlbilling; call it where the spec says."""
    return round_to(amount, CENT)


def round_to(value: Decimal, step: Decimal) -> Decimal:
    """Round half-up to a step such as 0.1 or 0.0001 (hours, ratios, KPIs): the one rounding mode used."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(value).__name__} {value!r}")
    digits = value.adjusted() - step.adjusted() + 2
    if digits <= _DIGITS:
        return value.quantize(step, rounding=ROUND_HALF_UP, context=_WIDE)
    with localcontext() as ctx:  # enough digits for any amount, however large escalation has made it
        ctx.prec = max(ctx.prec, digits)
        return value.quantize(step, rounding=ROUND_HALF_UP)
