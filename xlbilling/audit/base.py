"""What every audit rule sees, and how a rule states a finding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

import numpy as np

from ..core.close import CloseResult
from ..core.items import Billed, RateBook
from ..core.findings import ERROR, INFO, WARNING, Finding
from ..core.money import round_cents
from ..core.models import Book, Contract, Customer, InvoiceLineRow, RegisterRow, TimeEntry
from ..core.posting import posted
from ..core.time_billing import EntryContracts, entry_contracts

SEVERITY = {
    "TIME_NO_CONTRACT": ERROR, "TIME_CUSTOMER_MISMATCH": ERROR, "TIME_OUTSIDE_CONTRACT": ERROR,
    "TIME_NO_RATE": ERROR, "TIME_DUPLICATE": ERROR, "TIME_EXCESSIVE_DAY": ERROR, "TIME_NONPOSITIVE": ERROR,
    "TIME_UNAPPROVED": WARNING, "TIME_FUTURE": WARNING, "CAP_EXCEEDED": WARNING, "PO_MISSING": ERROR,
    "PO_EXCEEDED": ERROR, "CONTRACT_ON_HOLD": WARNING, "CONTRACT_EXPIRING": INFO, "CHARGE_BELOW_COST": WARNING,
    "TAX_NO_RATE": ERROR, "TAX_EXEMPTION_EXPIRED": ERROR, "AMOUNT_CHANGE": WARNING, "PAYMENT_UNMATCHED": ERROR,
    "PAYMENT_SHORT": WARNING, "CUSTOMER_NO_EMAIL": WARNING, "POSTED_INVOICE_CHANGED": ERROR,
    "MISSED_BILLING": WARNING,  # beyond the spec: a period that should have been billed earlier
    "INVOICE_NUMBER_UNKNOWN": WARNING,  # beyond the spec: an invoice number xlbilling never posted, typed in
}
UNPRICEABLE = frozenset({"TIME_NO_RATE", "TIME_NONPOSITIVE"})  # `approve` cannot bill these: only exclude releases
ACTION = {
    "TIME_NO_CONTRACT": "put the right contract on the entry, or mark it not billable",
    "TIME_CUSTOMER_MISMATCH": "correct the entry's customer or contract",
    "TIME_OUTSIDE_CONTRACT": "correct the date or contract, or extend the contract's dates",
    "TIME_NO_RATE": "add a RateCard row for this work type or correct the work type; or type exclude to bill the "
                    "rest without this entry (approve cannot bill an entry that has no price)",
    "TIME_DUPLICATE": "delete the duplicate entry, or approve if the work was really done twice",
    "TIME_EXCESSIVE_DAY": "check the technician's hours for that day",
    "TIME_NONPOSITIVE": "correct the hours; or type exclude to bill the rest without this entry (approve cannot "
                        "bill hours of 0 or less)",
    "TIME_UNAPPROVED": "have the entry approved to bill it next close",
    "TIME_FUTURE": "check the date; it is billed once it is due",
    "CAP_EXCEEDED": "raise the not-to-exceed amount with the customer, or write the rest off",
    "PO_MISSING": "get a PO number from the customer and add it",
    "PO_EXCEEDED": "ask the customer for a new or larger PO",
    "CONTRACT_ON_HOLD": "take the contract off hold to bill it",
    "CONTRACT_EXPIRING": "start the renewal conversation",
    "CHARGE_BELOW_COST": "check the price; approve if the discount is intended",
    "TAX_NO_RATE": "add a TaxRates row for the jurisdiction and category",
    "TAX_EXEMPTION_EXPIRED": "get a renewed exemption certificate, or clear Tax Exempt",
    "AMOUNT_CHANGE": "record the change on the Amendments sheet, or correct the contract lines",
    "PAYMENT_UNMATCHED": "correct the payment's customer or invoice number",
    "PAYMENT_SHORT": "follow up on the short payment",
    "CUSTOMER_NO_EMAIL": "add the customer's billing email",
    "POSTED_INVOICE_CHANGED": "restore the invoice from the backup; correct it with a credit memo",
    "MISSED_BILLING": "check why this period was not billed on time",
    "INVOICE_NUMBER_UNKNOWN": "clear the Invoice Number cells to bill the items here, or leave them if another "
                              "system billed them",
}


@dataclass
class LedgerContext:
    """What the rules on money already invoiced see: the book and its posted invoices."""

    book: Book

    @cached_property
    def _posted(self) -> tuple[list[RegisterRow], list[InvoiceLineRow]]:
        headers, lines = posted(self.book)
        return headers, [ln for h in headers for ln in lines.get(h.invoice_number, ())]

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
        active = np.array([c is not None and c.status == "active" for c in on.deals], dtype=bool)
        return (self.open & table.approved.per_entry(bool, bool) & (table.day <= self.through.toordinal())
                & on.known & on.same_customer & on.in_dates & active[on.code])

    @cached_property
    def on_contracts(self) -> EntryContracts:
        """Each entry against its contract (known, same customer, within its dates)."""
        return entry_contracts(self.book.time_entries, self.contracts)

    def entries(self, mask: np.ndarray) -> list[TimeEntry]:
        return self.book.time_entries.entries(np.flatnonzero(mask).tolist())

    def at_stake(self, e: TimeEntry) -> Decimal | None:
        rate = self.rates.rate(e.contract_id, e.work_type, e.date)
        return None if rate is None else round_cents(e.hours * rate)


class Subject(NamedTuple):
    key: str
    customer_id: str | None = None
    contract_id: str | None = None


def finding(ctx: LedgerContext, code: str, record, fld: str | None, message: str, subject: Subject,
            found: str = "", expected: str = "", amount: Decimal | None = None,
            targets: tuple[str, ...] = ()) -> Finding:
    where = ctx.book.cell(record, fld) if record is not None else "InvoiceRegister"
    return Finding(code, SEVERITY[code], where, message, found, expected, amount, subject.key, subject.customer_id,
                   subject.contract_id, ACTION[code], targets)
