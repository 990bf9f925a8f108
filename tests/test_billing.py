"""Billing on the worked examples of spec section 6 and the rules' boundaries, on inline records."""

from datetime import date
from decimal import Decimal as D

from xlbilling.core.due import due_items, recurring_key
from xlbilling.core.items import Billed
from xlbilling.core.invoicing import Line, build_drafts, tax_of
from xlbilling.core.models import Book, Contract, ContractLine, Customer, Rate, TaxRate, TimeEntry, Settings, record
from xlbilling.core.terms import Terms


def customer(cid="C1", **kw):
    return record(Customer, **{"customer_id": cid, "name": "Acme", "billing_email": "ap@acme.example",
                               "tax_jurisdiction": "TX", "row": 2, **kw})


def contract(cid="A1", start=date(2026, 3, 10), **kw):
    return record(Contract, **{"contract_id": cid, "customer_id": "C1", "start_date": start, "row": 2, **kw})


def line(price, lid="L1", cid="A1", qty=D(1), start=None, end=None, category="services"):
    return record(ContractLine, line_id=lid, contract_id=cid, description="Managed services", quantity=qty,
                  unit_price=price, start_date=start, end_date=end, tax_category=category, row=2)


def entry(eid, day, hours, contract_id="A1", work="Remote", approved=True):
    return record(TimeEntry, entry_id=eid, date=day, technician="Ann", customer_id="C1", contract_id=contract_id,
                  ticket_id="T1", work_type=work, hours=hours, approved=approved, row=2)


def book(contracts, lines=(), entries=(), rates=(), taxes=(), customers=None):
    return Book(Settings(), {"Customers": tuple(customers or [customer()]), "Contracts": tuple(contracts),
                             "ContractLines": tuple(lines), "Timesheets": tuple(entries), "RateCard": tuple(rates),
                             "TaxRates": tuple(taxes)})


def amounts(items, kind="recurring"):
    return [(i.service_start, i.amount) for i in items if i.source_type == kind]


def test_example_1_monthly_advance_prorated_first_month():
    b = book([contract()], [line(D("1500.00"))])
    items, _ = due_items(b, date(2026, 3, 1), date(2026, 2, 28), Billed())
    assert items == []
    items, _ = due_items(b, date(2026, 4, 1), date(2026, 3, 31), Billed())
    assert amounts(items) == [(date(2026, 3, 10), D("1064.52")), (date(2026, 4, 1), D("1500.00"))]


def test_example_2_quarterly_escalation_from_the_anniversary():
    b = book([contract(start=date(2026, 2, 1), billing_frequency="quarterly", escalation_pct=D("0.03"))],
             [line(D("900.00"))])
    items, _ = due_items(b, date(2027, 2, 1), date(2027, 1, 31), Billed())
    got = dict(amounts(items))
    assert got[date(2026, 11, 1)] == D("900.00") and got[date(2027, 2, 1)] == D("927.00")
    assert sorted(got) == [date(2026, 2, 1), date(2026, 5, 1), date(2026, 8, 1), date(2026, 11, 1), date(2027, 2, 1)]


def test_example_3_block_hours_overage():
    c = contract(start=date(2026, 1, 1), included_hours=D(10), overage_rate=D("150"))
    entries = [entry("E1", date(2026, 10, 2), D("4.0")), entry("E2", date(2026, 10, 9), D("5.0")),
               entry("E3", date(2026, 10, 20), D("3.5"))]
    b = book([c], entries=entries, rates=[record(Rate, work_type="Remote", rate=D("140"), row=2)])
    items, _ = due_items(b, date(2026, 11, 1), date(2026, 10, 31), Billed())
    [over] = [i for i in items if i.source_type == "overage"]
    assert (over.quantity, over.unit_price, over.amount, over.entry_ids) == (D("2.5"), D("150"), D("375.00"), ("E3",))
    assert not [i for i in items if i.source_type == "time"]


def test_example_4_tax_per_rate_rounded_once():
    from xlbilling.core.items import Item
    def it(amount, cat):
        return Item("k", "charge", "x", "C1", None, "d", date(2026, 11, 1), date(2026, 11, 1), D(1), amount, amount,
                    cat, None, "Charges!A2")
    lines = [Line(1, it(D("1200.00"), "services"), D(0)), Line(2, it(D("849.99"), "hardware"), D("0.0825")),
             Line(3, it(D("129.50"), "hardware"), D("0.0825"))]
    assert tax_of(lines) == D("80.81")


def test_arrears_period_due_when_it_ends_on_the_cutoff():
    b = book([contract(start=date(2026, 9, 1), billing_timing="arrears")], [line(D("310.00"))])
    items, _ = due_items(b, date(2026, 11, 1), date(2026, 10, 31), Billed())
    assert amounts(items) == [(date(2026, 9, 1), D("310.00")), (date(2026, 10, 1), D("310.00"))]
    items, _ = due_items(b, date(2026, 11, 1), date(2026, 10, 30), Billed())
    assert amounts(items) == [(date(2026, 9, 1), D("310.00"))]


def test_contract_ending_mid_period_is_prorated_and_stops():
    b = book([contract(start=date(2026, 1, 1), end_date=date(2026, 2, 14))], [line(D("2800.00"))])
    items, _ = due_items(b, date(2026, 6, 1), date(2026, 5, 31), Billed())
    assert amounts(items) == [(date(2026, 1, 1), D("2800.00")), (date(2026, 2, 1), D("1400.00"))]


def test_a_period_covered_by_two_lines_mid_month_change():
    lines = [line(D("95.00"), "L1", qty=D(10), end=date(2026, 10, 15)),
             line(D("95.00"), "L2", qty=D(12), start=date(2026, 10, 16))]
    b = book([contract(start=date(2026, 10, 1))], lines)
    items, _ = due_items(b, date(2026, 10, 16), date(2026, 9, 30), Billed())  # L2 is due once it has started
    assert [(i.source_id, i.amount) for i in items] == [("L1", D("459.68")), ("L2", D("588.39"))]


def test_items_on_posted_invoices_are_never_billed_again():
    b = book([contract(start=date(2026, 1, 1))], [line(D("100.00"))])
    billed = Billed(keys=frozenset({recurring_key("L1", date(2026, 1, 1))}))
    items, _ = due_items(b, date(2026, 2, 1), date(2026, 1, 31), billed)
    assert amounts(items) == [(date(2026, 2, 1), D("100.00"))]


def test_not_to_exceed_reached_exactly_and_crossed():
    c = contract(start=date(2026, 1, 1), not_to_exceed=D("300"))
    rates = [record(Rate, work_type="Remote", rate=D("100"), row=2)]
    exact = book([c], entries=[entry("E1", date(2026, 10, 1), D("3"))], rates=rates)
    items, capped = due_items(exact, date(2026, 11, 1), date(2026, 10, 31), Billed())
    assert [i.amount for i in items] == [D("300.00")] and capped == {}
    crossing = book([c], entries=[entry("E1", date(2026, 10, 1), D("2")), entry("E2", date(2026, 10, 2), D("2"))],
                    rates=rates)
    items, capped = due_items(crossing, date(2026, 11, 1), date(2026, 10, 31), Billed())
    assert sorted(i.amount for i in items) == [D("100.00"), D("200.00")] and capped == {"A1": D("100.00")}
    items, _ = due_items(crossing, date(2026, 11, 1), date(2026, 10, 31), Billed(time_billed={"A1": D("300")}))
    assert items == []


def test_contract_rate_wins_and_rates_are_effective_dated():
    rates = [record(Rate, work_type="Remote", rate=D("140"), effective_to=date(2026, 9, 30), row=2), record(Rate, work_type="Remote", rate=D("150"), effective_from=date(2026, 10, 1), row=3),
             record(Rate, contract_id="A1", work_type="Remote", rate=D("125"), row=4)]
    b = book([contract(start=date(2026, 1, 1)), contract("A2", start=date(2026, 1, 1))],
             entries=[entry("E1", date(2026, 9, 30), D(1), "A2"), entry("E2", date(2026, 10, 1), D(1), "A2"),
                      entry("E3", date(2026, 10, 1), D(1), "A1")], rates=rates)
    items, _ = due_items(b, date(2026, 11, 1), date(2026, 10, 31), Billed())
    assert sorted((i.contract_id, i.unit_price) for i in items) == [("A1", D("125")), ("A2", D("140")), ("A2", D("150"))]


def test_drafts_group_tax_and_terms():
    customers = [customer(payment_terms=Terms(30, D("0.02"), 10))]
    taxes = [record(TaxRate, jurisdiction="TX", tax_category="services", rate=D("0.0825"), row=2)]
    b = book([contract(start=date(2026, 11, 1))], [line(D("1000.00"))], taxes=taxes, customers=customers)
    items, _ = due_items(b, date(2026, 11, 1), date(2026, 10, 31), Billed())
    [draft] = build_drafts(b, items, date(2026, 11, 1))
    assert (draft.draft_id, draft.subtotal, draft.tax, draft.total) == ("D-C1", D("1000.00"), D("82.50"), D("1082.50"))
    assert draft.due_date == date(2026, 12, 1) and draft.discount == (date(2026, 11, 11), D("21.65"))


def test_expired_exemption_is_taxed():
    customers = [customer(tax_exempt=True, exemption_expiry=date(2026, 9, 30))]
    taxes = [record(TaxRate, jurisdiction="TX", tax_category="services", rate=D("0.10"), row=2)]
    b = book([contract(start=date(2026, 11, 1))], [line(D("100.00"))], taxes=taxes, customers=customers)
    items, _ = due_items(b, date(2026, 11, 1), date(2026, 10, 31), Billed())
    assert build_drafts(b, items, date(2026, 11, 1))[0].tax == D("10.00")


def test_billed_through_skips_service_invoiced_before_cut_over():
    b = book([contract(start=date(2025, 1, 1), billed_through=date(2026, 10, 15))], [line(D("3100.00"))])
    items, _ = due_items(b, date(2026, 11, 1), date(2026, 10, 31), Billed())
    assert amounts(items) == [(date(2026, 10, 16), D("1600.00")), (date(2026, 11, 1), D("3100.00"))]


def test_starts_on_the_29th_to_31st():
    b = book([contract(start=date(2026, 1, 31))], [line(D("3100.00"))])
    items, _ = due_items(b, date(2026, 3, 1), date(2026, 2, 28), Billed())
    assert amounts(items) == [(date(2026, 1, 31), D("100.00")), (date(2026, 2, 1), D("3100.00")),
                              (date(2026, 3, 1), D("3100.00"))]
    leap = book([contract(start=date(2024, 2, 29), billing_frequency="annual", escalation_pct=D("0.10"))],
                [line(D("1000.00"))])
    items, _ = due_items(leap, date(2025, 2, 28), date(2025, 1, 31), Billed())
    # the grid runs Feb-Jan: the first period is covered from 29 Feb (338 of 366 days); the 2025 period
    # starts on 1 Feb 2025, before the first anniversary (28 Feb 2025), so it is not escalated yet
    assert amounts(items) == [(date(2024, 2, 29), D("923.50")), (date(2025, 2, 1), D("1000.00"))]
    items, _ = due_items(leap, date(2026, 2, 1), date(2026, 1, 31), Billed())
    assert amounts(items)[-1] == (date(2026, 2, 1), D("1100.00"))
    thirtieth = book([contract(start=date(2026, 1, 30), billing_frequency="quarterly")], [line(D("900.00"))])
    items, _ = due_items(thirtieth, date(2026, 1, 30), date(2025, 12, 31), Billed())
    assert amounts(items) == [(date(2026, 1, 30), D("610.00"))]  # 30 Jan to 31 Mar: 61 of the 90 days


def test_a_contract_on_hold_bills_nothing():
    b = book([contract(start=date(2026, 1, 1), status="on_hold")], [line(D("100.00"))],
             entries=[entry("E1", date(2026, 1, 5), D(1))], rates=[record(Rate, work_type="Remote", rate=D("100"), row=2)])
    assert due_items(b, date(2026, 2, 1), date(2026, 1, 31), Billed()) == ([], {})
