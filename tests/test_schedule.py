"""BillingSchedule (next 12 months as they will be billed) and ContractStatus."""

from datetime import date
from decimal import Decimal as D

from xlbilling.core.models import InvoiceLineRow, RegisterRow, record
from xlbilling.core.schedule import billing_schedule, contract_status_tab, recurring_outlook, schedule_tab
from xlbilling.core.terms import Terms

from .test_billing import book, contract, entry, line


def test_schedule_shows_escalation_proration_and_the_end_of_a_contract():
    b = book([contract(start=date(2026, 2, 1), billing_frequency="quarterly", escalation_pct=D("0.03"),
                       end_date=date(2027, 3, 15))], [line(D("900.00"))])
    got = [(s.bill_on, s.item.service_start, s.item.service_end, s.item.amount)
           for s in billing_schedule(b, date(2026, 11, 1))]
    # Nov-Jan is due now (not future); Feb-Apr starts on the anniversary: escalated, and cut at the end date
    assert got == [(date(2027, 2, 1), date(2027, 2, 1), date(2027, 3, 15), D("447.88"))]  # 927 x 43/89


def test_schedule_of_an_arrears_line_bills_the_day_after_each_period():
    b = book([contract(start=date(2026, 9, 1), billing_timing="arrears")], [line(D("310.00"))])
    got = billing_schedule(b, date(2026, 11, 1), months=2)  # the bills of December and January
    assert [(s.bill_on, s.item.service_start) for s in got] == [(date(2026, 12, 1), date(2026, 11, 1)),
                                                                (date(2027, 1, 1), date(2026, 12, 1))]


def _posted(number, contract_id, kind, amount):
    header = record(RegisterRow, invoice_number=number, draft_id="D", status="posted", customer_id="C1", invoice_date=date(2026, 10, 1), usage_through=date(2026, 9, 30), due_date=date(2026, 10, 31), terms=Terms(30), subtotal=amount, tax=D(0), total=amount, lines=1, fingerprint="x", row=2)
    line_row = record(InvoiceLineRow, invoice_number=number, draft_id="D", line_no=1, contract_id=contract_id, source_type=kind, source_id="x", service_start=date(2026, 9, 1), service_end=date(2026, 9, 30), quantity=D(1), unit_price=amount, amount=amount, tax_category="services", tax_rate=D(0), row=2)
    return header, line_row


def test_contract_status_po_cap_hours_and_expiry():
    c = contract(start=date(2026, 1, 1), end_date=date(2026, 12, 31), po_number="PO-1", po_amount=D("5000"),
                 not_to_exceed=D("3000"), included_hours=D(10), overage_rate=D(150))
    b = book([c], [line(D("1000.00"))], entries=[entry("E1", date(2026, 10, 3), D(4)), entry("E2", date(2026, 9, 3), D(6))])
    h1, l1 = _posted("INV-1", "A1", "recurring", D("1000.00"))
    h2, l2 = _posted("INV-2", "A1", "overage", D("450.00"))
    tab = contract_status_tab(b, date(2026, 11, 1), [h1, h2], [l1, l2], recurring_outlook(b, date(2026, 11, 1)).schedule)
    row = dict(zip([col.title for col in tab.columns], tab.rows[0]))
    assert row["Billed To Date"] == D("1450.00") and row["PO Remaining"] == D("3550.00")
    assert row["Cap Remaining"] == D("2550.00") and row["Days To Expiry"] == 60
    assert row["Hours Period Start"] == date(2026, 10, 1) and row["Hours Used"] == D(4)
    assert row["Next Bill On"] == date(2026, 12, 1) and row["Next Bill Amount"] == D("1000.00")


def test_schedule_tab_is_a_grid_of_months_per_line():
    b = book([contract(start=date(2026, 1, 1), escalation_pct=D("0.10"))],
             [line(D("100.00")), line(D("50.00"), "L2", start=date(2026, 11, 20))])
    tab = schedule_tab(recurring_outlook(b, date(2026, 11, 1)).schedule, date(2026, 11, 1))
    titles = [c.title for c in tab.columns]
    assert titles[4:6] == ["Dec 2026", "Jan 2027"] and titles[-1] == "Next 12 Months"
    l1, l2 = tab.rows
    assert l1[2] == "L1" and l1[4] == D("100.00") and l1[5] == D("110.00") and l1[-1] == D("100.00") + 11 * D("110.00")
    # L2 starts on 20 November, after the invoice date: the December close bills November's part and December
    assert l2[4] == D("18.33") + D("50.00")


def test_status_and_schedule_tabs_do_not_depend_on_the_order_of_the_schedule():
    """The close hands the tabs its schedule contract by contract, unsorted."""
    import numpy as np

    b = book([contract("A1", start=date(2026, 1, 1), billing_frequency="quarterly"),
              contract("A2", start=date(2026, 3, 10), billing_timing="arrears")],
             [line(D("100.00")), line(D("50.00"), "L2", start=date(2026, 11, 20)), line(D("70.00"), "L3", "A2"),
              line(D("20.00"), "L4", "A2", start=date(2027, 2, 1))])
    day = date(2026, 11, 1)
    ordered = billing_schedule(b, day)
    unsorted = recurring_outlook(b, day).schedule
    assert len(unsorted) == len(ordered) > 4
    for k in range(5):
        shuffled = unsorted.take(np.random.default_rng(k).permutation(len(unsorted)))
        assert schedule_tab(shuffled, day) == schedule_tab(unsorted, day)
        assert contract_status_tab(b, day, [], [], shuffled) == contract_status_tab(b, day, [], [], unsorted)
    status = contract_status_tab(b, day, [], [], unsorted)
    for row in status.rows:  # the earliest bill and everything it bills
        first = next(s.bill_on for s in ordered if s.item.contract_id == row[0])
        amount = sum(s.item.amount for s in ordered if s.item.contract_id == row[0] and s.bill_on == first)
        assert (row[9], row[10]) == (first, amount)
