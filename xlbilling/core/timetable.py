"""Timesheets as columns: each field is codes into its distinct values.

A large provider has a million time entries a month. Held as columns, the billing and audit
rules work on them with array operations, and a single entry becomes a `TimeEntry` record only
when a finding or a document needs it. The table is also a sequence of records, for code that
reads a few of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple
from collections.abc import Callable, Iterable

import numpy as np

from .models import TimeEntry
from .money import ZERO

FIELDS = TimeEntry._fields[:-1]  # every field but the row


class Coded(NamedTuple):
    """One column: a code per entry into the list of the column's distinct values."""

    codes: np.ndarray
    values: list

    @classmethod
    def of(cls, items: Iterable) -> Coded:
        index: dict = {}
        codes = [index.setdefault(v, len(index)) for v in items]
        return cls(np.array(codes, dtype=np.int64), list(index))

    def per_entry(self, fn: Callable, dtype, blank=0) -> np.ndarray:
        """fn of each distinct value, spread to every entry (fn runs once per distinct value; a blank
        value, None, gives `blank`)."""
        table = np.array([blank if v is None else fn(v) for v in self.values], dtype=dtype)
        return table[self.codes] if len(self.values) else np.zeros(len(self.codes), dtype)

    def canonical(self, key: Callable = lambda v: v) -> tuple[np.ndarray, list]:
        """Per-entry codes that are equal exactly when key(value) is equal ('Ann ' and 'ann' with a
        key that folds them), and the keys in code order."""
        index: dict = {}
        codes = np.array([index.setdefault(None if v is None else key(v), len(index)) for v in self.values],
                         dtype=np.int64)
        codes = codes[self.codes] if len(self.values) else np.zeros(len(self.codes), dtype=np.int64)
        return codes, list(index)


class TimeTable(Sequence):
    """The Timesheets sheet as coded columns plus the Excel row of each entry."""

    def __init__(self, columns: dict[str, Coded], rows: np.ndarray):
        self.columns = columns
        self.rows = rows
        self.cache: dict[str, Any] = {}  # derived arrays that depend on other sheets (rates), kept once worked out

    @classmethod
    def of(cls, entries: Iterable[TimeEntry] | TimeTable) -> TimeTable:
        if isinstance(entries, TimeTable):
            return entries
        entries = list(entries)
        return cls({f: Coded.of(getattr(e, f) for e in entries) for f in FIELDS},
                   np.array([e.row for e in entries], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.records[i]
        return self.entry(int(i))

    def __iter__(self):
        return iter(self.records)

    def __eq__(self, other) -> bool:
        """Equal when they hold the same records (however each was coded)."""
        if isinstance(other, TimeTable):
            return self.records == other.records
        return isinstance(other, tuple) and self.records == other

    __hash__ = None  # type: ignore[assignment]  # equal by value, and mutable caches: not hashable

    def take(self, indices: np.ndarray) -> TimeTable:
        """The entries at `indices`, as a table of their own."""
        return TimeTable({f: Coded(c.codes[indices], c.values) for f, c in self.columns.items()}, self.rows[indices])

    def entry(self, i: int) -> TimeEntry:
        return TimeEntry._make((*(c.values[c.codes[i]] for c in self.columns.values()), int(self.rows[i])))

    def values_at(self, field: str, indices: np.ndarray) -> list:
        """One field of the entries at `indices`, without building their records."""
        c = self.columns[field]
        return [c.values[k] for k in c.codes[indices].tolist()]

    def entries(self, indices: Iterable[int]) -> list[TimeEntry]:
        """The records of the entries at `indices`, built column by column (a finding per entry can be
        tens of thousands of them)."""
        at = np.fromiter(indices, dtype=np.int64)
        cols = [list(map(c.values.__getitem__, c.codes[at].tolist())) for c in self.columns.values()]
        return list(map(TimeEntry._make, zip(*cols, self.rows[at].tolist())))

    @cached_property
    def records(self) -> tuple[TimeEntry, ...]:
        """Every entry as a record (built on first use; the array paths never need it)."""
        cols = [list(map(c.values.__getitem__, c.codes.tolist())) for c in self.columns.values()]
        return tuple(map(TimeEntry._make, zip(*cols, self.rows.tolist())))

    def __getattr__(self, name: str) -> Coded:
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(name)

    @cached_property
    def ids(self) -> np.ndarray:
        """Entry IDs as an object array, for gathering the IDs of many entries at once."""
        c = self.columns["entry_id"]
        return np.array(c.values, dtype=object)[c.codes] if len(c.values) else np.zeros(0, dtype=object)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Entry ID -> position (the first, should an ID repeat)."""
        ids = self.ids.tolist()
        return dict(zip(reversed(ids), range(len(ids) - 1, -1, -1)))  # the first position is written last

    @cached_property
    def day(self) -> np.ndarray:
        """The date of each entry as a day number (date.toordinal)."""
        return self.columns["date"].per_entry(date.toordinal, np.int64)

    @cached_property
    def month(self) -> np.ndarray:
        """The calendar month of each entry as year * 12 + month - 1."""
        return self.columns["date"].per_entry(lambda d: d.year * 12 + d.month - 1, np.int64)

    @cached_property
    def positive(self) -> np.ndarray:
        return self.columns["hours"].per_entry(lambda h: h > 0, bool)

    @cached_property
    def invoiced(self) -> np.ndarray:
        return self.columns["invoice_number"].per_entry(bool, bool)

    def isin_ids(self, ids: Iterable[str]) -> np.ndarray:
        """A mask of the entries whose ID is among `ids` (kept for a frozenset asked again, such as the
        entries on posted invoices, which every rule of a run asks about)."""
        wanted = ids if isinstance(ids, (set, frozenset)) else set(ids)
        if not wanted:
            return np.zeros(len(self), dtype=bool)
        kept = self.cache.get("isin")
        if kept is not None and kept[0] is wanted:
            return kept[1]
        mask = np.fromiter((e in wanted for e in self.ids.tolist()), dtype=bool, count=len(self))
        if isinstance(wanted, frozenset):
            self.cache["isin"] = (wanted, mask)
        return mask

    def open_mask(self, billed_entries: frozenset[str]) -> np.ndarray:
        """Billable entries not yet on a posted invoice."""
        billable = self.columns["billable"].per_entry(bool, bool)
        return billable & ~self.invoiced & ~self.isin_ids(billed_entries)

    def hours_by(self, groups: np.ndarray, indices: np.ndarray, ngroups: int) -> list[Decimal]:
        """Exact hours per group of the entries at `indices` (groups[k] is the group of indices[k])."""
        hours = self.columns["hours"]
        return group_sums(groups, hours.codes[indices], hours.values, ngroups)


def group_sums(groups: np.ndarray, codes: np.ndarray, values: list, ngroups: int) -> list[Decimal]:
    """Exact sums of a coded Decimal column per group, each ZERO plus its values (so with the exponent
    that Decimal addition gives). Values with few decimals are summed as integers (scaled_sums);
    otherwise each distinct (group, value) pair is counted once, then multiplied."""
    out = [ZERO] * ngroups
    if not len(codes):
        return out
    scaled = _scaled_sums(groups, codes, values, ngroups)
    if scaled is not None:
        return scaled
    k = max(len(values), 1)
    pairs = groups.astype(np.int64) * k + codes
    if ngroups * k <= 4 * len(codes) + 4096:  # few enough pairs to count in place (no sort)
        tally = np.bincount(pairs, minlength=ngroups * k)
        keys = np.flatnonzero(tally)
        counts = tally[keys]
    else:
        keys, counts = np.unique(pairs, return_counts=True)
    for key, n in zip(keys.tolist(), counts.tolist()):
        g, v = divmod(key, k)
        out[g] += values[v] * n
    return out


_EXACT = 1 << 53  # integers up to this add exactly in float64, which np.bincount sums in


def _scaled_sums(groups: np.ndarray, codes: np.ndarray, values: list, ngroups: int) -> list[Decimal] | None:
    """group_sums by integer arithmetic: each value times 10**scale is an integer, and the integers add
    exactly while their total stays below 2**53. None when the values do not allow it."""
    floor = ZERO.as_tuple().exponent
    blank = [k for k, v in enumerate(values) if not isinstance(v, Decimal)]  # None: a code no entry here has
    if blank and np.isin(codes, blank).any():
        return None
    values = [ZERO if k in blank else v for k, v in enumerate(values)] if blank else values
    exponents = [v.as_tuple().exponent for v in values]
    if not values or not all(isinstance(e, int) for e in exponents):
        return None
    scale = -min(floor, *exponents)
    if scale > 12:
        return None
    units = [int(v.scaleb(scale)) for v in values]
    if max(map(abs, units)) * len(codes) >= _EXACT:
        return None
    totals = np.bincount(groups, weights=np.array(units, dtype=np.float64)[codes], minlength=ngroups)
    used = np.flatnonzero(np.bincount(groups, minlength=ngroups))
    exponent = np.full(ngroups, floor, dtype=np.int64)  # a sum has the smallest exponent of its terms
    entry_exponent = np.array(exponents, dtype=np.int64)[codes]
    for e in sorted({x for x in exponents if x < floor}, reverse=True):
        exponent[np.unique(groups[entry_exponent == e])] = e  # smaller ones come later and win
    out = [ZERO] * ngroups
    totals_used, exponents_used = totals[used].tolist(), exponent[used].tolist()
    for g, t, e in zip(used.tolist(), totals_used, exponents_used):
        out[g] = Decimal(int(t) // 10 ** (scale + e)).scaleb(e)
    return out


def packed(keys: list[np.ndarray]) -> np.ndarray | None:
    """Non-negative integer keys folded into one int64 key that sorts and compares like the tuple of
    them (one sort key instead of several); None when the combined range would not fit."""
    out = np.zeros(len(keys[0]), dtype=np.int64)
    total = 1
    for k in keys:
        span = int(k.max()) + 1 if len(k) else 1
        total *= span
        if total >= 1 << 62:
            return None
        out = out * span + k
    return out


def sort_by(keys: list[np.ndarray], last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order sorting by `keys` (the first key first) and then by `last`, and for each position in
    that order whether its keys equal those of the position before."""
    if not len(last):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    key = packed(keys)
    if key is not None:
        whole = packed([key, last - last.min()])  # one stable sort when the tie-breaker fits in too
        order = np.argsort(whole, kind="stable") if whole is not None else np.lexsort((last, key))
        sorted_key = key[order]
        return order, np.r_[False, sorted_key[1:] == sorted_key[:-1]]
    order = np.lexsort((last, *reversed(keys)))
    same = np.ones(len(order) - 1, dtype=bool)
    for k in keys:
        sorted_k = k[order]
        same &= sorted_k[1:] == sorted_k[:-1]
    return order, np.r_[False, same]
