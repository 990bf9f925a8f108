"""The Timesheets columns and the array rules on them give what the spec's rules give entry by entry.

Each array implementation is checked against a plain per-entry reading of the spec written here,
over generated entries (hypothesis): time billing (rates, included hours, caps, lines), duplicate
time and over-long days; and the helpers they stand on.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.audit.base import AuditContext
from xlbilling.audit.time_rules import duplicates, excessive_day
from xlbilling.core.close import close
from xlbilling.core.items import Billed, RateBook
from xlbilling.core.models import Rate, TimeEntry, record
from xlbilling.core.money import ZERO, round_cents
from xlbilling.core.periods import period_of
from xlbilling.core.time_billing import time_items
from xlbilling.core.timetable import Coded, TimeTable, group_sums, packed, sort_by

from .test_billing import book, contract, customer

START = date(2026, 1, 1)
THROUGH = date(2026, 6, 30)
WORK = ["Remote", "Onsite", "remote "]


@st.composite
def entries(draw, n_contracts=3):
    out = []
    for k in range(draw(st.integers(0, 40))):
        out.append(record(TimeEntry, entry_id=f"E{draw(st.integers(0, 99)):02d}-{k}", date=START + timedelta(days=draw(st.integers(-20, 220))), technician=draw(st.sampled_from(["Ann", "ann ", "Bob"])), customer_id=draw(st.sampled_from(["C1", "C1", "C2"])), contract_id=draw(st.sampled_from([f"A{i}" for i in range(n_contracts)] + [None, "ZZ"])), ticket_id=draw(st.sampled_from(["T1", "T2", None])), work_type=draw(st.sampled_from(WORK)), hours=draw(st.sampled_from([D("0.25"), D("1"), D("1.0"), D("2.5"), D("8"), D("0"), D("0.1")])), billable=draw(st.sampled_from([True, True, False])), approved=draw(st.sampled_from([True, True, False])), invoice_number=draw(st.sampled_from([None, None, None, "INV-1"])), row=k + 2))
    return out


@st.composite
def time_books(draw):
    contracts = [contract(f"A{i}", start=START + timedelta(days=draw(st.integers(0, 40))),
                          end_date=draw(st.sampled_from([None, date(2026, 5, 20)])),
                          billing_frequency=draw(st.sampled_from(["monthly", "quarterly"])),
                          included_hours=draw(st.sampled_from([None, D(3), D("2.5")])),
                          overage_rate=draw(st.sampled_from([None, D("150")])),
                          not_to_exceed=draw(st.sampled_from([None, D("300"), D("1000")])))
                 for i in range(3)]
    rates = [record(Rate, work_type="Remote", rate=D("100"), row=2), record(Rate, work_type="Onsite", rate=D("120"), effective_to=date(2026, 3, 31), row=3),
             record(Rate, work_type="Onsite", rate=D("130"), effective_from=date(2026, 4, 1), row=4),
             record(Rate, contract_id="A1", work_type="Remote", rate=D("90"), effective_from=date(2026, 2, 15), row=5)]
    rows = draw(entries())
    return book(contracts, (), rows, rates, (), [customer(), customer("C2")])


def reference_time(b, through, billed):
    """Spec section 3, time and materials, one entry at a time."""
    rates = RateBook(b.rates)
    active = {c.contract_id: c for c in b.contracts if c.status == "active"}
    by_contract = defaultdict(list)
    for e in sorted(b.time_entries, key=lambda e: e.row):
        c = active.get(e.contract_id)
        if (c and e.approved and e.billable and e.date <= through and e.hours > 0 and c.customer_id == e.customer_id
                and c.start_date <= e.date and (c.end_date is None or e.date <= c.end_date)):
            by_contract[c.contract_id].append(e)
    items, capped = [], {}
    for cid, es in by_contract.items():
        c = active[cid]
        ordered = c.included_hours or c.not_to_exceed is not None
        if ordered:
            es = sorted(es, key=lambda e: (e.date, e.entry_id))
        splits, used, included = [], defaultdict(D), []
        for e in es:
            rate = rates.rate(cid, e.work_type, e.date)
            if rate is None:
                continue
            if not c.included_hours:
                splits.append((e, e.hours, rate, "time"))
                continue
            start = period_of(c.start_date, c.billing_frequency, e.date).start
            covered = min(max(c.included_hours - used[start], D(0)), e.hours)
            used[start] += covered
            if e.hours > covered:
                splits.append((e, e.hours - covered, c.overage_rate or rate, "overage"))
            else:  # covered whole by the included hours: billed work, on a line at no charge
                included.append(e)
        splits = [s for s in splits if not s[0].invoice_number and s[0].entry_id not in billed.entries]
        included = [e for e in included if not e.invoice_number and e.entry_id not in billed.entries]
        if included:
            ids = tuple(e.entry_id for e in included)
            items.append((f"included:{cid}:{ids[0]}", D("0.00"), ids))
        remaining = None if c.not_to_exceed is None else max(c.not_to_exceed - billed.time_billed.get(cid, D(0)), D(0))
        groups, left = defaultdict(list), D(0)
        for e, hours, rate, kind in splits:
            amount = hours * rate
            if remaining is not None:
                if amount > remaining:
                    if remaining > 0:
                        items.append((f"{kind}:{cid}:{e.entry_id}:cap", round_cents(remaining), (e.entry_id,)))
                    left += amount - remaining
                    remaining = D(0)
                    continue
                remaining -= amount
            groups[(kind, e.work_type, rate)].append((e, hours))
        for (kind, work, rate), group in groups.items():
            hours = sum((h for _, h in group), D(0))
            ids = tuple(e.entry_id for e, _ in group)
            items.append((f"{kind}:{cid}:{work}:{rate}:{ids[0]}", round_cents(hours * rate), ids))
        if round_cents(left):
            capped[cid] = round_cents(left)
    return sorted(items), capped


@settings(max_examples=150, deadline=None)
@given(time_books(), st.sets(st.sampled_from([f"E{i:02d}" for i in range(100)]), max_size=5))
def test_time_billing_matches_the_rules_entry_by_entry(b, billed_prefixes):
    billed_ids = frozenset(e.entry_id for e in b.time_entries if e.entry_id.split("-")[0] in billed_prefixes)
    billed = Billed(entries=billed_ids, time_billed={"A0": D("250")})
    active = {c.contract_id: c for c in b.contracts}
    got, capped = time_items(b, active, THROUGH, billed)
    assert (sorted((i.key, i.amount, i.entry_ids) for i in got), capped) == reference_time(b, THROUGH, billed)


def _context(b):
    result = close(b, THROUGH + timedelta(days=1))
    return AuditContext(b, THROUGH + timedelta(days=1), THROUGH, Billed(), result)


@settings(max_examples=100, deadline=None)
@given(entries())
def test_duplicate_time_matches_the_rule_entry_by_entry(rows):
    b = book([contract("A0", start=START)], (), rows, (), (), [customer(), customer("C2")])
    first, expected = {}, []
    for e in sorted(rows, key=lambda e: e.row):
        key = (e.technician.strip().lower(), e.date, e.ticket_id, e.work_type.strip().lower(), e.hours)
        if key not in first:
            first[key] = e
        elif e.billable and not e.invoice_number:
            expected.append((e.entry_id, first[key].entry_id))
    got = [(f.subject.split(":", 1)[1], f.expected.split("(")[1].split(" ")[0]) for f in duplicates(_context(b))]
    rows_of = {e.entry_id: e.row for e in rows}
    assert [(a, f"Timesheets!{rows_of[o]}:{rows_of[o]}") for a, o in expected] == got


@settings(max_examples=100, deadline=None)
@given(entries(), st.sampled_from([D(2), D("2.5"), D(8)]))
def test_long_days_match_the_rule_entry_by_entry(rows, limit):
    b = book([contract("A0", start=START)], (), rows, (), (), [customer(), customer("C2")])
    b = b.__class__(b.settings.model_copy(update={"max_daily_hours": limit}), b.records, b.columns)
    days = defaultdict(list)
    for e in rows:
        if e.hours > 0:
            days[(e.technician.strip().lower(), e.date)].append(e)
    expected = sorted((day, tech) for (tech, day), es in days.items()
                      if sum((e.hours for e in es), D(0)) > limit and any(e.billable and not e.invoice_number for e in es))
    got = [f for f in excessive_day(_context(b))]
    assert [(date.fromisoformat(f.subject.rsplit(":", 1)[1]), f.subject.split(":")[1].strip().lower()) for f in got] \
        == expected


def test_the_table_holds_the_records_it_was_made_of():
    rows = [record(TimeEntry, entry_id="E1", date=START, technician="Ann", customer_id="C1", contract_id="A1", work_type="Remote", hours=D("1.5"), billable=True, approved=True, row=2),
            record(TimeEntry, entry_id="E2", date=START, technician="Bob", customer_id="C1", ticket_id="T9", work_type="Onsite", hours=D("1.50"), billable=True, approved=False, notes="n", invoice_number="INV-7", row=3)]
    table = TimeTable.of(rows)
    assert list(table) == rows and table == tuple(rows) and table.entry(1) == rows[1]
    assert list(table.take(np.array([1]))) == [rows[1]]
    assert table.entries(np.array([1, 0, 1])) == [rows[1], rows[0], rows[1]] and table.entries([]) == []
    assert table.isin_ids({"E2"}).tolist() == [False, True]
    assert table.open_mask(frozenset({"E1"})).tolist() == [False, False]
    assert table.hours_by(np.array([0, 0]), np.array([0, 1]), 1) == [D("3.00")]
    assert table.technician.canonical(str.lower)[1] == ["ann", "bob"]
    again = TimeTable.of([*rows, rows[0]._replace(row=4)])  # an ID used twice: its first entry is the one found
    assert again.positions == {"E1": 0, "E2": 1}


def test_group_sums_are_exact():
    codes = np.array([0, 1, 0, 1, 1])
    assert group_sums(np.array([0, 0, 1, 1, 1]), codes, [D("0.1"), D("0.2")], 3) == [D("0.3"), D("0.5"), D(0)]


HOURS = st.sampled_from([D("0.25"), D("1"), D("1.5"), D("2.00"), D("-0.5"), D("0.125"), D("7.3333"), D("0"),
                         D("1E+1"), D("123456789.123")])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), HOURS), max_size=40), st.booleans())
def test_group_sums_are_the_decimal_sums_digit_for_digit(rows, huge):
    """Summed as integers or pair by pair, each group's sum is ZERO plus its values, exponent included
    (it shows as text on invoices: 3.00 is not 3)."""
    values = sorted({h for _, h in rows}, key=str) + ([D("9" * 15)] if huge else [])
    groups = np.array([g for g, _ in rows], dtype=np.int64)
    codes = np.array([values.index(h) for _, h in rows], dtype=np.int64)
    expected = [ZERO] * 5
    for g, h in rows:
        expected[g] += h
    got = group_sums(groups, codes, values, 5)
    assert [str(x) for x in got] == [str(x) for x in expected]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2**40)), max_size=30))
def test_sorting_on_packed_keys_is_sorting_on_the_tuple(rows):
    keys = [np.array([r[i] for r in rows], dtype=np.int64) for i in range(3)]
    last = np.arange(len(rows))[::-1].copy()
    order, same = sort_by(keys, last)
    expected = sorted(range(len(rows)), key=lambda i: (rows[i], last[i]))
    assert order.tolist() == expected
    assert same.tolist() == [k > 0 and rows[expected[k]] == rows[expected[k - 1]] for k in range(len(rows))]


def test_keys_too_wide_to_pack_are_sorted_one_by_one():
    wide = [np.array([2**40, 0, 2**40]), np.array([2**30, 5, 1])]
    assert packed(wide) is None
    order, same = sort_by(wide, np.array([0, 1, 2]))
    assert order.tolist() == [1, 2, 0] and same.tolist() == [False, False, False]


def test_coded_values_spread_once_per_distinct_value():
    column = Coded(np.array([1, 0, 1, 2]), ["a", "b", None])
    calls = []
    assert column.per_entry(lambda v: calls.append(v) or v.upper(), object, "-").tolist() == ["B", "A", "B", "-"]
    assert calls == ["a", "b"]


@settings(max_examples=120, deadline=None)
@given(time_books(), st.sets(st.sampled_from([f"E{i:02d}" for i in range(100)]), max_size=5), st.booleans())
def test_unbilled_wip_matches_the_entries_one_by_one(b, billed_prefixes, one_customer):
    """UnbilledWIP: open, approved entries with hours, up to the day, by customer and contract, priced
    at their rates and aged in buckets; worked out here entry by entry."""
    from xlbilling.audit.wip import BUCKETS, unbilled_wip_tab

    if one_customer:  # every contract's entries for one customer: the grouping that needs no sort
        b = b.__class__(b.settings, {**b.records, "Timesheets": TimeTable.of(
            [e._replace(customer_id="C1") for e in b.time_entries])}, b.columns)
    as_of = THROUGH
    billed = frozenset(e.entry_id for e in b.time_entries if e.entry_id.split("-")[0] in billed_prefixes)
    rates = RateBook(b.rates)
    groups = defaultdict(list)
    for e in b.time_entries:
        if e.billable and not e.invoice_number and e.entry_id not in billed and e.approved and e.hours > 0 \
                and e.date <= as_of:
            groups[(e.customer_id, e.contract_id)].append(e)
    expected = []
    for (cust, cid), es in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        buckets, no_rate = [D(0)] * len(BUCKETS), 0
        for e in es:
            rate = rates.rate(e.contract_id, e.work_type, e.date)
            if rate is None:
                no_rate += 1
                continue
            age = (as_of - e.date).days
            k = next(i for i, (limit, _) in enumerate(BUCKETS) if limit is None or age <= limit)
            buckets[k] += e.hours * rate
        rounded = [round_cents(a) for a in buckets]
        expected.append((cust, cid, len(es), sum((e.hours for e in es), ZERO), *rounded, sum(rounded, D(0)),
                         min(e.date for e in es), no_rate))
    assert unbilled_wip_tab(b, as_of, Billed(entries=billed)).rows == expected
