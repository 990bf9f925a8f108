"""Audit rules on seats: a recurring line billing a quantity other than the vendor's latest count for
its customer and SKU, and a vendor count that no recurring line bills (core/seats.py reconciles them)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..core.findings import WARNING, Finding, show
from ..core.rules import Say, Subject, rule
from ..core.seats import NOT_BILLED, OVER, UNDER
from .base import AuditContext

PERIOD_WORDS = {"monthly": "month", "quarterly": "quarter", "semiannual": "half-year", "annual": "year"}


def _qty(n: Decimal | None) -> str:
    if n is None:
        return "none"
    return f"{n.normalize():f}"


@rule("SEAT_COUNT_MISMATCH", WARNING,
      what="a recurring line's quantity differs from the latest VendorCounts quantity for its customer and "
           "vendor_sku; amount at stake = difference × unit price (a shortfall billed is revenue lost; an excess "
           "billed is a dispute waiting)",
      action="end the line the day before the change and add a line with the vendor's quantity from that day; or "
             "type approve with a note if the difference is agreed")
def seat_mismatch(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for s in ctx.seats:
        if s.status not in (UNDER, OVER) or s.line is None or s.vendor_row is None or s.difference is None:
            continue
        gap, per_period = abs(s.difference), abs(s.per_period or Decimal(0))
        vendor = s.vendor_row.vendor or "the vendor"
        period = PERIOD_WORDS[s.contract.billing_frequency] if s.contract else "period"
        if s.status == UNDER:
            stake = f"{_qty(gap)} seat(s) not billed: {per_period:,.2f} a {period} of revenue lost"
        else:
            stake = f"{_qty(gap)} seat(s) billed beyond the count: {per_period:,.2f} a {period} a customer may dispute"
        yield say(s.line, "quantity",
                  f"line {s.line.line_id} bills customer {s.customer_id} for {_qty(s.billed)} of {s.vendor_sku}; "
                  f"{vendor} counted {_qty(s.counted)} on {s.vendor_row.as_of}: {stake}",
                  Subject(f"seats:{s.customer_id}:{s.vendor_sku.lower()}:{_qty(s.billed)}:{_qty(s.counted)}",
                          s.customer_id, s.line.contract_id),
                  f"{_qty(s.billed)} billed", f"{_qty(s.counted)} ({vendor}, {s.vendor_row.as_of}, "
                  f"{ctx.book.cell(s.vendor_row, 'quantity')})", per_period)


@rule("VENDOR_COUNT_UNMATCHED", WARNING,
      what="a VendorCounts row with no recurring line of that customer and SKU (the customer has seats nobody bills)",
      action="add a contract line with this Vendor SKU to bill the seats; or type approve with a note if they are "
             "billed another way")
def count_unmatched(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for s in ctx.seats:
        if s.status != NOT_BILLED or s.vendor_row is None or not s.vendor_row.quantity:
            continue
        vendor = s.vendor_row.vendor or "the vendor"
        yield say(s.vendor_row, "vendor_sku",
                  f"{vendor} counts {_qty(s.vendor_row.quantity)} of {s.vendor_sku} for customer {s.customer_id} on "
                  f"{s.vendor_row.as_of}, and no recurring line of the customer bills that SKU",
                  Subject(f"unbilled-seats:{s.customer_id}:{s.vendor_sku.lower()}", s.customer_id),
                  show(s.vendor_row.vendor_sku), "a contract line with this Vendor SKU")


SEAT_RULES = (seat_mismatch, count_unmatched)
