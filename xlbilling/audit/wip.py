"""UnbilledWIP (beyond the spec): approved billable time not yet on a posted invoice, by age."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from ..core.items import Billed
from ..core.models import Book
from ..core.money import ZERO, round_cents
from ..core.tabs import DATE, INT, MONEY, NUMBER, TEXT, Column, Tab
from ..core.time_billing import entry_rates
from ..core.timetable import group_sums

BUCKETS = ((30, "0-30 Days"), (60, "31-60 Days"), (90, "61-90 Days"), (None, "91+ Days"))


def _pairs(customer: np.ndarray, contract: np.ndarray, contracts: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (customer, contract) pairs as customer * contracts + contract, and each entry's pair
    (a group number). Most contracts have one customer: then grouping by contract needs no sort."""
    first = np.full(contracts, -1, dtype=np.int64)
    first[contract] = customer
    if len(contract) and not (customer != first[contract]).any():
        present = np.flatnonzero(np.bincount(contract, minlength=contracts))
        number = np.zeros(contracts, dtype=np.int64)
        number[present] = np.arange(len(present))
        return first[present] * contracts + present, number[contract]
    pairs, group = np.unique(customer * contracts + contract, return_inverse=True)
    return pairs, group.reshape(-1)


def unbilled_wip_tab(book: Book, as_of: date, billed: Billed) -> Tab:
    table = book.time_entries
    idx = np.flatnonzero(table.open_mask(billed.entries) & table.approved.per_entry(bool, bool) & table.positive
                         & (table.day <= as_of.toordinal()))
    customer, customer_ids = table.customer_id.canonical()
    contract, contract_ids = table.contract_id.canonical()
    pairs, group = _pairs(customer[idx], contract[idx], max(len(contract_ids), 1))
    n = len(pairs)
    all_rates, rate_values = entry_rates(book)
    rate = all_rates[idx]
    age = as_of.toordinal() - table.day[idx]
    limits = np.array([limit for limit, _ in BUCKETS[:-1]])
    bucket = np.searchsorted(limits, age, side="left")  # age <= 30 is the first bucket, and so on
    priced = rate >= 0
    hours = table.hours
    # Hours per (group, bucket, rate), then priced: exact, one Decimal product per distinct combination.
    nrates = max(len(rate_values), 1)
    cell = (group[priced] * len(BUCKETS) + bucket[priced]) * nrates + rate[priced]
    none = Decimal(0)  # a bucket nothing was added to (this very object): 0.00 without rounding
    amounts = [[none] * len(BUCKETS) for _ in range(n)]
    cells = n * len(BUCKETS) * nrates
    if cells <= 4 * len(cell) + 4096:  # few enough cells to count in place (no sort)
        used = np.flatnonzero(np.bincount(cell, minlength=cells))
        sums = group_sums(cell, hours.codes[idx[priced]], hours.values, cells)
        cell_sums = [sums[k] for k in used.tolist()]
    else:
        used, at = np.unique(cell, return_inverse=True)
        cell_sums = group_sums(at.reshape(-1), hours.codes[idx[priced]], hours.values, len(used))
    for k, h in zip(used.tolist(), cell_sums):
        g, rest = divmod(k, len(BUCKETS) * nrates)
        b, r = divmod(rest, nrates)
        amounts[g][b] += h * rate_values[r]
    total_hours = table.hours_by(group, idx, n)
    entries = np.bincount(group, minlength=n).tolist()
    no_rate = np.bincount(group, weights=~priced, minlength=n).astype(np.int64).tolist()
    oldest = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(oldest, group, table.day[idx])
    columns = (Column("Customer ID", TEXT, 12), Column("Contract ID", TEXT, 12), Column("Entries", INT, 8),
               Column("Hours", NUMBER, 9), *(Column(label, MONEY, 12) for _, label in BUCKETS),
               Column("Total", MONEY, 13), Column("Oldest Entry", DATE, 12), Column("Entries Without Rate", INT, 10))
    out = []
    for g, p in enumerate(pairs.tolist()):
        cust, cid = customer_ids[p // max(len(contract_ids), 1)], contract_ids[p % max(len(contract_ids), 1)]
        rounded = [ZERO if a is none else round_cents(a) for a in amounts[g]]
        out.append((cust, cid or None, entries[g], total_hours[g], *rounded, sum(rounded, Decimal(0)),
                    date.fromordinal(int(oldest[g])), no_rate[g]))
    out.sort(key=lambda row: (row[0], row[1] or ""))
    return Tab("UnbilledWIP", columns, out, tab_color="FF7F6000")
