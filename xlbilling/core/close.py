"""The monthly close: due items on the invoice date become draft invoices (spec section 3, `close`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .due import due_items
from .items import Billed, Item
from .invoicing import Draft, build_drafts
from .models import Book


def default_through(invoice_date: date) -> date:
    """The usage cutoff: the last day of the month before the invoice date's month."""
    return invoice_date.replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class CloseResult:
    invoice_date: date
    through: date
    drafts: list[Draft]
    capped: dict[str, Decimal]  # contract -> amount left unbilled by its not-to-exceed

    @property
    def total(self) -> Decimal:
        return sum((d.total for d in self.drafts), Decimal("0.00"))


def close(book: Book, invoice_date: date, through: date | None = None, billed: Billed | None = None,
          excluded: frozenset[str] = frozenset(), recurring: list[Item] | None = None) -> CloseResult:
    """Draft invoices for everything due (`recurring`: the recurring items due, if already worked out)."""
    through = through or default_through(invoice_date)
    items, capped = due_items(book, invoice_date, through, billed or Billed(), excluded, recurring)
    return CloseResult(invoice_date, through, build_drafts(book, items, invoice_date), capped)
