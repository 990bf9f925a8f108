"""BillingSchedule: the next 12 months of recurring billing per contract line, as it will be billed
(escalation and proration included). ContractStatus: where each contract stands."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Iterable

import numpy as np

from .close import default_through
from .due import recurring_items
from .items import Billed, Item
from .models import Book, ContractLine, InvoiceLineRow, RegisterRow
from .money import ZERO
from .periods import Period, add_months, period_of
from .tabs import DATE, INT, MONEY, NUMBER, TEXT, Column, Tab


class Scheduled(NamedTuple):
    bill_on: date  # the first invoice date it is due on
    item: Item


def _lines_by_contract(book: Book) -> dict[str, list[ContractLine]]:
    by: dict[str, list[ContractLine]] = defaultdict(list)
    for line in book.lines:
        by[line.contract_id].append(line)
    return by


class Outlook(NamedTuple):
    """The recurring billing of the active contracts as seen on an invoice date."""

    due: list[Item]  # due on the invoice date: what its close bills
    schedule: list[Scheduled]  # due later, through the months ahead (contract by contract: billing_schedule sorts)


def recurring_outlook(book: Book, invoice_date: date, billed: Billed | None = None, through: date | None = None,
                      months: int = 12) -> Outlook:
    """Recurring items due on the invoice date (usage through `through`), and those that come due after
    it through the `months` calendar months after its month. Items posted invoices hold (`billed`) are
    in neither. The close takes the first from here rather than working the periods out twice."""
    horizon = add_months(invoice_date, months + 1) - timedelta(days=1)  # through the last of the months
    billed = billed if billed is not None else Billed()
    lines_by = _lines_by_contract(book)
    through = through or default_through(invoice_date)
    reach = max(horizon, through)
    due, out = [], []
    for c in book.contracts:
        if c.status != "active":
            continue
        advance = c.billing_timing == "advance"
        for item in recurring_items(book, c, lines_by.get(c.contract_id, ()), reach, reach, billed,
                                    c.billed_through):
            if item.service_start <= invoice_date if advance else item.service_end <= through:
                due.append(item)  # due now: the close on the invoice date bills it
                continue
            bill_on = item.service_start if advance else item.service_end + timedelta(days=1)
            if bill_on <= horizon:
                out.append(Scheduled(bill_on, item))
    return Outlook(due, out)


def billing_schedule(book: Book, invoice_date: date, billed: Billed | None = None, through: date | None = None,
                     months: int = 12) -> list[Scheduled]:
    """Recurring items that come due after the invoice date, through the `months` calendar months after
    its month, in bill-date order.

    What posted invoices hold (`billed`) and what is due on the invoice date itself, usage through
    `through`, are not scheduled: a close bills those now."""
    schedule = recurring_outlook(book, invoice_date, billed, through, months).schedule
    schedule.sort(key=lambda s: (s.bill_on, s.item.customer_id, s.item.contract_id or "", s.item.source_id))
    return schedule


def schedule_tab(schedule: Iterable[Scheduled], invoice_date: date, months: int = 12) -> Tab:
    """A grid: one row per contract line, the amount it will bill in each of the next months, and the total."""
    firsts = [add_months(invoice_date, k) for k in range(1, months + 1)]
    index = {(d.year, d.month): k for k, d in enumerate(firsts)}
    grid: dict[tuple[str, str, str], list] = {}
    descriptions: dict[str, str] = {}
    for s in schedule:
        k = index.get((s.bill_on.year, s.bill_on.month))
        if k is None:  # due later in the invoice date's own month: the next close bills it
            k = 0
        key = (s.item.customer_id, s.item.contract_id or "", s.item.source_id)
        row = grid.setdefault(key, [ZERO] * months)
        row[k] += s.item.amount
        descriptions[s.item.source_id] = s.item.description
    columns = (Column("Customer ID", TEXT, 12), Column("Contract ID", TEXT, 12), Column("Line ID", TEXT, 10),
               Column("Description", TEXT, 30),
               *(Column(f"{d:%b %Y}", MONEY, 11) for d in firsts), Column("Next 12 Months", MONEY, 14))
    rows = [(*key, descriptions[key[2]], *(a or None for a in amounts), sum(amounts, ZERO))
            for key, amounts in sorted(grid.items())]
    return Tab("BillingSchedule", columns, rows)


STATUS_COLUMNS = (
    Column("Contract ID", TEXT, 12), Column("Customer ID", TEXT, 12), Column("Name", TEXT, 28),
    Column("Type", TEXT, 18), Column("Status", TEXT, 10), Column("Start Date", DATE, 12), Column("End Date", DATE, 12),
    Column("Days To Expiry", INT, 10), Column("Billed To Date", MONEY, 14), Column("Next Bill On", DATE, 12),
    Column("Next Bill Amount", MONEY, 14), Column("PO Number", TEXT, 12), Column("PO Amount", MONEY, 12),
    Column("PO Remaining", MONEY, 13), Column("Not To Exceed", MONEY, 13), Column("Cap Remaining", MONEY, 13),
    Column("Included Hours", NUMBER, 10), Column("Hours Period Start", DATE, 12), Column("Hours Used", NUMBER, 10),
)


def contract_status_tab(book: Book, invoice_date: date, headers: Iterable[RegisterRow],
                        lines: Iterable[InvoiceLineRow], schedule: list[Scheduled]) -> Tab:
    """One row per contract: billed to date, next bill, PO and cap remaining, hours used, days to expiry."""
    posted = {h.invoice_number: h for h in headers if h.invoice_number}
    billed: dict[str, Decimal] = defaultdict(lambda: ZERO)  # pre-tax, which is what a PO caps
    time_billed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ln in lines:
        if ln.invoice_number not in posted or not ln.contract_id:
            continue
        billed[ln.contract_id] += ln.amount
        if ln.source_type in ("time", "overage"):
            time_billed[ln.contract_id] += ln.amount
    next_bill: dict[str | None, tuple[date, Decimal]] = {}  # the earliest bill date and all it bills (any order)
    for s in schedule:
        cid = s.item.contract_id
        now = next_bill.get(cid)
        if now is None or s.bill_on < now[0]:
            next_bill[cid] = (s.bill_on, s.item.amount)
        elif s.bill_on == now[0]:
            next_bill[cid] = (s.bill_on, now[1] + s.item.amount)
    # Hours used against included hours in the period holding the usage cutoff (the one just billed).
    cutoff = default_through(invoice_date)
    block = {c.contract_id: (c, period_of(c.start_date, c.billing_frequency, cutoff))
             for c in book.contracts if c.included_hours}
    hours = _hours_in(book, {cid: period for cid, (_, period) in block.items()})
    rows = []
    for c in book.contracts:
        nb = next_bill.get(c.contract_id)
        po_left = c.po_amount - billed[c.contract_id] if c.po_amount is not None else None
        cap_left = c.not_to_exceed - time_billed[c.contract_id] if c.not_to_exceed is not None else None
        rows.append((c.contract_id, c.customer_id, c.name, c.type, c.status, c.start_date, c.end_date,
                     (c.end_date - invoice_date).days if c.end_date else None, billed[c.contract_id],
                     nb[0] if nb else None, nb[1] if nb else None, c.po_number, c.po_amount, po_left,
                     c.not_to_exceed, cap_left, c.included_hours,
                     block[c.contract_id][1].start if c.included_hours else None,
                     hours.get(c.contract_id, ZERO) if c.included_hours else None))
    return Tab("ContractStatus", STATUS_COLUMNS, rows)


def _hours_in(book: Book, periods: dict[str, Period]) -> dict[str, Decimal]:
    """Approved billable hours per contract within the given period of each contract."""
    table = book.time_entries
    contract, contract_ids = table.contract_id.canonical()
    spans = [periods.get(cid) for cid in contract_ids]
    start = np.array([p.start.toordinal() if p else 1 for p in spans], dtype=np.int64)[contract]
    end = np.array([p.end.toordinal() if p else 0 for p in spans], dtype=np.int64)[contract]
    idx = np.flatnonzero(table.billable.per_entry(bool, bool) & table.approved.per_entry(bool, bool)
                         & (table.day >= start) & (table.day <= end))
    sums = table.hours_by(contract[idx], idx, len(contract_ids))
    return {cid: sums[k] for k, cid in enumerate(contract_ids) if spans[k]}
