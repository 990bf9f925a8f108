"""Payments, credits, aging, collections, journal and revenue recognition (spec section 3, worked example 5)."""

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.core.aging import aging_tab, bucket_index, collections_tab
from xlbilling.core.journal import journal
from xlbilling.core.models import Adjustment, Dispute, InvoiceLineRow, Payment, RegisterRow, Settings, record
from xlbilling.core.receivables import apply_receivables, open_ar, open_ar_at
from xlbilling.core.revenue import deferred_rollforward, recognitions
from xlbilling.core.terms import Terms

from .test_billing import book, customer

AS_OF = date(2026, 12, 31)


def invoice(number, total, due, day=date(2026, 9, 1), customer_id="C1", tax=D(0)):
    return record(RegisterRow, invoice_number=number, draft_id="D", status="posted", customer_id=customer_id, invoice_date=day, usage_through=day - timedelta(days=1), due_date=due, terms=Terms(30), subtotal=total - tax, tax=tax, total=total, lines=1, posted_on=day, fingerprint="x", row=2)


def line_of(number, amount, start, end, kind="recurring", no=1, account=None):
    return record(InvoiceLineRow, invoice_number=number, draft_id="D", line_no=no, contract_id="A1", source_type=kind, source_id="L1", description="x", service_start=start, service_end=end, quantity=D(1), unit_price=amount, amount=amount, tax_category="services", tax_rate=D(0), revenue_account=account, row=2)


def ledger(invoices, lines=(), payments=(), adjustments=(), disputes=(), customers=None, settings_=None):
    b = book([], customers=customers or [customer(), customer("C2")])
    return replace(b, settings=settings_ or Settings(),
                   records={**b.records, "InvoiceRegister": tuple(invoices), "InvoiceLines": tuple(lines),
                            "Payments": tuple(payments), "Adjustments": tuple(adjustments), "Disputes": tuple(disputes)})


def pay(pid, amount, day=date(2026, 10, 5), invoice_number=None, customer_id="C1"):
    return record(Payment, payment_id=pid, date=day, customer_id=customer_id, amount=D(amount), method="ACH", invoice_number=invoice_number, row=2)


def test_worked_example_5_oldest_due_first():
    b = ledger([invoice("A", D(500), date(2026, 9, 30)), invoice("B", D(700), date(2026, 10, 31))], payments=[pay("P1", 900)])
    ar = apply_receivables(b, AS_OF)
    assert (ar.invoices["A"].balance, ar.invoices["B"].balance) == (D(0), D(300))
    assert (ar.invoices["A"].status, ar.invoices["B"].status) == ("paid", "partially_paid")


def test_named_invoice_first_then_oldest_then_lowest_number_then_unapplied():
    b = ledger([invoice("INV-2", D(100), date(2026, 9, 30)), invoice("INV-1", D(100), date(2026, 9, 30)),
                invoice("INV-3", D(100), date(2026, 11, 30))],
               payments=[pay("P1", 350, invoice_number="INV-3")])
    ar = apply_receivables(b, AS_OF)
    assert [(a.invoice_number, a.amount) for a in ar.applications] == [("INV-3", D(100)), ("INV-1", D(100)), ("INV-2", D(100))]
    assert ar.unapplied["C1"] == D(50) and open_ar(ar) == D(-50)


def test_credit_memos_are_numbered_and_write_offs_close_the_balance():
    b = ledger([invoice("A", D(500), date(2026, 9, 30)), invoice("B", D(700), date(2026, 10, 31))],
               adjustments=[record(Adjustment, adjustment_id="ADJ2", date=date(2026, 10, 9), invoice_number="B", type="credit", amount=D(100), reason="outage", row=2),
                            record(Adjustment, adjustment_id="ADJ1", date=date(2026, 10, 1), invoice_number="A", type="credit", amount=D(50), reason="fee", row=3),
                            record(Adjustment, adjustment_id="ADJ3", date=date(2026, 10, 20), invoice_number="A", type="write_off", amount=D(450), reason="small balance", row=4)],
               settings_=Settings(next_credit_memo_number=7))
    ar = apply_receivables(b, AS_OF)
    assert [(m.number, m.adjustment.adjustment_id) for m in ar.credit_memos] == [("CM-7", "ADJ1"), ("CM-8", "ADJ2")]
    assert ar.invoices["A"].balance == D(0) and ar.invoices["B"].balance == D(600)


@pytest.mark.parametrize("days,bucket", [(-5, 0), (0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4)])
def test_every_aging_bucket_boundary_day(days, bucket):
    assert bucket_index(days, (30, 60, 90)) == bucket
    b = ledger([invoice("A", D(100), AS_OF - timedelta(days=days))])
    row = aging_tab(b, apply_receivables(b, AS_OF)).rows[0]
    assert row[2 + bucket] == D(100) and row[-2] == D(100)


def test_buckets_come_from_settings():
    b = ledger([invoice("A", D(100), AS_OF - timedelta(days=45))], settings_=Settings(aging_buckets=(15, 45)))
    tab = aging_tab(b, apply_receivables(b, AS_OF))
    assert [c.title for c in tab.columns][2:6] == ["Current", "1-15", "16-45", "46+"] and tab.rows[0][4] == D(100)


def test_open_disputes_are_marked_in_aging_and_left_out_of_collections():
    invoices = [invoice("A", D(100), AS_OF - timedelta(days=20)), invoice("B", D(200), AS_OF - timedelta(days=70))]
    b = ledger(invoices, disputes=[record(Dispute, invoice_number="B", opened_date=date(2026, 12, 1), reason="hours", status="open", row=2)])
    ar = apply_receivables(b, AS_OF)
    assert aging_tab(b, ar).rows[0][-1] == D(200)
    assert [(r[0], r[-1]) for r in collections_tab(b, ar).rows] == [("A", "Reminder 2")]
    resolved = ledger(invoices, disputes=[record(Dispute, invoice_number="B", opened_date=date(2026, 12, 1), reason="hours", status="resolved", resolved_date=date(2026, 12, 10), row=2)])
    assert [(r[0], r[-1]) for r in collections_tab(resolved, apply_receivables(resolved, AS_OF)).rows] == [
        ("B", "Escalate"), ("A", "Reminder 2")]


def test_recurring_revenue_by_day_with_the_remainder_in_the_last_month():
    b = ledger([invoice("A", D("100.00"), date(2026, 10, 1), day=date(2026, 9, 15))],
               [line_of("A", D("100.00"), date(2026, 9, 15), date(2026, 12, 14))])
    schedule = recognitions(b, b.invoice_lines)
    assert [(r.month, r.amount) for r in schedule] == [(date(2026, 9, 1), D("17.58")), (date(2026, 10, 1), D("34.07")),
                                                       (date(2026, 11, 1), D("32.97")), (date(2026, 12, 1), D("15.38"))]


def test_time_revenue_follows_the_months_of_its_entries():
    from .test_billing import entry
    time_line = line_of("A", D("400.00"), date(2026, 10, 20), date(2026, 11, 5), kind="time")._replace(
        entry_ids="E1 E2 E3 EX")  # EX: no longer on the sheet; its hours are not known
    b = ledger([invoice("A", D("400.00"), date(2026, 12, 5), day=date(2026, 11, 6))], [time_line])
    b = replace(b, records={**b.records, "Timesheets": (
        entry("E1", date(2026, 10, 20), D("0.5")), entry("E2", date(2026, 11, 5), D("2.5")),
        entry("E3", date(2026, 10, 30), D("1")))})
    assert [(r.month, r.amount) for r in recognitions(b, b.invoice_lines)] == [
        (date(2026, 10, 1), D("150.00")), (date(2026, 11, 1), D("250.00"))]


def test_invoice_journal_defers_what_is_served_after_the_invoice_month():
    b = ledger([invoice("A", D("108.00"), date(2026, 10, 1), day=date(2026, 9, 15), tax=D("8.00"))],
               [line_of("A", D("100.00"), date(2026, 9, 15), date(2026, 12, 14), account="4100")])
    ar = apply_receivables(b, AS_OF)
    entries = journal(b.settings, ar, {"A": list(b.invoice_lines)}, recognitions(b, b.invoice_lines))
    first = [(e.account, e.debit, e.credit) for e in entries if e.journal_id == "A"]
    assert first == [("1200", D("108.00"), D(0)), ("2200", D(0), D("8.00")), ("2400", D(0), D("82.42")),
                     ("4100", D(0), D("17.58"))]
    december = [(e.account, e.debit, e.credit) for e in entries if e.journal_id == "REV-2026-12"]
    assert december == [("2400", D("15.38"), D(0)), ("4100", D(0), D("15.38"))]


# Property tests over random invoices, payments, credits and write-offs.

MONEY = st.decimals(min_value=D("1.00"), max_value=D("5000.00"), places=2)


@st.composite
def ledgers(draw):
    invoices, lines, events = [], [], []
    for n in range(draw(st.integers(1, 6))):
        day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
        number = f"INV-{1001 + n}"
        amounts = draw(st.lists(MONEY, min_size=1, max_size=3))
        for k, amount in enumerate(amounts, start=1):
            start = day + timedelta(days=draw(st.integers(-40, 40)))
            kind = draw(st.sampled_from(["recurring", "charge", "milestone"]))
            end = start + timedelta(days=draw(st.integers(0, 400))) if kind == "recurring" else start
            lines.append(line_of(number, amount, start, end, kind, k))
        tax = draw(st.decimals(min_value=D(0), max_value=D("300.00"), places=2))
        cust = draw(st.sampled_from(["C1", "C2"]))
        invoices.append(invoice(number, sum(amounts, D(0)) + tax, day + timedelta(days=30), day, cust, tax))
    for k in range(draw(st.integers(0, 6))):
        day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 360)))
        named = draw(st.one_of(st.none(), st.sampled_from([i.invoice_number for i in invoices])))
        events.append(pay(f"P{k}", draw(MONEY), day, named, draw(st.sampled_from(["C1", "C2"]))))
    adjustments = [record(Adjustment, adjustment_id=f"ADJ{k}", date=date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 360))), invoice_number=draw(st.sampled_from([i.invoice_number for i in invoices])), type=draw(st.sampled_from(["credit", "write_off"])), amount=draw(MONEY), reason="r", row=2)
                   for k in range(draw(st.integers(0, 3)))]
    return ledger(invoices, lines, events, adjustments)


@settings(max_examples=80, deadline=None)
@given(ledgers(), st.integers(0, 420))
def test_aging_journal_and_deferred_revenue_agree(b, offset):
    as_of = date(2026, 1, 1) + timedelta(days=offset)
    ar = apply_receivables(b, as_of)
    aging = aging_tab(b, ar)
    assert sum((row[-2] for row in aging.rows), D(0)) == open_ar(ar)
    for row in aging.rows:
        assert row[-2] == sum(row[2:-2], D(0))
    lines = defaultdict(list)
    for ln in b.invoice_lines:
        lines[ln.invoice_number].append(ln)
    posted_lines = [ln for ln in b.invoice_lines if ln.invoice_number in ar.invoices]
    schedule = recognitions(b, posted_lines)
    entries = journal(b.settings, ar, lines, schedule)
    by_journal = defaultdict(lambda: D(0))
    ar_control = D(0)
    for e in entries:
        by_journal[e.journal_id] += e.debit - e.credit
        if e.account == b.settings.gl_accounts_receivable:
            ar_control += e.debit - e.credit
    assert all(v == 0 for v in by_journal.values())
    assert ar_control == open_ar(ar)
    for ln in posted_lines:
        assert sum((r.amount for r in schedule if (r.invoice_number, r.line_no) == (ln.invoice_number, ln.line_no)),
                   D(0)) == ln.amount
    months = deferred_rollforward([i.header for i in ar.invoices.values()], schedule, as_of)
    if months:
        last = months[-1].month
        billed = sum((ln.amount for ln in posted_lines), D(0))
        recognised = sum((r.amount for r in schedule if r.month <= last), D(0))
        assert months[-1].closing == billed - recognised


@st.composite
def varied_ledgers(draw):
    """`ledgers()` and what open AR must get right as well: early-payment discounts, a credit invoice
    (negative total), a payment from a customer not in Customers."""
    b = draw(ledgers())
    invoices = list(b.register)
    for k, h in enumerate(invoices):
        what = draw(st.sampled_from(["as is", "as is", "discount", "credit invoice"]))
        if what == "discount":
            invoices[k] = h._replace(discount_date=h.invoice_date + timedelta(days=10),
                                     discount_amount=(h.total * D("0.02")).quantize(D("0.01")))
        elif what == "credit invoice":
            invoices[k] = h._replace(subtotal=-h.subtotal, tax=-h.tax, total=-h.total)
    payments = list(b.payments)
    if draw(st.booleans()):
        payments.append(pay("PX", draw(MONEY), date(2026, 6, 1), customer_id="C9"))
    return replace(b, records={**b.records, "InvoiceRegister": tuple(invoices), "Payments": tuple(payments)})


@settings(max_examples=150, deadline=None)
@given(varied_ledgers(), st.lists(st.integers(0, 420), min_size=1, max_size=6))
def test_open_ar_at_many_dates_is_open_ar_as_of_each(b, offsets):
    ends = sorted({date(2026, 1, 1) + timedelta(days=k) for k in offsets})
    assert open_ar_at(b, ends) == [open_ar(apply_receivables(b, end)) for end in ends]


@st.composite
def discount_histories(draw):
    """A year of monthly invoices to two customers on early-payment terms, some due sooner than older ones,
    paid late, early, short, over or naming an invoice (some before it is issued), with credits and
    write-offs: the month ends open AR is worked out for apply every payment in turn."""
    invoices, payments, adjustments = [], [], []
    for n in range(draw(st.integers(2, 14))):
        day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 360)))
        total = draw(MONEY)
        due = day + timedelta(days=draw(st.sampled_from([10, 30, 30, 60])))
        invoices.append(invoice(f"INV-{1001 + n}", total, due, day, draw(st.sampled_from(["C1", "C2"])))._replace(
            discount_date=day + timedelta(days=10), discount_amount=(total * D("0.02")).quantize(D("0.01"))))
    numbers = [i.invoice_number for i in invoices]
    for k in range(draw(st.integers(0, 14))):
        day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
        named = draw(st.one_of(st.none(), st.none(), st.sampled_from(numbers)))
        payments.append(pay(f"P{k:02d}", draw(MONEY), day, named, draw(st.sampled_from(["C1", "C2", "C9"]))))
    for k in range(draw(st.integers(0, 4))):
        adjustments.append(record(Adjustment, adjustment_id=f"ADJ{k}", date=date(2026, 1, 1) + timedelta(
            days=draw(st.integers(0, 400))), invoice_number=draw(st.sampled_from(numbers)), type=draw(
            st.sampled_from(["credit", "write_off"])), amount=draw(MONEY), reason="r", row=2))
    return ledger(invoices, (), payments, adjustments)


@settings(max_examples=200, deadline=None)
@given(discount_histories())
def test_open_ar_at_every_month_end_of_customers_on_discount_terms(b):
    ends = [date(2026, m, 1) - timedelta(days=1) for m in range(2, 13)] + [date(2026, 12, 31), date(2027, 2, 5)]
    assert open_ar_at(b, ends) == [open_ar(apply_receivables(b, end)) for end in ends]



def test_a_later_invoice_due_sooner_takes_an_earlier_payment_and_its_discount_at_the_later_month_end():
    """A payment applies to the open invoices as of the date asked, oldest due first: one made in January
    goes, as of February, to the February invoice due before the January one, and takes its discount."""
    january = invoice("INV-1", D(1000), date(2026, 3, 2), date(2026, 1, 1))
    february = invoice("INV-2", D(1000), date(2026, 2, 15), date(2026, 2, 5))._replace(
        discount_date=date(2026, 2, 15), discount_amount=D(20))
    b = ledger([january, february], payments=[pay("P1", 980, date(2026, 1, 20))])
    ends = [date(2026, 1, 31), date(2026, 2, 28)]
    assert [open_ar(apply_receivables(b, end)) for end in ends] == [D(20), D(1000)]
    assert open_ar_at(b, ends) == [D(20), D(1000)]

def test_kpis_per_month():
    from xlbilling.core.kpis import kpi_tab
    b = ledger([invoice("A", D(600), date(2026, 10, 31), day=date(2026, 10, 1))._replace(sent_at="2026-10-03 09:15:00"),
                invoice("B", D(400), date(2026, 10, 31), day=date(2026, 10, 1)),
                invoice("C", D(300), date(2026, 11, 30), day=date(2026, 11, 1))],
               [line_of("A", D(600), date(2026, 9, 1), date(2026, 9, 30), kind="charge")],
               payments=[pay("P1", 500, date(2026, 10, 20))],
               adjustments=[record(Adjustment, adjustment_id="ADJ1", date=date(2026, 10, 25), invoice_number="B", type="credit", amount=D(40), reason="fee", row=2)])
    ar = apply_receivables(b, date(2026, 11, 30))
    tab = kpi_tab(b, ar, {"A": list(b.invoice_lines)})
    october, november = (dict(zip([c.title for c in tab.columns], r)) for r in tab.rows)
    assert (october["Month"], october["Invoices Posted"], october["Amount Billed"]) == ("2026-10", 2, D(1000))
    assert october["Billing Accuracy"] == D("0.5000") and october["Cash Collected"] == D(500)
    assert october["Days Service End To Invoice"] == D("1.0") and october["Adjustment Amount"] == D(40)
    assert october["Days To Send"] == D("2.0") and november["Days To Send"] is None
    assert october["Open AR At Month End"] == D(460) and october["DSO"] == D("14.3")  # 460 / 1000 x 31 days
    assert november["Invoices Posted"] == 1 and november["Open AR At Month End"] == D(760)
