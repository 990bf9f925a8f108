"""BillingSchedule: the next 12 months of recurring billing per contract line, as it will be billed
(escalation and proration included). ContractStatus: where each contract stands."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Iterable

import numpy as np

from .close import default_through
from .items import Billed, Item
from .models import Book, InvoiceLineRow, RegisterRow
from .money import ZERO
from .periods import Period, add_months, period_of
from .recurring import Periods, items, money, month_indexes, recurring_periods
from .tabs import DATE, INT, MONEY, NUMBER, TEXT, Column, Tab


class Scheduled(NamedTuple):
    bill_on: date  # the first invoice date it is due on
    item: Item


class Outlook(NamedTuple):
    """The recurring billing of the active contracts as seen on an invoice date."""

    due: list[Item]  # due on the invoice date: what its close bills
    schedule: Periods  # due later, through the months ahead


def recurring_outlook(book: Book, invoice_date: date, billed: Billed | None = None, through: date | None = None,
                      months: int = 12) -> Outlook:
    """Recurring items due on the invoice date (usage through `through`), and the periods that come due
    after it through the `months` calendar months after its month. Items posted invoices hold (`billed`)
    are in neither. The close takes the first from here rather than working the periods out twice."""
    horizon = add_months(invoice_date, months + 1) - timedelta(days=1)  # through the last of the months
    through = through or default_through(invoice_date)
    periods = recurring_periods(book, max(horizon, through), billed if billed is not None else Billed())
    arrears = np.array([c.billing_timing != "advance" for c, _ in periods.lines], dtype=bool)[periods.line]
    # advance: due once its first day is on or before the invoice date; arrears: once it ended by the cutoff
    due = periods.bill_on <= np.where(arrears, through.toordinal() + 1, invoice_date.toordinal())
    return Outlook(items(book, periods.take(due)), periods.take(~due & (periods.bill_on <= horizon.toordinal())))


def billing_schedule(book: Book, invoice_date: date, billed: Billed | None = None, through: date | None = None,
                     months: int = 12) -> list[Scheduled]:
    """Recurring items that come due after the invoice date, through the `months` calendar months after
    its month, in bill-date order.

    What posted invoices hold (`billed`) and what is due on the invoice date itself, usage through
    `through`, are not scheduled: a close bills those now."""
    ahead = recurring_outlook(book, invoice_date, billed, through, months).schedule
    schedule = [Scheduled(date.fromordinal(o), item) for o, item in zip(ahead.bill_on.tolist(), items(book, ahead))]
    schedule.sort(key=lambda s: (s.bill_on, s.item.customer_id, s.item.contract_id or "", s.item.source_id))
    return schedule


SCHEDULE = "BillingSchedule"


def _schedule_columns(invoice_date: date, months: int) -> tuple[Column, ...]:
    firsts = [add_months(invoice_date, k) for k in range(1, months + 1)]
    return (Column("Customer ID", TEXT, 12), Column("Contract ID", TEXT, 12), Column("Line ID", TEXT, 10),
            Column("Description", TEXT, 30),
            *(Column(f"{d:%b %Y}", MONEY, 11) for d in firsts), Column("Next 12 Months", MONEY, 14))


def _grid(schedule: Periods, invoice_date: date, months: int) -> np.ndarray:
    """Per contract line (as `schedule.lines` has them), the cents it bills in each of the months ahead."""
    # the month each bills in; due later in the invoice date's own month: the next close bills it
    month = np.clip(month_indexes(schedule.bill_on) - (invoice_date.year * 12 + invoice_date.month), 0, months - 1)
    grid = np.zeros((len(schedule.lines), months), dtype=schedule.cents.dtype)
    np.add.at(grid, (schedule.line, month), schedule.cents)
    return grid


def schedule_seal(schedule: Periods, invoice_date: date, months: int = 12) -> str:
    """A digest of all BillingSchedule shows: its columns, and each scheduled line's customer, contract,
    id, description and cents month by month. One digest, one tab: a run whose schedule has the sheet's
    seal leaves the sheet as it is (see io/seals.py)."""
    return _seal(schedule, _grid(schedule, invoice_date, months), _schedule_columns(invoice_date, months))


def _seal(schedule: Periods, grid: np.ndarray, columns: tuple[Column, ...]) -> str:
    used = np.unique(schedule.line)
    grid = grid[used]
    digest = hashlib.blake2b(repr(columns).encode(), digest_size=16)
    digest.update(grid.astype(np.int64).tobytes() if grid.dtype != object else  # cents beyond int64 (recurring)
                  "\x1f".join(map(str, grid.ravel().tolist())).encode())
    digest.update(repr([(c.customer_id, c.contract_id, ln.line_id, ln.description)
                        for c, ln in (schedule.lines[k] for k in used.tolist())]).encode())
    return digest.hexdigest()


def schedule_tab(schedule: Periods, invoice_date: date, months: int = 12) -> Tab:
    """A grid: one row per contract line, the amount it will bill in each of the next months, and the total."""
    used = np.unique(schedule.line).tolist()
    whole, columns = _grid(schedule, invoice_date, months), _schedule_columns(invoice_date, months)
    grid = whole[used]
    cell = {cents: money(cents) if cents else None for cents in np.unique(grid).tolist()}  # each amount made once
    rows = []
    for (c, ln), amounts, total in zip((schedule.lines[k] for k in used), grid.tolist(), grid.sum(axis=1).tolist()):
        rows.append((c.customer_id, c.contract_id, ln.line_id, ln.description, *map(cell.__getitem__, amounts),
                     money(total)))
    rows.sort(key=lambda r: r[:3])
    return Tab(SCHEDULE, columns, rows, seal=_seal(schedule, whole, columns))


STATUS_COLUMNS = (
    Column("Contract ID", TEXT, 12), Column("Customer ID", TEXT, 12), Column("Name", TEXT, 28),
    Column("Type", TEXT, 18), Column("Status", TEXT, 10), Column("Start Date", DATE, 12), Column("End Date", DATE, 12),
    Column("Days To Expiry", INT, 10), Column("Billed To Date", MONEY, 14), Column("Next Bill On", DATE, 12),
    Column("Next Bill Amount", MONEY, 14), Column("PO Number", TEXT, 12), Column("PO Amount", MONEY, 12),
    Column("PO Remaining", MONEY, 13), Column("Not To Exceed", MONEY, 13), Column("Cap Remaining", MONEY, 13),
    Column("Included Hours", NUMBER, 10), Column("Hours Period Start", DATE, 12), Column("Hours Used", NUMBER, 10),
)


def contract_status_tab(book: Book, invoice_date: date, headers: Iterable[RegisterRow],
                        lines: Iterable[InvoiceLineRow], schedule: Periods) -> Tab:
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
    next_bill = _next_bills(schedule)
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


def _next_bills(schedule: Periods) -> dict[str, tuple[date, Decimal]]:
    """Per contract, the earliest bill date ahead and all it bills on that day."""
    ids = sorted({c.contract_id for c, _ in schedule.lines})
    index = {cid: k for k, cid in enumerate(ids)}
    contract = np.array([index[c.contract_id] for c, _ in schedule.lines], dtype=np.int64)[schedule.line]
    first = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first, contract, schedule.bill_on)
    on_first = schedule.bill_on == first[contract]
    cents = np.zeros(len(ids), dtype=schedule.cents.dtype)
    np.add.at(cents, contract[on_first], schedule.cents[on_first])
    return {cid: (date.fromordinal(int(first[k])), money(int(cents[k])))
            for k, cid in enumerate(ids) if first[k] != np.iinfo(np.int64).max}


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
