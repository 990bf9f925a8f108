"""Invariants of close over generated contracts and time (hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.core.close import close
from xlbilling.core.items import Billed
from xlbilling.core.models import Rate, TaxRate, record

from .test_billing import book, contract, customer, entry, line

FREQ = st.sampled_from(["monthly", "quarterly", "semiannual", "annual"])
MONEY = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@st.composite
def books(draw):
    n = draw(st.integers(1, 4))
    contracts, lines, entries = [], [], []
    for k in range(n):
        start = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 500)))
        end = draw(st.one_of(st.none(), st.integers(10, 700).map(lambda d, s=start: s + timedelta(days=d))))
        cid = f"A{k}"
        contracts.append(contract(cid, start=start, end_date=end, billing_frequency=draw(FREQ),
                                  billing_timing=draw(st.sampled_from(["advance", "arrears"])),
                                  proration=draw(st.sampled_from(["daily", "none"])),
                                  escalation_pct=draw(st.sampled_from([None, D("0.03"), D("0.045")])),
                                  included_hours=draw(st.sampled_from([None, D(5)])), overage_rate=D("150"),
                                  not_to_exceed=draw(st.sampled_from([None, D("500"), D("2000")]))))
        for j in range(draw(st.integers(1, 2))):
            lines.append(line(draw(MONEY), f"L{k}{j}", cid, qty=D(draw(st.integers(1, 20)))))
        for j in range(draw(st.integers(0, 6))):
            day = start + timedelta(days=draw(st.integers(0, 400)))
            entries.append(entry(f"E{k}{j}", day, D(draw(st.integers(1, 16))) / 4, cid))
    taxes = [record(TaxRate, jurisdiction="TX", tax_category="services", rate=D("0.0825"), row=2)]
    return book(contracts, lines, entries, [record(Rate, work_type="Remote", rate=D("140"), row=2)], taxes, [customer()])


@settings(max_examples=60, deadline=None)
@given(books(), st.integers(0, 700))
def test_subtotal_is_the_sum_of_lines_and_closes_repeat_exactly(b, offset):
    day = date(2025, 1, 1) + timedelta(days=offset)
    first, second = close(b, day), close(b, day)
    assert first.drafts == second.drafts
    for d in first.drafts:
        assert d.subtotal == sum((l.item.amount for l in d.lines), D(0))
        assert d.total == d.subtotal + d.tax and d.tax >= 0
        assert all(l.item.amount == l.item.amount.quantize(D("0.01")) for l in d.lines)


@settings(max_examples=40, deadline=None)
@given(books())
def test_monthly_closes_bill_every_recurring_period_exactly_once(b):
    """24 monthly closes, each treated as posted, bill no period twice, and leave no gap: together they
    bill exactly what one catch-up close on the last date bills."""
    billed_keys: set[str] = set()
    seen: list[str] = []
    day = date(2025, 1, 1)
    for _ in range(24):
        result = close(b, day, billed=Billed(keys=frozenset(billed_keys)))
        keys = [l.item.key for d in result.drafts for l in d.lines if l.item.source_type == "recurring"]
        seen += keys
        billed_keys |= set(keys)
        last, day = day, (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    assert len(seen) == len(set(seen))
    catch_up = close(b, last)
    assert {l.item.key for d in catch_up.drafts for l in d.lines if l.item.source_type == "recurring"} == billed_keys


@settings(max_examples=30, deadline=None)
@given(books())
def test_close_and_post_for_24_months_numbers_gaplessly_and_bills_once(b):
    from dataclasses import replace

    from xlbilling.core.posting import billed_by, post

    headers, lines = [], []
    day = date(2025, 1, 1)
    for _ in range(24):
        current = replace(b, records={**b.records, "InvoiceRegister": tuple(headers), "InvoiceLines": tuple(lines)})
        result = close(current, day, billed=billed_by(lines))
        for header, invoice_lines in post(current, result.drafts, result.through, day).invoices:
            headers.append(header)
            lines += invoice_lines
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    numbers = [int(h.invoice_number.removeprefix("INV-")) for h in headers]
    assert numbers == list(range(1001, 1001 + len(numbers)))
    recurring = [(ln.source_id, ln.service_start) for ln in lines if ln.source_type == "recurring"]
    assert len(recurring) == len(set(recurring))
    entries = [e for ln in lines if ln.entry_ids for e in ln.entry_ids.split()]
    assert len(entries) == len(set(entries))
    for h in headers:
        assert h.subtotal == sum((ln.amount for ln in lines if ln.invoice_number == h.invoice_number), D(0))


@settings(max_examples=60, deadline=None)
@given(books(), st.integers(0, 700), st.one_of(st.none(), st.integers(-40, 60), st.integers(390, 500)), st.integers(0, 3))
def test_the_recurring_items_due_from_the_schedules_pass_are_what_the_close_works_out(b, offset, cutoff, posted):
    """close takes the recurring items due from recurring_outlook (worked out while the Timesheets load);
    they must be exactly the ones it works out itself, whatever the cutoff and what is posted."""
    from xlbilling.core.recurring import items
    from xlbilling.core.schedule import recurring_outlook

    day = date(2025, 1, 1) + timedelta(days=offset)
    through = day + timedelta(days=cutoff) if cutoff is not None else None
    earlier = close(b, day - timedelta(days=31 * posted))
    billed = Billed(keys=frozenset(l.item.key for d in earlier.drafts for l in d.lines)) if posted else Billed()
    outlook = recurring_outlook(b, day, billed, through)
    assert close(b, day, through, billed, recurring=outlook.due) == close(b, day, through, billed)
    assert not {i.key for i in outlook.due} & {i.key for i in items(b, outlook.schedule)}
