"""Time and overage lines from the Timesheets columns (spec section 3, time and materials).

Rates, included hours, caps and invoice lines are worked out with array operations over all
entries. Python runs once per contract, billing period or invoice line, never once per entry,
except for the entries of a period whose included hours run out or of a contract that reaches
its not-to-exceed cap: those are walked in (date, entry_id) order, as the spec's rules read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Iterable

import numpy as np

from .items import Billed, Item, RateBook
from .models import Book, Contract
from .money import ZERO, round_cents, round_to
from .periods import MONTHS
from .timetable import TimeTable, group_sums, sort_by

_NO_END = date.max.toordinal()
_KINDS = ("time", "overage")


class RateCodes:
    """Distinct rates as codes, so entries carry an integer and lines group on it."""

    def __init__(self, values: Iterable[Decimal] = ()):
        self.values: list[Decimal] = []
        self._index: dict[Decimal, int] = {}
        for v in values:
            self.code(v)

    def code(self, rate: Decimal | None) -> int:
        if rate is None:
            return -1
        if rate not in self._index:
            self._index[rate] = len(self.values)
            self.values.append(rate)
        return self._index[rate]


def entry_rates(book: Book) -> tuple[np.ndarray, list[Decimal]]:
    """The rate of every time entry (contract rate, else default, effective-dated): a code per entry
    (-1: no rate) and the distinct rates. Rates change only on their effective dates, so one lookup per
    (contract, work type, stretch between effective dates) serves every entry. Worked out once per book."""
    table = book.time_entries
    cached = table.cache.get("rates")
    if cached is not None and cached[0] is book.rates:
        return cached[1]
    rates, codes = RateBook(book.rates), RateCodes()
    contract_code, contract_ids = table.contract_id.canonical()
    own = {r.contract_id for r in book.rates if r.contract_id}
    # contracts without rates of their own all take the defaults: they share lookups (code 0)
    own_code = np.array([k + 1 if cid in own else 0 for k, cid in enumerate(contract_ids)], dtype=np.int64)
    contract_code = own_code[contract_code]
    breaks = sorted({r.effective_from.toordinal() for r in book.rates if r.effective_from}
                    | {r.effective_to.toordinal() + 1 for r in book.rates if r.effective_to})
    work, work_types = table.work_type.canonical()
    stretch = np.searchsorted(np.array(breaks, dtype=np.int64), table.day, side="right")
    key = (contract_code * len(work_types) + work) * (len(breaks) + 1) + stretch
    space = (len(contract_ids) + 1) * len(work_types) * (len(breaks) + 1)
    if space <= 4 * len(key) + 4096:  # a table of every possible key: no sort
        day_of = np.zeros(space, dtype=np.int64)
        day_of[key] = table.day  # any day of a stretch has the stretch's rate
        used = np.flatnonzero(np.bincount(key, minlength=space))
        found = np.full(space, -1, dtype=np.int64)
        where, inverse = used, key
    else:
        used, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        day_of = np.zeros(len(used), dtype=np.int64)
        day_of[:] = table.day[first]
        found = np.full(len(used), -1, dtype=np.int64)
        where, inverse = np.arange(len(used)), inverse.reshape(-1)
    per_contract = len(work_types) * (len(breaks) + 1)
    for k, slot in zip(used.tolist(), where.tolist()):
        c, rest = divmod(k, per_contract)
        found[slot] = codes.code(rates.rate(contract_ids[c - 1] if c else None, work_types[rest // (len(breaks) + 1)],
                                            date.fromordinal(int(day_of[slot]))))
    result = (found[inverse], codes.values)
    table.cache["rates"] = (book.rates, result)
    return result


class EntryContracts(NamedTuple):
    """Each entry against its contract, among the contracts given: the contract's code and, per code,
    the contract (None: not among them); and per entry whether it has one, is for that contract's
    customer, and falls within its dates."""

    code: np.ndarray
    contract_of: list[Contract | None]
    known: np.ndarray
    same_customer: np.ndarray
    in_dates: np.ndarray


def entry_contracts(table: TimeTable, contracts: dict[str, Contract]) -> EntryContracts:
    code, contract_ids = table.contract_id.canonical()
    contract_of = [contracts.get(cid) if cid is not None else None for cid in contract_ids]
    customer, customer_ids = table.customer_id.canonical()
    known = {c: k for k, c in enumerate(customer_ids)}
    owner = np.array([known.get(c.customer_id, -1) if c else -2 for c in contract_of], dtype=np.int64)[code]
    start = np.array([c.start_date.toordinal() if c else 0 for c in contract_of], dtype=np.int64)[code]
    end = np.array([c.end_date.toordinal() if c and c.end_date else _NO_END for c in contract_of], dtype=np.int64)[code]
    day = table.day
    return EntryContracts(code, contract_of, owner != -2, owner == customer, (day >= start) & (day <= end))


def _eligible(table: TimeTable, on: EntryContracts, through: date, excluded: frozenset[str]) -> np.ndarray:
    """Approved billable entries up to the cutoff with positive hours, on an active contract of the same
    customer whose dates cover them, not excluded by staff. (Later entries cannot change how earlier
    ones use included hours.)"""
    mask = (on.known & on.same_customer & on.in_dates & table.approved.per_entry(bool, bool)
            & table.billable.per_entry(bool, bool) & (table.day <= through.toordinal()) & table.positive)
    left_out = {t[len("entry:"):] for t in excluded if t.startswith("entry:")}
    if left_out:
        mask &= ~table.isin_ids(left_out)
    return np.flatnonzero(mask)


def _in_order(table: TimeTable, idx: np.ndarray, contract_code: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """A sequence number per entry: (date, entry_id) order for contracts where order matters (included
    hours, caps), sheet order for the others. Only compared within one contract."""
    seq = np.zeros(len(table), dtype=np.int64)
    seq[idx] = idx
    sub = idx[ordered[contract_code[idx]]]
    if len(sub):
        by_id = np.empty(len(sub), dtype=np.int64)
        ids = table.ids[sub].tolist()
        by_id[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(sub))  # Python's sort is quickest here
        seq[sub[np.lexsort((by_id, table.day[sub], contract_code[sub]))]] = np.arange(len(sub))
    return seq


class _Splits:
    """What each eligible entry bills: kept or not, time or overage, rate code, hours code."""

    def __init__(self, table: TimeTable, idx: np.ndarray, rate: np.ndarray):
        self.idx = idx
        self.keep = np.ones(len(idx), dtype=bool)
        self.kind = np.zeros(len(idx), dtype=np.int64)
        self.rate = rate
        self.hours = table.hours.codes[idx].copy()
        self.hour_values = list(table.hours.values)
        self.included = np.full(len(idx), -1, dtype=np.int64)  # hours code of entries included hours cover whole

    def hours_code(self, value: Decimal) -> int:
        self.hour_values.append(value)
        return len(self.hour_values) - 1


def _included(table: TimeTable, s: _Splits, contract_code: np.ndarray, seq: np.ndarray,
              contract_of: list[Contract | None],
              codes: RateCodes) -> None:
    """Entries consume each period's included hours in order; only hours beyond them are billed, at the
    overage rate (or the entry's own rate when there is none)."""
    included = np.array([bool(c and c.included_hours) for c in contract_of], dtype=bool)
    at = np.flatnonzero(included[contract_code[s.idx]])
    if not len(at):
        return
    entries = s.idx[at]
    c = contract_code[entries]
    first_month = np.array([c_.start_date.year * 12 + c_.start_date.month - 1 if c_ else 0 for c_ in contract_of],
                           np.int64)
    step = np.array([MONTHS[c_.billing_frequency] if c_ else 1 for c_ in contract_of], dtype=np.int64)
    month = table.month[entries]
    period = (month - first_month[c]) // step[c]
    order = np.lexsort((seq[entries], period, c))
    at, entries, c, period = at[order], entries[order], c[order], period[order]
    change = (c[1:] != c[:-1]) | (period[1:] != period[:-1])
    starts = np.flatnonzero(np.r_[True, change])
    group = np.cumsum(np.r_[False, change])
    totals = group_sums(group, s.hours[at], s.hour_values, len(starts))
    ends = np.r_[starts[1:], len(at)]
    for g, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist())):
        contract = contract_of[c[lo]]
        overage = codes.code(contract.overage_rate) if contract.overage_rate else -1
        members = at[lo:hi]
        if totals[g] <= contract.included_hours:
            s.keep[members] = False
            s.included[members] = s.hours[members]
            continue
        free = contract.included_hours
        for k, m in enumerate(members.tolist()):
            hours = s.hour_values[s.hours[m]]
            covered = min(free, hours)
            free -= covered
            if covered == hours:
                s.keep[m] = False
                s.included[m] = s.hours[m]
            elif covered:  # split: billed on the overage line, which says it
                s.hours[m] = s.hours_code(hours - covered)
            if not free:
                rest = members[k:] if covered != hours else members[k + 1:]
                s.kind[rest] = 1
                if overage >= 0:
                    s.rate[rest] = overage
                break


def _capped(book: Book, table: TimeTable, s: _Splits, contract_code: np.ndarray, seq: np.ndarray,
            contract_of: list[Contract | None], billed: Billed,
            codes: RateCodes) -> tuple[list[tuple], dict[int, Decimal]]:
    """The not-to-exceed cap across the contract's whole history: splits beyond it are left unbilled, the
    one that crosses it is billed in part. Returns the partial splits and the amount left per contract."""
    capped = np.array([c is not None and c.not_to_exceed is not None for c in contract_of], dtype=bool)
    at = np.flatnonzero(s.keep & capped[contract_code[s.idx]])
    partial: list[tuple] = []
    unbilled: dict[int, Decimal] = {}
    if not len(at):
        return partial, unbilled
    at = at[np.lexsort((seq[s.idx[at]], contract_code[s.idx[at]]))]
    c = contract_code[s.idx[at]]
    change = c[1:] != c[:-1]
    starts = np.flatnonzero(np.r_[True, change])
    ends = np.r_[starts[1:], len(at)]
    # The amount of each contract's splits: hours per (contract, rate), priced once each.
    nrates = max(len(codes.values), 1)
    used, compact = np.unique(np.cumsum(np.r_[False, change]) * nrates + s.rate[at], return_inverse=True)
    total = [ZERO] * len(starts)
    for key, hours in zip(used.tolist(), group_sums(compact.reshape(-1), s.hours[at], s.hour_values, len(used))):
        g, r = divmod(key, nrates)
        total[g] += hours * codes.values[r]
    for g, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist())):
        contract = contract_of[c[lo]]
        members = at[lo:hi]
        remaining = max(contract.not_to_exceed - billed.time_billed.get(contract.contract_id, ZERO), ZERO)
        if total[g] <= remaining:
            continue  # the whole lot fits under the cap
        left = ZERO
        for m in members.tolist():
            amount = s.hour_values[s.hours[m]] * codes.values[s.rate[m]]
            if amount > remaining:
                s.keep[m] = False
                if remaining > 0:
                    partial.append((m, round_cents(remaining)))
                left += amount - remaining
                remaining = ZERO
                continue
            remaining -= amount
        unbilled[int(c[lo])] = left
    return partial, unbilled


def time_items(book: Book, active: dict[str, Contract], through: date, billed: Billed,
               excluded: frozenset[str] = frozenset()) -> tuple[list[Item], dict[str, Decimal]]:
    """Time and overage lines of every active contract, and the amount each contract's cap left unbilled."""
    table = book.time_entries
    if not len(table):
        return [], {}
    on = entry_contracts(table, active)
    contract_code, contract_of = on.code, on.contract_of
    rate, values = entry_rates(book)
    codes = RateCodes(values)  # overage rates join these
    idx = _eligible(table, on, through, excluded)
    idx = idx[rate[idx] >= 0]
    rate = rate[idx]
    ordered = np.array([bool(c and (c.included_hours or c.not_to_exceed is not None)) for c in contract_of], dtype=bool)
    seq = _in_order(table, idx, contract_code, ordered)
    s = _Splits(table, idx, rate)
    _included(table, s, contract_code, seq, contract_of, codes)
    fresh = ~table.invoiced[idx]
    if billed.entries:
        fresh &= ~table.isin_ids(billed.entries)[idx]
    s.keep &= fresh
    partial, unbilled = _capped(book, table, s, contract_code, seq, contract_of, billed, codes)
    items = _lines(book, table, s, contract_code, seq, contract_of, codes)
    items += _included_lines(book, table, s, np.flatnonzero(fresh & (s.included >= 0)), contract_code, seq, contract_of)
    work = table.work_type
    for m, amount in partial:
        e, contract = int(s.idx[m]), contract_of[contract_code[s.idx[m]]]
        kind, price, entry_id = _KINDS[s.kind[m]], codes.values[s.rate[m]], table.ids[e]
        day = date.fromordinal(int(table.day[e]))
        items.append(Item(f"{kind}:{contract.contract_id}:{entry_id}:cap", kind, entry_id, contract.customer_id,
                          contract.contract_id, f"{work.values[work.codes[e]]} (capped at the not-to-exceed amount)",
                          day, day, round_to(amount / price, Decimal("0.0001")), price, amount, "services",
                          contract.po_number, book.cell_at("Timesheets", int(table.rows[e]), "hours"), (entry_id,)))
    capped = {contract.contract_id: round_cents(left) for c, left in unbilled.items()
              if (contract := contract_of[c]) is not None and round_cents(left)}
    return items, capped


def _included_lines(book: Book, table: TimeTable, s: _Splits, at: np.ndarray, contract_code: np.ndarray,
                    seq: np.ndarray,
                    contract_of: list[Contract | None]) -> list[Item]:
    """Per contract, one line at no charge for the entries its included hours cover whole, listing them:
    they are billed work, covered by the invoice that consumed them. (An entry split between included
    and overage hours is on its overage line.)"""
    if not len(at):
        return []
    e = s.idx[at]
    order = np.lexsort((seq[e], contract_code[e]))
    at, e = at[order], e[order]
    c = contract_code[e]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    hours = group_sums(np.cumsum(np.r_[False, c[1:] != c[:-1]]), s.included[at], s.hour_values, len(starts))
    ids, rows, days = table.ids[e].tolist(), table.rows[e].tolist(), table.day[e]
    hours_cell = book.cells_of("Timesheets", "hours")
    items = []
    for g, (lo, hi) in enumerate(zip(starts.tolist(), np.r_[starts[1:], len(at)].tolist())):
        contract = contract_of[c[lo]]
        group_ids = tuple(ids[lo:hi])
        items.append(Item(
            f"included:{contract.contract_id}:{group_ids[0]}", "included", f"{contract.contract_id}/included",
            contract.customer_id, contract.contract_id,
            f"Covered by the {contract.included_hours.normalize():f} h block per period (entries in full)",
            date.fromordinal(int(days[lo:hi].min())), date.fromordinal(int(days[lo:hi].max())), hours[g], ZERO, ZERO,
            "services", contract.po_number, hours_cell(rows[lo]), group_ids))
    return items


def _lines(book: Book, table: TimeTable, s: _Splits, contract_code: np.ndarray, seq: np.ndarray,
           contract_of: list[Contract | None], codes: RateCodes) -> list[Item]:
    """One line per contract, time or overage, work type and rate, with its entry IDs in order."""
    at = np.flatnonzero(s.keep)
    if not len(at):
        return []
    e = s.idx[at]
    work, work_types = table.work_type.canonical()
    c, kind, w, r = contract_code[e], s.kind[at], work[e], s.rate[at]
    order, same = sort_by([c, kind, w, r], seq[e])
    at, e, c, kind, w, r = at[order], e[order], c[order], kind[order], w[order], r[order]
    starts = np.flatnonzero(~same)
    hours = group_sums(np.cumsum(~same) - 1, s.hours[at], s.hour_values, len(starts))
    days = table.day[e]
    first_days = np.minimum.reduceat(days, starts).tolist()
    last_days = np.maximum.reduceat(days, starts).tolist()
    ids, rows = table.ids[e].tolist(), table.rows[e].tolist()
    bounds = zip(starts.tolist(), np.r_[starts[1:], len(at)].tolist())
    c, kind, w, r = c.tolist(), kind.tolist(), w.tolist(), r.tolist()
    hours_cell = book.cells_of("Timesheets", "hours")
    days_seen: dict[int, date] = {}
    day_of = lambda n: days_seen.get(n) or days_seen.setdefault(n, date.fromordinal(n))  # noqa: E731
    rate_text = [str(v) for v in codes.values]  # a few rates, formatted once
    items = []
    for g, (lo, hi) in enumerate(bounds):
        contract, k, rate, work_type = contract_of[c[lo]], _KINDS[kind[lo]], codes.values[r[lo]], work_types[w[lo]]
        group_ids = tuple(ids[lo:hi])
        total, cid, shown = hours[g], contract.contract_id, rate_text[r[lo]]
        items.append(Item(
            f"{k}:{cid}:{work_type}:{shown}:{group_ids[0]}", k, f"{cid}/{work_type}/{shown}", contract.customer_id, cid,
            f"Overage: {total.normalize():f} h at {rate:,.2f}" if k == "overage" else work_type,
            day_of(first_days[g]), day_of(last_days[g]), total, rate,
            round_cents(total * rate), "services", contract.po_number, hours_cell(rows[lo]), group_ids))
    return items
