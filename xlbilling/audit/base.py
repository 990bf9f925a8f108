"""What every audit rule sees: the book and its posted invoices, and for the pre-invoice rules the close."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

import numpy as np

from ..core.close import CloseResult
from ..core.items import Billed, Item, RateBook
from ..core.money import round_cents
from ..core.models import Book, Contract, Customer, InvoiceLineRow, RegisterRow, TimeEntry, number
from ..core.posting import posted
from ..core.seats import Seat, reconcile
from ..core.time_billing import EntryContracts, entry_contracts


@dataclass
class LedgerContext:
    """What the rules on money already invoiced see: the book and its posted invoices."""

    book: Book
    # invoice numbers this run posted: their fingerprints were made from these very lines a moment ago
    just_posted: frozenset[str] = field(default=frozenset(), kw_only=True)

    @cached_property
    def _posted(self) -> tuple[list[RegisterRow], list[InvoiceLineRow]]:
        headers, lines = posted(self.book)
        return headers, [ln for h in headers for ln in lines.get(number(h), ())]

    @property
    def posted_headers(self) -> list[RegisterRow]:
        return self._posted[0]

    @property
    def posted_lines(self) -> list[InvoiceLineRow]:
        return self._posted[1]

    @cached_property
    def customers(self) -> dict[str, Customer]:
        return {c.customer_id: c for c in self.book.customers}


@dataclass
class AuditContext(LedgerContext):
    """What the pre-invoice rules see besides: the close they audit."""

    invoice_date: date
    through: date
    billed: Billed
    result: CloseResult

    @cached_property
    def contracts(self) -> dict[str, Contract]:
        return {c.contract_id: c for c in self.book.contracts}

    def contract_for(self, record: TimeEntry | Item) -> Contract:
        """The contract of an entry or item known to be on one."""
        return self.contracts[record.contract_id or ""]

    @cached_property
    def seats(self) -> list[Seat]:
        """Seat reconciliation on the invoice date."""
        return reconcile(self.book, self.invoice_date)

    @cached_property
    def rates(self) -> RateBook:
        return RateBook(self.book.rates)

    @cached_property
    def open(self) -> np.ndarray:
        """A mask of the billable entries not yet on a posted invoice: what the time rules look at."""
        return self.book.time_entries.open_mask(self.billed.entries)

    @cached_property
    def due(self) -> np.ndarray:
        """A mask of the entries this close would bill but for their own faults: approved, billable, open,
        up to the cutoff, on an active contract of their customer that covers their date."""
        table, on = self.book.time_entries, self.on_contracts
        active = np.array([c is not None and c.status == "active" for c in on.contract_of], dtype=bool)
        return (self.open & table.approved.per_entry(bool, bool) & (table.day <= self.through.toordinal())
                & on.known & on.same_customer & on.in_dates & active[on.code])

    @cached_property
    def on_contracts(self) -> EntryContracts:
        """Each entry against its contract (known, same customer, within its dates)."""
        return entry_contracts(self.book.time_entries, self.contracts)

    def entries(self, mask: np.ndarray) -> list[TimeEntry]:
        return self.book.time_entries.entries(np.flatnonzero(mask))

    def at_stake(self, e: TimeEntry) -> Decimal | None:
        rate = self.rates.rate(e.contract_id, e.work_type, e.date)
        return None if rate is None else round_cents(e.hours * rate)
