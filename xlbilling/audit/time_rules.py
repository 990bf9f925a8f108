"""Audit rules on time entries: contract, customer, dates, rates, duplicates, daily hours, approval."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Iterator

from ..core.findings import Finding, show
from .base import AuditContext, Subject, finding


def _subject(e, key: str = "") -> Subject:
    return Subject(f"entry:{e.entry_id}{key}", e.customer_id, e.contract_id)


def no_contract(ctx: AuditContext) -> Iterator[Finding]:
    for e in ctx.open_time:
        if e.contract_id is None or e.contract_id not in ctx.contracts:
            yield finding(ctx, "TIME_NO_CONTRACT", e, "contract_id",
                          f"billable entry {e.entry_id} is on no known contract", _subject(e),
                          show(e.contract_id), "a contract ID from the Contracts sheet", ctx.at_stake(e))


def customer_mismatch(ctx: AuditContext) -> Iterator[Finding]:
    for e in ctx.open_time:
        c = ctx.contracts.get(e.contract_id)
        if c is not None and c.customer_id != e.customer_id:
            yield finding(ctx, "TIME_CUSTOMER_MISMATCH", e, "customer_id",
                          f"entry {e.entry_id} is for customer {e.customer_id} but contract {c.contract_id} belongs "
                          f"to {c.customer_id}", _subject(e), show(e.customer_id), show(c.customer_id), ctx.at_stake(e))


def outside_contract(ctx: AuditContext) -> Iterator[Finding]:
    for e in ctx.open_time:
        c = ctx.contracts.get(e.contract_id)
        if c is not None and (e.date < c.start_date or (c.end_date and e.date > c.end_date)):
            span = f"{c.start_date} to {c.end_date or 'open end'}"
            yield finding(ctx, "TIME_OUTSIDE_CONTRACT", e, "date",
                          f"entry {e.entry_id} is dated outside contract {c.contract_id} ({span})", _subject(e),
                          str(e.date), f"a date from {span}", ctx.at_stake(e))


def no_rate(ctx: AuditContext) -> Iterator[Finding]:
    for e in ctx.open_time:
        if e.contract_id in ctx.contracts and ctx.rates.rate(e.contract_id, e.work_type, e.date) is None:
            yield finding(ctx, "TIME_NO_RATE", e, "work_type",
                          f"no rate for work type '{e.work_type}' on {e.date} (entry {e.entry_id})", _subject(e),
                          show(e.work_type), "a work type with a RateCard rate on that date")


def duplicates(ctx: AuditContext) -> Iterator[Finding]:
    """Same technician, date, ticket, work type and hours as an earlier entry (earlier: higher up the sheet)."""
    first: dict[tuple, object] = {}
    for e in sorted(ctx.book.time_entries, key=lambda e: e.row):
        key = (e.technician.strip().lower(), e.date, e.ticket_id, e.work_type.strip().lower(), e.hours)
        if key not in first:
            first[key] = e
            continue
        if not e.billable or e.invoice_number or e.entry_id in ctx.billed.entries:
            continue
        yield finding(ctx, "TIME_DUPLICATE", e, "entry_id",
                      f"entry {e.entry_id} repeats entry {first[key].entry_id} (same technician, date, ticket, "
                      "work type and hours)", _subject(e), show(e.entry_id),
                      f"work entered once ({ctx.book.cell(first[key], 'entry_id')} has it)", ctx.at_stake(e),
                      (f"entry:{e.entry_id}",))


def excessive_day(ctx: AuditContext) -> Iterator[Finding]:
    limit = ctx.book.settings.max_daily_hours
    by_day: dict[tuple, list] = defaultdict(list)
    for e in ctx.book.time_entries:
        if e.hours > 0:
            by_day[(e.technician.strip().lower(), e.date)].append(e)
    for (_, day), entries in sorted(by_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        total = sum((e.hours for e in entries), Decimal(0))
        open_ids = [e for e in entries if e.entry_id in ctx.open_ids]
        if total > limit and open_ids:
            first = min(entries, key=lambda e: e.row)
            yield finding(ctx, "TIME_EXCESSIVE_DAY", first, "hours",
                          f"{first.technician} logged {total.normalize():f} h on {day}, more than "
                          f"max_daily_hours ({limit.normalize():f})", Subject(f"day:{first.technician}:{day}"),
                          f"{total.normalize():f} h", f"at most {limit.normalize():f} h",
                          targets=tuple(f"entry:{e.entry_id}" for e in open_ids))


def nonpositive(ctx: AuditContext) -> Iterator[Finding]:
    for e in ctx.open_time:
        if e.hours <= 0:
            yield finding(ctx, "TIME_NONPOSITIVE", e, "hours", f"entry {e.entry_id} has {e.hours} hours",
                          _subject(e), show(e.hours), "hours above 0")


def unapproved(ctx: AuditContext) -> Iterator[Finding]:
    for e in ctx.open_time:
        if not e.approved and e.date <= ctx.through and e.hours > 0:
            yield finding(ctx, "TIME_UNAPPROVED", e, "approved",
                          f"entry {e.entry_id} ({e.date}) is not approved, so it is not billed", _subject(e),
                          "not approved", "Y once approved", ctx.at_stake(e))


def future(ctx: AuditContext) -> Iterator[Finding]:
    for e in ctx.open_time:
        if e.date > ctx.invoice_date:
            yield finding(ctx, "TIME_FUTURE", e, "date", f"entry {e.entry_id} is dated after the invoice date",
                          _subject(e), str(e.date), f"a date on or before {ctx.invoice_date}", ctx.at_stake(e))


TIME_RULES = (no_contract, customer_mismatch, outside_contract, no_rate, duplicates, excessive_day, nonpositive,
              unapproved, future)
