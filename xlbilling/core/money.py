"""Money: exact Decimal amounts and the one rounding function (half-up to cents)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_cents(amount: Decimal) -> Decimal:
    """Round half-up to cents. The only rounding of money in xlbilling; call it where the spec says."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__} {amount!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
