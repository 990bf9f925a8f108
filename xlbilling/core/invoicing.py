"""Draft invoices from due items: grouping, per-rate tax, payment terms and stable draft IDs (spec section 3)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Iterable

from .items import Item
from .models import Book, Customer, TaxRate
from .money import ZERO, round_cents
from .terms import Terms


class Line(NamedTuple):
    line_no: int
    item: Item
    tax_rate: Decimal | None  # None: no rate found (TAX_NO_RATE)


class Draft(NamedTuple):
    draft_id: str
    customer_id: str
    contract_id: str | None  # set when the customer is invoiced per contract
    po_number: str | None
    invoice_date: date
    due_date: date
    terms: Terms
    lines: tuple[Line, ...]
    subtotal: Decimal
    tax: Decimal
    holds: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    @property
    def status(self) -> str:
        return "on_hold" if self.holds else "draft"

    @property
    def discount(self) -> tuple[date, Decimal] | None:
        """Early-pay discount date and amount, for terms such as 2/10 NET 30."""
        day = self.terms.discount_date(self.invoice_date)
        if self.terms.discount_pct is None or day is None:
            return None
        return day, round_cents(self.total * self.terms.discount_pct)


class TaxTable:
    def __init__(self, rates: Iterable[TaxRate]):
        self._by: dict[tuple[str, str], list[TaxRate]] = defaultdict(list)
        for r in rates:
            self._by[(r.jurisdiction.strip().lower(), r.tax_category.strip().lower())].append(r)

        self._seen: dict[tuple, Decimal | None] = {}

    def rate(self, jurisdiction: str | None, category: str, day: date) -> Decimal | None:
        """The rate in effect on the day (looked up once per jurisdiction, category and day)."""
        key = (jurisdiction, category, day)
        if key not in self._seen:
            self._seen[key] = self._lookup(jurisdiction, category, day)
        return self._seen[key]

    def _lookup(self, jurisdiction: str | None, category: str, day: date) -> Decimal | None:
        if not jurisdiction:
            return None
        found = [r for r in self._by.get((jurisdiction.strip().lower(), category.strip().lower()), ())
                 if r.effective_from is None or r.effective_from <= day]
        if not found:
            return None
        return max(found, key=lambda r: (r.effective_from or date.min, r.row)).rate


def exempt(customer: Customer, day: date) -> bool:
    """Tax-exempt on the day (an expired exemption is TAX_EXEMPTION_EXPIRED: taxed, and flagged)."""
    return customer.tax_exempt and (customer.exemption_expiry is None or customer.exemption_expiry >= day)


def tax_of(lines: Iterable[Line]) -> Decimal:
    """For each rate: round_half_up(sum of the line amounts at that rate × rate)."""
    by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.tax_rate:
            by_rate[line.tax_rate] += line.item.amount
    return sum((round_cents(amount * rate) for rate, amount in sorted(by_rate.items())), ZERO)


def group_key(item: Item, customer: Customer) -> tuple[str, str | None, str | None]:
    contract = item.contract_id if customer.invoice_grouping == "contract" else None
    po = item.po_number if customer.po_required else None
    return customer.customer_id, contract, po


def draft_id(key: tuple[str, str | None, str | None]) -> str:
    customer, contract, po = key
    po_part = po and (po if po.upper().startswith("PO") else f"PO{po}")  # PO-7781 stays PO-7781, never POPO-7781
    return "D-" + "-".join(p for p in (customer, contract, po_part) if p)


def build_drafts(book: Book, items: list[Item], invoice_date: date) -> list[Draft]:
    customers = {c.customer_id: c for c in book.customers}
    taxes = TaxTable(book.tax_rates)
    groups: dict[tuple, list[Item]] = defaultdict(list)
    for item in items:
        groups[group_key(item, customers[item.customer_id])].append(item)
    drafts = []
    for key in sorted(groups, key=lambda k: (k[0], k[1] or "", k[2] or "")):
        customer = customers[key[0]]
        free = exempt(customer, invoice_date)
        lines = tuple(
            Line(n, item, ZERO if free else taxes.rate(customer.tax_jurisdiction, item.tax_category, invoice_date))
            for n, item in enumerate(groups[key], start=1))
        terms = customer.payment_terms or book.settings.default_payment_terms
        subtotal = sum((line.item.amount for line in lines), ZERO)
        drafts.append(Draft(draft_id(key), customer.customer_id, key[1], key[2], invoice_date,
                            terms.due_date(invoice_date), terms, lines, subtotal, tax_of(lines)))
    return drafts
