"""Spec section 4: for every rule, a case that triggers it and a neighbouring one that narrowly does not."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from xlbilling.audit import AuditContext, run_rules
from xlbilling.audit.resolve import audited_close
from xlbilling.core.items import Billed
from xlbilling.core.models import Amendment, Charge, DiscrepancyRow, Payment, Rate, TaxRate, record
from xlbilling.core.posting import billed_by, post

from .test_billing import book, contract, customer, entry, line

DAY = date(2026, 11, 1)
RATES = [record(Rate, work_type="Remote", rate=D("100"), row=2)]
TAXES = [record(TaxRate, jurisdiction="TX", tax_category=c, rate=D("0.05"), row=2) for c in ("services", "hardware", "software")]


def mk(contracts=None, lines=None, entries=(), customers=None, rates=RATES, taxes=TAXES, **records):
    b = book(contracts or [contract(start=date(2026, 1, 1))], lines if lines is not None else [line(D("100.00"))],
             entries, rates, taxes, customers or [customer(), customer("C2", billing_email="ap@c2.example")])
    return replace(b, records={**b.records, **records})


def found(b, code, day=DAY):
    _, findings = audited_close(b, day, None, billed_by(b.invoice_lines))
    return [f for f in findings if f.code == code]


def cases(code, yes, no, day=DAY):
    hit, miss = found(yes, code, day), found(no, code, day)
    assert hit and not miss, (hit, miss)
    return hit


def test_time_no_contract():
    [f] = cases("TIME_NO_CONTRACT", mk(entries=[entry("E1", date(2026, 10, 5), D(1), "ZZ")]),
                mk(entries=[entry("E1", date(2026, 10, 5), D(1), "A1")]))
    assert f.where == "Timesheets!2:2" and f.severity == "error"


def test_time_customer_mismatch():
    wrong = entry("E1", date(2026, 10, 5), D(1))._replace(customer_id="C2")
    cases("TIME_CUSTOMER_MISMATCH", mk(entries=[wrong]), mk(entries=[entry("E1", date(2026, 10, 5), D(1))]))


def test_time_outside_contract_boundary_is_the_start_date():
    c = [contract(start=date(2026, 3, 10))]
    cases("TIME_OUTSIDE_CONTRACT", mk(c, entries=[entry("E1", date(2026, 3, 9), D(1))]),
          mk(c, entries=[entry("E1", date(2026, 3, 10), D(1))]))


def test_time_no_rate_on_the_entry_date():
    rates = [record(Rate, work_type="Remote", rate=D("100"), effective_to=date(2026, 10, 4), row=2)]
    cases("TIME_NO_RATE", mk(entries=[entry("E1", date(2026, 10, 5), D(1))], rates=rates),
          mk(entries=[entry("E1", date(2026, 10, 4), D(1))], rates=rates))


def test_time_duplicate_flags_the_later_entry_only():
    e1 = entry("E1", date(2026, 10, 5), D(1))
    [f] = cases("TIME_DUPLICATE", mk(entries=[e1, e1._replace(entry_id="E2", row=3)]),
                mk(entries=[e1, e1._replace(entry_id="E2", row=3, hours=D("1.5"))]))
    assert f.targets == ("entry:E2",) and f.where == "Timesheets!3:3"


def test_time_excessive_day_above_max_daily_hours():
    cases("TIME_EXCESSIVE_DAY", mk(entries=[entry("E1", date(2026, 10, 5), D(10)), entry("E2", date(2026, 10, 5), D("6.25"))]),
          mk(entries=[entry("E1", date(2026, 10, 5), D(10)), entry("E2", date(2026, 10, 5), D(6))]))


def test_time_nonpositive():
    cases("TIME_NONPOSITIVE", mk(entries=[entry("E1", date(2026, 10, 5), D(0))]),
          mk(entries=[entry("E1", date(2026, 10, 5), D("0.25"))]))


def test_time_unapproved_up_to_the_cutoff():
    cases("TIME_UNAPPROVED", mk(entries=[entry("E1", date(2026, 10, 31), D(1), approved=False)]),
          mk(entries=[entry("E1", date(2026, 11, 1), D(1), approved=False)]))


def test_time_future_after_the_invoice_date():
    cases("TIME_FUTURE", mk(entries=[entry("E1", date(2026, 11, 2), D(1))]),
          mk(entries=[entry("E1", date(2026, 11, 1), D(1))]))


def test_cap_exceeded_but_not_when_reached_exactly():
    c = [contract(start=date(2026, 1, 1), not_to_exceed=D("300"))]
    [f] = cases("CAP_EXCEEDED", mk(c, entries=[entry("E1", date(2026, 10, 5), D(4))]),
                mk(c, entries=[entry("E1", date(2026, 10, 5), D(3))]))
    assert f.amount == D("100.00")


def test_po_missing():
    needs_po = [customer(po_required=True)]
    cases("PO_MISSING", mk(customers=needs_po), mk([contract(start=date(2026, 1, 1), po_number="PO-1")], customers=needs_po))


def test_po_exceeded_by_a_cent():
    def c(amount):
        return [contract(start=date(2026, 10, 1), po_number="PO-1", po_amount=D(amount))]
    [f] = cases("PO_EXCEEDED", mk(c("199.99")), mk(c("200.00")))  # October and November, 100.00 each
    assert f.amount == D("0.01")


def test_contract_on_hold_with_something_due():
    cases("CONTRACT_ON_HOLD", mk([contract(start=date(2026, 1, 1), status="on_hold")]),
          mk([contract(start=date(2026, 12, 1), status="on_hold")]))


def test_contract_expiring_within_the_warning_days():
    cases("CONTRACT_EXPIRING", mk([contract(start=date(2026, 1, 1), end_date=DAY + timedelta(days=60))]),
          mk([contract(start=date(2026, 1, 1), end_date=DAY + timedelta(days=61))]))


def _charge(price):
    return record(Charge, charge_id="CH1", date=date(2026, 10, 3), customer_id="C1", kind="hardware", description="UPS", quantity=D(1), unit_cost=D("540.00"), unit_price=D(price), row=2)


def test_charge_below_cost():
    cases("CHARGE_BELOW_COST", mk(Charges=(_charge("539.99"),)), mk(Charges=(_charge("540.00"),)))


def test_tax_no_rate_for_a_category():
    [f] = cases("TAX_NO_RATE", mk(Charges=(_charge("600"),), taxes=TAXES[:1]),
                mk(Charges=(_charge("600"),), taxes=[*TAXES[:1], record(TaxRate, jurisdiction="TX", tax_category="hardware", rate=D(0), row=3)]))
    assert f.targets == ("charge:CH1",)


def test_tax_exemption_expired_before_the_invoice_date():
    cases("TAX_EXEMPTION_EXPIRED", mk(customers=[customer(tax_exempt=True, exemption_expiry=date(2026, 10, 31))]),
          mk(customers=[customer(tax_exempt=True, exemption_expiry=DAY)]))


def _seat_change(new_qty):
    return [line(D("100.00"), "L1", qty=D(10), end=date(2026, 10, 31)),
            line(D("100.00"), "L2", qty=D(new_qty), start=date(2026, 11, 1))._replace(row=3)]


def test_amount_change_above_the_threshold_without_an_amendment():
    billed = Billed(keys=frozenset(f"recurring:L1:2026-{m:02d}-01" for m in range(1, 11)))
    amendment = record(Amendment, amendment_id="AM1", contract_id="A1", effective_date=date(2026, 11, 1), description="12 seats", approved_by="J", row=2)

    def codes(b):
        _, findings = audited_close(b, DAY, None, billed)
        return [f for f in findings if f.code == "AMOUNT_CHANGE"]

    [f] = codes(mk(lines=_seat_change(12)))
    assert f.amount == D("200.00") and f.where == "ContractLines!3:3"
    assert not codes(mk(lines=_seat_change(11)))  # exactly 10%: not more than the threshold
    assert not codes(mk(lines=_seat_change(12), Amendments=(amendment,)))


def _posted_book(payments=(), tamper=False):
    b = mk(contracts=[contract(start=date(2026, 10, 1))], taxes=[record(TaxRate, jurisdiction="TX", tax_category="services", rate=D(0), row=2)])
    result, _ = audited_close(b, date(2026, 10, 1), None, Billed())
    [(header, lines)] = post(b, result.drafts, result.through, date(2026, 10, 1)).invoices
    if tamper:
        header = header._replace(total=D("90.00"))
    return replace(b, records={**b.records, "InvoiceRegister": (header._replace(row=2),),
                               "InvoiceLines": tuple(ln._replace(row=2) for ln in lines), "Payments": tuple(payments)})


def _payment(amount, invoice="INV-1001", customer_id="C1"):
    return record(Payment, payment_id="P1", date=date(2026, 10, 20), customer_id=customer_id, amount=D(amount), invoice_number=invoice, row=2)


def test_payment_unmatched_customer_or_invoice():
    assert found(_posted_book([_payment("100", customer_id="C9")]), "PAYMENT_UNMATCHED")
    assert found(_posted_book([_payment("100", invoice="INV-9999")]), "PAYMENT_UNMATCHED")
    assert not found(_posted_book([_payment("100")]), "PAYMENT_UNMATCHED")


def test_payment_short_by_a_cent():
    [f] = found(_posted_book([_payment("99.99")]), "PAYMENT_SHORT")
    assert f.amount == D("0.01")
    assert not found(_posted_book([_payment("100.00")]), "PAYMENT_SHORT")


def test_customer_no_email():
    cases("CUSTOMER_NO_EMAIL", mk(customers=[customer(billing_email=None)]), mk())


def test_posted_invoice_changed():
    assert found(_posted_book(tamper=True), "POSTED_INVOICE_CHANGED")
    assert not found(_posted_book(), "POSTED_INVOICE_CHANGED")


def test_missed_billing_only_when_an_earlier_close_was_due_to_bill_it():
    posted = _posted_book()
    late = replace(posted, records={**posted.records, "ContractLines": (
        *posted.lines, line(D("50.00"), "L9", start=date(2026, 10, 1)))})
    [f] = found(late, "MISSED_BILLING")
    assert f.targets == ("recurring:L9:2026-10-01",)
    started_after = replace(posted, records={**posted.records, "ContractLines": (
        *posted.lines, line(D("50.00"), "L9", start=date(2026, 10, 10)))})
    assert not found(started_after, "MISSED_BILLING")


def test_a_crashing_rule_becomes_a_finding():
    def broken(ctx):
        raise KeyError("boom")
    b = mk()
    result, _ = audited_close(b, DAY, None, Billed())
    [f] = run_rules(AuditContext(b, DAY, date(2026, 10, 31), Billed(), result), rules=(broken,))
    assert f.code == "AUDIT_RULE_FAILED" and "broken" in f.message


def _resolution(finding, value):
    return record(DiscrepancyRow, discrepancy_id=finding.discrepancy_id, status="open", severity=finding.severity, code=finding.code, resolution=value, row=2)


def test_an_error_holds_its_draft_approve_releases_exclude_leaves_the_item_out():
    e1 = entry("E1", date(2026, 10, 5), D(1))
    b = mk(entries=[e1, e1._replace(entry_id="E2", row=3)])
    result, findings = audited_close(b, DAY, None, Billed())
    [dup] = [f for f in findings if f.code == "TIME_DUPLICATE"]
    assert result.drafts[0].holds == (f"TIME_DUPLICATE ({dup.discrepancy_id})",)
    approved = replace(b, records={**b.records, "Discrepancies": (_resolution(dup, "approve"),)})
    result, _ = audited_close(approved, DAY, None, Billed())
    assert not result.drafts[0].holds
    assert [ln.item.quantity for ln in result.drafts[0].lines if ln.item.source_type == "time"] == [D(2)]
    excluded = replace(b, records={**b.records, "Discrepancies": (_resolution(dup, "exclude"),)})
    result, findings = audited_close(excluded, DAY, None, Billed())
    assert not result.drafts[0].holds
    [time_line] = [ln.item for ln in result.drafts[0].lines if ln.item.source_type == "time"]
    assert time_line.entry_ids == ("E1",) and time_line.quantity == D(1)
    assert [f.code for f in findings if f.discrepancy_id == dup.discrepancy_id] == ["TIME_DUPLICATE"]


def test_discrepancy_ids_stay_when_rows_are_inserted_above():
    e1 = entry("E1", date(2026, 10, 5), D(1))
    dup = e1._replace(entry_id="E2", row=3)
    first = found(mk(entries=[e1, dup]), "TIME_DUPLICATE")[0]
    moved = found(mk(entries=[e1._replace(row=7), dup._replace(row=9)]), "TIME_DUPLICATE")[0]
    assert first.discrepancy_id == moved.discrepancy_id and first.where != moved.where


@pytest.mark.parametrize("code", ["TIME_DUPLICATE", "TIME_NO_RATE", "TIME_UNAPPROVED", "PO_EXCEEDED",
                                  "TAX_EXEMPTION_EXPIRED", "CHARGE_BELOW_COST"])
def test_the_sample_mistakes_are_flagged(sample_findings, code):
    assert sample_findings[code]


@pytest.fixture(scope="module")
def sample_findings():
    from xlbilling.io.template import build_workbook
    from xlbilling.io.reader import read_book
    from xlbilling.sample import CLOSE_DATE, build_sample
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Sample.xlsx"
        rows, settings = build_sample()
        path.write_bytes(build_workbook(path, rows, settings))
        b = read_book(path).book
    _, findings = audited_close(b, CLOSE_DATE, None, Billed())
    by_code: dict[str, list] = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    where = {f.code: f.where for f in findings}
    assert where["TIME_NO_RATE"].startswith("Timesheets!G") and where["TAX_EXEMPTION_EXPIRED"] == "Customers!H11"
    assert where["CHARGE_BELOW_COST"] == "Charges!I9" and where["TIME_DUPLICATE"].startswith("Timesheets!A")
    return by_code


def test_unbilled_wip_by_age():
    from xlbilling.audit.wip import unbilled_wip_tab
    b = mk(entries=[entry("E1", date(2026, 10, 25), D(2)), entry("E2", date(2026, 8, 1), D(1)),
                    entry("E3", date(2026, 9, 15), D(1), approved=False)])
    tab = unbilled_wip_tab(b, DAY, Billed(entries=frozenset({"E9"})))
    row = dict(zip([c.title for c in tab.columns], tab.rows[0]))
    assert (row["Entries"], row["0-30 Days"], row["91+ Days"], row["Total"]) == (2, D("200.00"), D("100.00"), D("300.00"))
    assert row["Oldest Entry"] == date(2026, 8, 1)
    assert unbilled_wip_tab(b, DAY, Billed(entries=frozenset({"E1", "E2"}))).rows == []


def test_discrepancies_tab_is_sorted_by_severity_then_amount():
    from xlbilling.audit.resolve import discrepancies_tab
    b = mk([contract(start=date(2026, 1, 1), end_date=DAY + timedelta(days=30))],
           entries=[entry("E1", date(2026, 10, 5), D(1), "ZZ"), entry("E2", date(2026, 10, 6), D(5), "ZZ"),
                    entry("E3", date(2026, 10, 7), D(1), approved=False)])
    _, findings = audited_close(b, DAY, None, Billed())
    tab = discrepancies_tab(findings, b, DAY)
    assert [(r[2], r[3], r[10]) for r in tab.rows] == [
        ("error", "TIME_NO_CONTRACT", D("500.00")), ("error", "TIME_NO_CONTRACT", D("100.00")),
        ("warning", "TIME_UNAPPROVED", D("100.00")), ("info", "CONTRACT_EXPIRING", None)]
    assert tab.row_fills == ["error", "error", "warning", "info"]


def test_close_summary_counts_findings_per_code():
    from xlbilling.jobs import audit_summary
    b = mk(entries=[entry("E1", date(2026, 10, 5), D(1), "ZZ"), entry("E2", date(2026, 10, 6), D(5), "ZZ")])
    _, findings = audited_close(b, DAY, None, Billed())
    lines = audit_summary(findings)
    assert lines[0].startswith("  Discrepancies: 2 error(s), 0 warning(s), 0 note(s)")
    assert lines[1].split() == ["TIME_NO_CONTRACT", "error", "2"]


def test_contract_expiring_from_the_invoice_date_both_ends_inclusive_and_not_once_ended():
    def expiring(end):
        return found(mk([contract(start=date(2026, 1, 1), end_date=end)]), "CONTRACT_EXPIRING")
    assert expiring(DAY) and expiring(DAY + timedelta(days=60))
    assert not expiring(DAY - timedelta(days=1)) and not expiring(DAY + timedelta(days=61))


def test_a_rule_is_declared_once_with_a_known_severity():
    import pytest

    from xlbilling.core.rules import REGISTRY, rule

    with pytest.raises(ValueError, match="declared twice"):
        rule("TIME_DUPLICATE", "error", what="again", action="none")(lambda ctx, say: ())
    with pytest.raises(ValueError, match="severity"):
        rule("NEW_CODE", "fatal", what="x", action="y")
    assert REGISTRY["TIME_NO_RATE"].approvable is False and REGISTRY["TIME_DUPLICATE"].approvable
