"""The recurring schedule as arrays (core/recurring.py) against the per-line reference (due.recurring_items):
the same items, digit for digit, in the same order; the same bill dates; the same BillingSchedule grid."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.core.due import recurring_items
from xlbilling.core.items import Billed
from xlbilling.core.recurring import items, recurring_periods
from xlbilling.core.schedule import billing_schedule, recurring_outlook, schedule_tab

from .test_billing import book, contract, line

DAY = st.integers(0, 1500).map(lambda d: date(2023, 1, 1) + timedelta(days=d))
PRICE = st.decimals(min_value=D("-999.99"), max_value=D("99999.99"), places=2)


@st.composite
def books(draw):
    contracts, lines = [], []
    for k in range(draw(st.integers(1, 5))):
        start = draw(st.one_of(DAY, st.sampled_from([date(2024, 2, 29), date(2023, 1, 31), date(2024, 12, 31), date(1962, 3, 5)])))
        end = draw(st.one_of(st.none(), st.integers(0, 900).map(lambda d, s=start: s + timedelta(days=d))))
        billed_through = draw(st.one_of(st.none(), st.integers(-40, 800).map(lambda d, s=start: s + timedelta(days=d))))
        cid = f"A{k}"
        contracts.append(contract(cid, start=start, end_date=end, billed_through=billed_through,
                                  billing_frequency=draw(st.sampled_from(["monthly", "quarterly", "semiannual",
                                                                          "annual"])),
                                  billing_timing=draw(st.sampled_from(["advance", "arrears"])),
                                  proration=draw(st.sampled_from(["daily", "none"])),
                                  escalation_pct=draw(st.sampled_from([None, D("0"), D("0.03"), D("0.0475"),
                                                                       D("-0.02"), D("0.5")])),
                                  status=draw(st.sampled_from(["active", "active", "on_hold"])),
                                  po_number=draw(st.sampled_from([None, "PO-7"]))))
        for j in range(draw(st.integers(0, 3))):
            own_start = draw(st.one_of(st.none(), st.integers(-30, 400).map(lambda d, s=start: s + timedelta(days=d))))
            own_end = draw(st.one_of(st.none(), st.integers(0, 600).map(lambda d, s=start: s + timedelta(days=d))))
            lines.append(line(draw(PRICE), f"L{k}{j}", cid, qty=draw(st.sampled_from([D(1), D(3), D("2.5"), D(40)])),
                              start=own_start, end=own_end, category=draw(st.sampled_from(["services", "saas"]))))
    return book(contracts, lines)


def reference(b, reach, billed):
    by = defaultdict(list)
    for ln in b.lines:
        by[ln.contract_id].append(ln)
    return [i for c in b.contracts if c.status == "active"
            for i in recurring_items(b, c, by[c.contract_id], reach, reach, billed, c.billed_through)]


def some_billed(b, draw_keys):
    everything = reference(b, date(2027, 6, 30), Billed())
    return Billed(keys=frozenset(i.key for k, i in enumerate(everything) if draw_keys(k)))


@settings(max_examples=150, deadline=None)
@given(books(), DAY, st.integers(0, 4))
def test_every_period_as_arrays_is_the_reference_item_digit_for_digit(b, reach, posted):
    billed = some_billed(b, lambda k: posted and k % (posted + 1) == 0)
    got = items(b, recurring_periods(b, reach, billed))
    want = reference(b, reach, billed)
    assert got == want
    assert [str(i.amount) for i in got] == [str(i.amount) for i in want]  # the same digits, not only values


@settings(max_examples=100, deadline=None)
@given(books(), DAY, st.one_of(st.none(), st.integers(-40, 60)), st.integers(0, 3))
def test_the_outlook_splits_the_periods_as_the_reference_close_and_schedule_do(b, day, cutoff, posted):
    """Due now: what recurring_items bills on the invoice date; ahead: the rest through 12 months, each on
    its bill date (advance: its first day; arrears: the day after it ends), and the grid sums those."""
    through = day + timedelta(days=cutoff) if cutoff is not None else day.replace(day=1) - timedelta(days=1)
    billed = some_billed(b, lambda k: posted and k % (posted + 1) == 0)
    outlook = recurring_outlook(b, day, billed, through)
    by = defaultdict(list)
    for ln in b.lines:
        by[ln.contract_id].append(ln)
    due = [i for c in b.contracts if c.status == "active"
           for i in recurring_items(b, c, by[c.contract_id], day, through, billed, c.billed_through)]
    assert outlook.due == due
    horizon = date(day.year + (day.month + 12) // 12, (day.month + 12) % 12 + 1, 1) - timedelta(days=1)
    timing = {c.contract_id: c.billing_timing for c in b.contracts}
    ahead = []
    for i in reference(b, max(horizon, through), billed):
        if i not in due:
            bill_on = i.service_start if timing[i.contract_id] == "advance" else i.service_end + timedelta(days=1)
            if bill_on <= horizon:
                ahead.append((bill_on, i))
    assert [(s.bill_on, s.item) for s in billing_schedule(b, day, billed, through)] == \
        sorted(ahead, key=lambda s: (s[0], s[1].customer_id, s[1].contract_id or "", s[1].source_id))
    grid: dict[str, list] = defaultdict(lambda: [D("0.00")] * 12)
    for bill_on, i in ahead:
        month = max(0, (bill_on.year - day.year) * 12 + bill_on.month - day.month - 1)
        grid[i.source_id][month] += i.amount
    tab = schedule_tab(outlook.schedule, day)
    assert {r[2]: [a or D(0) for a in r[4:16]] for r in tab.rows} == grid
    assert all(r[16] == sum(grid[r[2]]) for r in tab.rows)


@settings(max_examples=100, deadline=None)
@given(books(), DAY)
def test_what_two_periods_come_to_is_what_the_reference_bills_for_them(b, day):
    """AMOUNT_CHANGE's two periods of each contract (the one holding `day` and the one before), billed
    from the earlier's start, as recurring_items bills them one contract at a time."""
    from xlbilling.audit.billing_rules import two_periods
    from xlbilling.core.periods import ONE_DAY, period_of

    by = defaultdict(list)
    for ln in b.lines:
        by[ln.contract_id].append(ln)
    asked, want = [], []
    for c in b.contracts:
        if c.status != "active":
            continue
        current = period_of(c.start_date, c.billing_frequency, day)
        previous = period_of(c.start_date, c.billing_frequency, current.start - ONE_DAY)
        totals = defaultdict(lambda: D("0.00"))
        for i in recurring_items(b, c, by[c.contract_id], current.end, current.end, Billed(), previous.start - ONE_DAY):
            totals[period_of(c.start_date, c.billing_frequency, i.service_start).start] += i.amount
        asked.append((c, previous, current))
        want.append((totals[previous.start], totals[current.start]))
    got = two_periods(b, asked, by)
    assert got == want
    assert [(str(x), str(y)) for x, y in got] == [(str(x), str(y)) for x, y in want]
