"""Audit rules on time entries: contract, customer, dates, rates, duplicates, daily hours, approval.

Each rule finds its entries with array operations over the Timesheets columns; only the entries
it flags become records, for the finding's message and cell."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..core.findings import ERROR, WARNING, Finding, show
from ..core.models import TimeEntry
from ..core.time_billing import entry_rates
from ..core.timetable import sort_by
from ..core.rules import Say, Subject, rule
from .base import AuditContext



def _subject(e, key: str = "") -> Subject:
    return Subject(f"entry:{e.entry_id}{key}", e.customer_id, e.contract_id)


@rule("TIME_NO_CONTRACT", ERROR,
      what="billable entry with blank or unknown contract",
      action="put the right contract on the entry, or mark it not billable")
def no_contract(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for e in ctx.entries(ctx.open & ~ctx.on_contracts.known):
        yield say(e, "contract_id",
                  f"billable entry {e.entry_id} is on no known contract", _subject(e),
                  show(e.contract_id), "a contract ID from the Contracts sheet", ctx.at_stake(e))


@rule("TIME_CUSTOMER_MISMATCH", ERROR,
      what="entry's customer differs from its contract's",
      action="correct the entry's customer or contract")
def customer_mismatch(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    on = ctx.on_contracts
    for e in ctx.entries(ctx.open & on.known & ~on.same_customer):
        c = ctx.contract_for(e)
        yield say(e, "customer_id",
                  f"entry {e.entry_id} is for customer {e.customer_id} but contract {c.contract_id} belongs "
                  f"to {c.customer_id}", _subject(e), show(e.customer_id), show(c.customer_id), ctx.at_stake(e))


@rule("TIME_OUTSIDE_CONTRACT", ERROR,
      what="entry dated outside its contract's dates",
      action="correct the date or contract, or extend the contract's dates")
def outside_contract(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    on = ctx.on_contracts
    for e in ctx.entries(ctx.open & on.known & ~on.in_dates):
        c = ctx.contract_for(e)
        span = f"{c.start_date} to {c.end_date or 'open end'}"
        yield say(e, "date",
                  f"entry {e.entry_id} is dated outside contract {c.contract_id} ({span})", _subject(e),
                  str(e.date), f"a date from {span}", ctx.at_stake(e))


def _unpriceable(ctx: AuditContext, mask: np.ndarray) -> Iterator[tuple[TimeEntry, tuple[str, ...]]]:
    """The entries of a mask, each with what it holds: an entry this close would bill but cannot price
    holds its contract's draft (spec section 4) — its targets are the entry, for `exclude`, and its
    contract, for the hold."""
    at = np.flatnonzero(mask)
    for i, e in zip(at.tolist(), ctx.book.time_entries.entries(at)):
        yield e, (f"entry:{e.entry_id}", f"contract:{e.contract_id}") if ctx.due[i] else ()


@rule("TIME_NO_RATE", ERROR, approvable=False,
      what="no rate for the entry's work type on its date",
      action="add a RateCard row for this work type or correct the work type; or type exclude to bill the rest without"
             " this entry (approve cannot bill an entry that has no price)")
def no_rate(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for e, holds in _unpriceable(ctx, ctx.open & ctx.on_contracts.known & (entry_rates(ctx.book)[0] < 0)):
        yield say(e, "work_type",
                  f"no rate for work type '{e.work_type}' on {e.date} (entry {e.entry_id})", _subject(e),
                  show(e.work_type), "a work type with a RateCard rate on that date", targets=holds)


def _fold(text: str) -> str:
    return text.strip().lower()


def _repeats(keys: list[np.ndarray], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For entries with equal keys: which repeat an earlier one (higher up the sheet), and the position
    of the earliest entry with the same keys (each entry's own position when it is the first)."""
    order, same = sort_by(keys, rows)
    starts = np.maximum.accumulate(np.where(same, 0, np.arange(len(order))))
    repeat = np.zeros(len(rows), dtype=bool)
    repeat[order[same]] = True
    earliest = np.empty(len(rows), dtype=np.int64)
    earliest[order] = order[starts]
    return repeat, earliest


@rule("TIME_DUPLICATE", ERROR,
      what="same technician, date, ticket, work type and hours as an earlier entry",
      action="delete the duplicate entry, or approve if the work was really done twice")
def duplicates(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    """Same technician, date, ticket, work type and hours as an earlier entry (earlier: higher up the sheet)."""
    table = ctx.book.time_entries
    if not len(table):
        return
    # Alike in technician, date, work type and hours first (columns of few values), then the ticket:
    # tickets are nearly all distinct, so only the entries alike in the rest have theirs compared.
    keys = [table.technician.canonical(_fold)[0], table.day - table.day.min(), table.work_type.canonical(_fold)[0],
            table.hours.canonical()[0]]
    repeat, earliest = _repeats(keys, table.rows)
    alike = repeat.copy()
    alike[earliest[repeat]] = True  # the repeats and the entries they repeat
    alike = np.flatnonzero(alike)
    tickets = table.ticket_id
    index: dict = {}
    ticket = np.array([index.setdefault(tickets.values[c], len(index)) for c in tickets.codes[alike].tolist()],
                      dtype=np.int64)
    repeat, earliest = _repeats([k[alike] for k in keys] + [ticket], table.rows[alike])
    flagged = np.flatnonzero(repeat & ctx.open[alike])
    for k in flagged[np.argsort(table.rows[alike][flagged], kind="stable")].tolist():
        e, original = table.entry(int(alike[k])), table.entry(int(alike[earliest[k]]))
        yield say(e, "entry_id",
                  f"entry {e.entry_id} repeats entry {original.entry_id} (same technician, date, ticket, "
                  "work type and hours)", _subject(e), show(e.entry_id),
                  f"work entered once ({ctx.book.cell(original, 'entry_id')} has it)", ctx.at_stake(e),
                  (f"entry:{e.entry_id}",))


@rule("TIME_EXCESSIVE_DAY", ERROR,
      what="a technician's hours on one day exceed max_daily_hours",
      action="check the technician's hours for that day")
def excessive_day(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    table = ctx.book.time_entries
    limit = ctx.book.settings.max_daily_hours
    at = np.flatnonzero(table.positive)
    if not len(at):
        return
    technician, techs = table.technician.canonical(_fold)
    key = technician[at] * (int(table.day.max()) + 1) + table.day[at]
    days, group = np.unique(key, return_inverse=True)
    group = group.reshape(-1)
    # Float sums pick the candidate days; the exact Decimal sum decides.
    approx = np.bincount(group, weights=table.hours.per_entry(float, np.float64)[at], minlength=len(days))
    candidate = np.flatnonzero(approx > float(limit) - 1e-6)
    if not len(candidate):
        return
    chosen = np.isin(group, candidate)
    members, member_group = at[chosen], np.searchsorted(candidate, group[chosen])
    totals = table.hours_by(member_group, members, len(candidate))
    by_group = np.argsort(member_group, kind="stable")
    bounds = np.searchsorted(member_group[by_group], np.arange(len(candidate) + 1)).tolist()
    found = []
    for k in range(len(candidate)):
        mine = members[by_group[bounds[k]:bounds[k + 1]]].tolist() if totals[k] > limit else ()
        open_ids = [i for i in mine if ctx.open[i]]
        if open_ids:
            first = table.entry(int(min(mine, key=lambda i: table.rows[i])))
            found.append((first.date, _fold(first.technician), first, totals[k], open_ids))
    for day, _, first, total, open_ids in sorted(found, key=lambda f: (f[0], f[1])):
        yield say(first, "hours",
                  f"{first.technician} logged {total.normalize():f} h on {day}, more than "
                  f"max_daily_hours ({limit.normalize():f})", Subject(f"day:{first.technician}:{day}"),
                  f"{total.normalize():f} h", f"at most {limit.normalize():f} h",
                  targets=tuple(f"entry:{table.ids[i]}" for i in open_ids))


@rule("TIME_NONPOSITIVE", ERROR, approvable=False,
      what="hours ≤ 0",
      action="correct the hours; or type exclude to bill the rest without this entry (approve cannot bill hours of 0 "
             "or less)")
def nonpositive(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for e, holds in _unpriceable(ctx, ctx.open & ~ctx.book.time_entries.positive):
        yield say(e, "hours", f"entry {e.entry_id} has {e.hours} hours",
                  _subject(e), show(e.hours), "hours above 0", targets=holds)


@rule("TIME_UNAPPROVED", WARNING,
      what="billable entry dated on or before T, not approved (not billed)",
      action="have the entry approved to bill it next close")
def unapproved(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    table = ctx.book.time_entries
    approved = table.approved.per_entry(bool, bool)
    for e in ctx.entries(ctx.open & ~approved & (table.day <= ctx.through.toordinal()) & table.positive):
        yield say(e, "approved",
                  f"entry {e.entry_id} ({e.date}) is not approved, so it is not billed", _subject(e),
                  "not approved", "Y once approved", ctx.at_stake(e))


@rule("TIME_FUTURE", WARNING,
      what="entry dated after D",
      action="check the date; it is billed once it is due")
def future(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for e in ctx.entries(ctx.open & (ctx.book.time_entries.day > ctx.invoice_date.toordinal())):
        yield say(e, "date", f"entry {e.entry_id} is dated after the invoice date",
                  _subject(e), str(e.date), f"a date on or before {ctx.invoice_date}", ctx.at_stake(e))


TIME_RULES = (no_contract, customer_mismatch, outside_contract, no_rate, duplicates, excessive_day, nonpositive,
              unapproved, future)
