"""What is due on an invoice date: recurring periods, time, overage, milestones and charges (spec section 3).

Each due item knows its stable source key, so an item already on a posted invoice is never billed
again. Work grows linearly with rows: records are grouped by contract once, never searched per entry;
time is billed from the Timesheets columns (time_billing).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from collections.abc import Iterable

from .items import Billed, Item
from .models import Book, Charge, Contract, ContractLine
from .money import round_cents
from .periods import Period, escalated, periods_between, prorate, whole_years
from .time_billing import time_items

ORDER = {"recurring": 0, "milestone": 1, "time": 2, "overage": 3, "included": 4, "charge": 5}
CHARGE_TAX = {"hardware": "hardware", "software": "software"}


_iso = lru_cache(maxsize=4096)(date.isoformat)  # period starts repeat across lines and contracts


RECURRING_KEY = "recurring:{}:{}".format  # a recurring item's key from its line ID and covered start (ISO)


def recurring_key(line_id: str, covered_start: date) -> str:
    return RECURRING_KEY(line_id, _iso(covered_start))


def recurring_key_parts(key: str) -> tuple[str, str] | None:
    """The line ID and the covered start (ISO) of a recurring item's key; None for another kind of item."""
    return (key[len("recurring:"):-11], key[-10:]) if key.startswith("recurring:") else None


def line_window(line: ContractLine, contract: Contract) -> tuple[date, date | None]:
    """The days a contract line bills: its own dates within the contract's (None: no end)."""
    start = max(line.start_date or contract.start_date, contract.start_date)
    ends = [d for d in (line.end_date, contract.end_date) if d]
    return start, min(ends) if ends else None


def recurring_items(book: Book, contract: Contract, lines: Iterable[ContractLine], invoice_date: date,
                    through: date, billed: Billed, billed_through: date | None = None) -> list[Item]:
    items = []
    advance = contract.billing_timing == "advance"
    horizon = invoice_date if advance else through
    years: dict[date, int] = {}  # contract years by period start, shared by the contract's lines
    grids: dict[tuple[date, date], list[Period]] = {}  # the periods of a span, shared by lines billing alike
    for line in lines:
        start, end = line_window(line, contract)
        if billed_through and billed_through >= start:
            start = billed_through + timedelta(days=1)
        last = min(end, horizon) if end else horizon
        pricing = _LinePricing(book, contract, line, years)
        periods = grids.get((start, last))
        if periods is None:
            periods = grids[start, last] = list(periods_between(contract.start_date, contract.billing_frequency,
                                                                start, last))
        for period in periods:
            cover = period if start <= period.start and (end is None or period.end <= end) else \
                Period(max(period.start, start), min(period.end, end) if end else period.end)
            if cover.start > cover.end:
                continue
            due = cover.start <= invoice_date if advance else cover.end <= through
            key = recurring_key(line.line_id, cover.start)
            if due and key not in billed.keys:
                items.append(pricing.item(period, cover, key))
    return items


class _LinePricing:
    """One contract line's periods priced: escalation per contract year, proration per period."""

    def __init__(self, book: Book, contract: Contract, line: ContractLine, years: dict[date, int]):
        self.contract, self.line = contract, line
        self.where = book.cell(line, "unit_price")
        self._years = years
        self._full: dict[int, tuple[Decimal, Decimal]] = {}  # contract year -> (price, amount for a full period)

    def item(self, period: Period, cover: Period, key: str) -> Item:
        c, line = self.contract, self.line
        years = self._years.get(cover.start)
        if years is None:
            years = self._years[cover.start] = whole_years(c.start_date, cover.start)
        if years not in self._full:
            price = escalated(line.unit_price, c.escalation_pct, years)
            self._full[years] = (price, round_cents(line.quantity * price))
        price, full = self._full[years]
        amount = full if c.proration == "none" or cover is period else prorate(full, cover.days, period.days)
        return Item(key, "recurring", line.line_id, c.customer_id, c.contract_id, line.description, cover.start,
                    cover.end, line.quantity, price, amount, line.tax_category or "services", c.po_number, self.where,
                    (), line.revenue_account)


def charge_item(book: Book, charge: Charge, contract: Contract | None) -> Item:
    category = charge.tax_category or CHARGE_TAX.get(charge.kind, "services")
    po = charge.po_number or (contract.po_number if contract else None)
    return Item(f"charge:{charge.charge_id}", "charge", charge.charge_id, charge.customer_id, charge.contract_id,
                charge.description, charge.date, charge.date, charge.quantity, charge.unit_price,
                round_cents(charge.quantity * charge.unit_price), category, po, book.cell(charge, "unit_price"))


def due_items(book: Book, invoice_date: date, through: date, billed: Billed,
              excluded: frozenset[str] = frozenset(),
              recurring: list[Item] | None = None) -> tuple[list[Item], dict[str, Decimal]]:
    """Every item due on the invoice date and not yet billed, in a defined order; plus cap shortfalls per contract.
    (`recurring`: the recurring items due, when already worked out for the same date, cutoff and `billed`.)"""
    contracts = {c.contract_id: c for c in book.contracts}
    active = {k: c for k, c in contracts.items() if c.status == "active"}
    if recurring is None:
        lines_by: dict[str, list[ContractLine]] = defaultdict(list)
        for line in book.lines:
            lines_by[line.contract_id].append(line)
        recurring = [item for cid, contract in active.items()
                     for item in recurring_items(book, contract, lines_by.get(cid, ()), invoice_date, through,
                                                 billed, contract.billed_through)]
    items = list(recurring)
    time, capped = time_items(book, active, through, billed, excluded)
    items += time
    for m in book.milestones:
        key = f"milestone:{m.milestone_id}"
        c = active.get(m.contract_id)
        if c and m.completed_date and m.completed_date <= through and key not in billed.keys:
            items.append(Item(key, "milestone", m.milestone_id, c.customer_id, c.contract_id, m.description,
                              m.completed_date, m.completed_date, Decimal(1), m.amount, m.amount, "services",
                              c.po_number, book.cell(m, "amount")))
    for ch in book.charges:
        contract = contracts.get(ch.contract_id) if ch.contract_id else None
        if contract is not None and contract.status != "active":
            continue
        if ch.date <= through and not ch.invoice_number and f"charge:{ch.charge_id}" not in billed.keys:
            items.append(charge_item(book, ch, contract))
    if excluded:  # items staff chose to leave out (resolution "exclude" on a discrepancy)
        items = [i for i in items if i.key not in excluded]
    items.sort(key=lambda i: (i.customer_id, i.contract_id or "", ORDER[i.source_type], i.service_start, i.key))
    return items, capped
