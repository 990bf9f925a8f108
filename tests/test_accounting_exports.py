"""The hand-off to accounting on the sample book (three posted months, payments, credit memos, write-offs):
each file checked against the importing system's documented rules, balanced, equal to the GLJournal
tab, and remembered so that nothing is exported twice unasked."""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
import python_calamine

from xlbilling.cli import main

from .office import convert, csv_of

FROM, TO = "2026-09-01", "2026-11-30"
CHART = {  # account: name in QuickBooks, BC number, GP account, QuickBooks item
    "1000": ("Checking", "10100", "000-1000-00", None),
    "1200": ("Accounts Receivable (A/R)", "13100", "000-1200-00", None),
    "2200": ("Sales Tax Payable", "22100", "000-2200-00", None),
    "2400": ("Deferred Revenue", "24100", "000-2400-00", "Managed Services (deferred)"),
    "4000": ("Services:Managed", "40100", "000-4000-00", "Managed Services"),
    "4200": ("Services:Projects", "40200", "000-4200-00", "Project Services"),
    "4900": ("Sales Discounts", "49000", "000-4900-00", None),
    "6500": ("Bad Debt", "65000", "000-6500-00", None),
}
SETTINGS = {"bc_journal_template": "GENJNL", "bc_journal_batch": "MONTHLY", "bc_sales_template": "SALES",
            "bc_sales_batch": "XLB", "bc_receipts_template": "CASHRCPT", "bc_receipts_batch": "XLB",
            "gp_first_journal_entry": 7001, "gp_batch": "XLB-NOV"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The demo's book and months, with a chart of accounts and the companies' journal settings."""
    from xlbilling.io.safe_write import replace_file
    from xlbilling.io.template import build_workbook
    from xlbilling.jobs import close_workbook, post_workbook, refresh_workbook
    from xlbilling.sample import DEMO_AS_OF, DEMO_MONTHS, build_sample

    rows, settings = build_sample()
    settings.update(SETTINGS)
    rows["GLAccounts"] = [{"account": a, "name": n, "type": None, "bc_number": b, "gp_account": g, "qbo_item": i}
                          for a, (n, b, g, i) in CHART.items()]
    path = tmp_path_factory.mktemp("sample") / "Billing.xlsx"
    replace_file(path, build_workbook(path, rows, settings))
    for month in DEMO_MONTHS:
        assert close_workbook(path, month).ok
        assert post_workbook(path, month).ok
    assert refresh_workbook(path, DEMO_AS_OF).ok
    return path


def fresh(sample, tmp_path):
    """A copy of the sample book with no export log, so that each test starts with nothing exported."""
    path = tmp_path / "Billing.xlsx"
    path.write_bytes(sample.read_bytes())
    return path


def export(command, path, layout, out, *extra, start=FROM, end=TO):
    code = main([command, str(path), "--from", start, "--to", end, "--format", layout, "--out", str(out), *extra])
    return code, (list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))) if out.exists() else None)


def gl_tab(path, start=FROM, end=TO):
    """The GLJournal tab's lines dated in the range, as the workbook shows them."""
    rows = python_calamine.load_workbook(path).get_sheet_by_name("GLJournal").to_python()
    head = rows[0]
    out = []
    for r in rows[1:]:
        line = dict(zip(head, r))
        day = line["Date"] if isinstance(line["Date"], date) else date.fromisoformat(str(line["Date"])[:10])
        if date.fromisoformat(start) <= day <= date.fromisoformat(end):
            out.append({**line, "Debit": D(str(line["Debit"] or 0)).quantize(D("0.01")),
                        "Credit": D(str(line["Credit"] or 0)).quantize(D("0.01"))})
    return out


def money(text):
    return D(text or "0")


# -- journals: every format balances per journal and sums to the GLJournal tab -------------------------

@pytest.mark.parametrize("layout,group,debit,credit", [("qbo", "Journal No", "Debits", "Credits"),
                                                       ("bc", "Document No.", "Debit Amount", "Credit Amount"),
                                                       ("gp", "Journal Entry", "Debit", "Credit"),
                                                       ("generic", "Journal ID", "Debit", "Credit")])
def test_every_journal_balances_and_the_file_equals_the_gljournal_tab(sample, tmp_path, layout, group, debit, credit):
    path = fresh(sample, tmp_path)
    code, rows = export("export-gl", path, layout, tmp_path / "gl.csv")
    assert code == 0 and rows
    per_journal = defaultdict(D)
    for r in rows:
        per_journal[r[group]] += money(r[debit]) - money(r[credit])
    assert set(per_journal.values()) == {D(0)}
    tab = gl_tab(path)
    assert sum(money(r[debit]) for r in rows) == sum(r["Debit"] for r in tab) > 0
    assert sum(money(r[credit]) for r in rows) == sum(r["Credit"] for r in tab)
    assert len(per_journal) == len({r["Journal ID"] for r in tab})


def test_gp_numbers_never_collide_across_exports_and_a_repeat_keeps_its_number(sample, tmp_path, capsys):
    path = fresh(sample, tmp_path)
    _, september = export("export-gl", path, "gp", tmp_path / "sep.csv", start="2026-09-01", end="2026-09-30")
    _, october = export("export-gl", path, "gp", tmp_path / "oct.csv", start="2026-10-01", end="2026-10-31")
    first, second = {r["Journal Entry"] for r in september}, {r["Journal Entry"] for r in october}
    assert min(int(n) for n in first) == 7001 and not first & second
    assert min(int(n) for n in second) == max(int(n) for n in first) + 1
    # both amounts on every line (0.00, never blank), batch and reference within GP's lengths
    assert all(r["Debit"] and r["Credit"] for r in september + october)
    assert all(len(r["Batch ID"]) <= 15 and len(r["Distribution Reference"]) <= 30 for r in september + october)
    # exported again on purpose: each journal keeps the number GP has already (GP refuses the copy)
    code, again = export("export-gl", path, "gp", tmp_path / "sep2.csv", "--again", start="2026-09-01",
                         end="2026-09-30")
    assert code == 0 and [(r["Reference"], r["Journal Entry"]) for r in again] == [
        (r["Reference"], r["Journal Entry"]) for r in september]


def test_an_overlapping_range_warns_and_writes_nothing_unless_again(sample, tmp_path, capsys):
    path = fresh(sample, tmp_path)
    assert export("export-gl", path, "qbo", tmp_path / "oct.csv", start="2026-10-01", end="2026-10-31")[0] == 0
    capsys.readouterr()
    code, rows = export("export-gl", path, "qbo", tmp_path / "q4.csv", start="2026-10-15", end="2026-11-30")
    out = capsys.readouterr().out
    assert code == 1 and rows is None
    assert "exported to QuickBooks Online before" in out and "--again" in out
    # another system is another matter: its journals were never exported there
    assert export("export-gl", path, "bc", tmp_path / "bc.csv", start="2026-10-15", end="2026-11-30")[0] == 0
    code, rows = export("export-gl", path, "qbo", tmp_path / "q4.csv", "--again", start="2026-10-15", end="2026-11-30")
    assert code == 0 and rows
    log = list(csv.DictReader(io.StringIO((tmp_path / "Billing.xlsx.exports.csv").read_text(encoding="utf-8-sig"))))
    assert {r["System"] for r in log} == {"qbo", "bc"} and {r["Kind"] for r in log} == {"journal"}
    assert python_calamine.load_workbook(path).sheet_names == python_calamine.load_workbook(sample).sheet_names


def test_a_value_over_a_limit_is_an_error_at_its_cell_and_nothing_is_written(sample, tmp_path, capsys):
    path = fresh(sample, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Payments"]
    ws["A2"] = "PMT-" + "9" * 20  # over Business Central's Code[20]
    wb.save(path)
    capsys.readouterr()
    code, rows = export("export-payments", path, "bc", tmp_path / "p.csv")
    out = capsys.readouterr().out
    assert code == 1 and rows is None
    assert "Payments!A2" in out and "over the 20" in out, out


# -- QuickBooks Online ---------------------------------------------------------------------------------

def test_qbo_journals_name_accounts_by_name_and_the_customer_on_every_receivable_line(sample, tmp_path):
    _, rows = export("export-gl", fresh(sample, tmp_path), "qbo", tmp_path / "gl.csv")
    names = {n for n, *_ in CHART.values()}
    assert {r["Account Name"] for r in rows} <= names  # names, never the numbers QuickBooks rejects
    receivable = [r for r in rows if r["Account Name"] == "Accounts Receivable (A/R)"]
    assert receivable and all(r["Name"] for r in receivable)
    assert not [r for r in rows if r["Name"] and r["Account Name"] != "Accounts Receivable (A/R)"]
    assert all(len(r["Journal No"]) <= 21 for r in rows)


def test_qbo_invoices_one_row_per_item_line_summing_to_each_invoice(sample, tmp_path):
    path = fresh(sample, tmp_path)
    code, rows = export("export-invoices", path, "qbo", tmp_path / "inv.csv")
    assert code == 0
    for column in ("InvoiceNo", "Customer", "InvoiceDate", "DueDate", "ItemAmount"):  # QuickBooks' required ones
        assert all(r[column] for r in rows), column
    register = python_calamine.load_workbook(path).get_sheet_by_name("InvoiceRegister").to_python()
    head = register[0]
    posted = {r[0]: dict(zip(head, r)) for r in register[1:] if r[0]}
    by_invoice = defaultdict(list)
    for r in rows:
        by_invoice[r["InvoiceNo"]].append(r)
    assert set(by_invoice) == set(posted)
    for number, lines in by_invoice.items():
        h = posted[number]
        total = D(str(h["Total"])).quantize(D("0.01"))
        items = sum(money(r["ItemAmount"]) for r in lines)
        rates = {r["TaxRate"] for r in lines if r["Taxable"] == "Y"}
        if rates:  # QuickBooks works the tax out at the invoice's one rate, rounded once: ours
            taxable = sum(money(r["ItemAmount"]) for r in lines if r["Taxable"] == "Y")
            rate = D(rates.pop().rstrip("%")) / 100
            items += (taxable * rate).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        assert items == total, number
        assert len({(r["Customer"], r["InvoiceDate"], r["DueDate"], r["Terms"]) for r in lines}) == 1
    assert all(len(r["InvoiceNo"]) <= 21 and r["Taxable"] in ("Y", "N") for r in rows)
    assert {r["Terms"] for r in rows} <= {"Net 30", "Net 15", "Net 45", "Due on receipt", "2% 10 Net 30"}
    assert {r["Item(Product/Service)"] for r in rows} <= {"Managed Services", "Project Services", "Sales Tax"}
    # a prorated line's amount stands alone: QuickBooks would otherwise multiply quantity by rate
    for r in rows:
        if r["ItemRate"]:
            assert D(r["ItemQuantity"]) * D(r["ItemRate"]) == money(r["ItemAmount"])


def test_qbo_payments_applied_to_their_invoices_sum_to_the_payments(sample, tmp_path):
    path = fresh(sample, tmp_path)
    code, rows = export("export-payments", path, "qbo", tmp_path / "pay.csv")
    assert code == 0 and rows
    tab = gl_tab(path)
    cash = sum(r["Debit"] for r in tab if r["Journal ID"].startswith("PAY-"))
    assert sum(money(r["Amount"]) for r in rows) == cash > 0
    assert {r["Deposit To"] for r in rows} == {"Checking"}
    assert all(r["Customer"] and len(r["Ref No"]) <= 21 for r in rows)


def test_qbo_documents_and_the_rest_of_the_journal_give_the_same_books(sample, tmp_path):
    """Invoices and payments as documents, the rest as journal entries (DEF- moves what is not yet earned
    to deferred revenue): every account ends where the journal export alone would leave it."""
    path = fresh(sample, tmp_path)
    _, invoices = export("export-invoices", path, "qbo", tmp_path / "inv.csv")
    _, payments = export("export-payments", path, "qbo", tmp_path / "pay.csv")
    _, rest = export("export-gl", path, "qbo", tmp_path / "rest.csv", "--without-documents")
    assert not [r for r in rest if r["Journal No"].startswith(("INV-", "PAY-"))]
    assert [r for r in rest if r["Journal No"].startswith("DEF-")]
    item_account = {i: n for n, _, _, i in CHART.values() if i}
    item_account.update({"Sales Tax": "Sales Tax Payable", "Services": "Services:Managed"})
    books = defaultdict(D)
    taxed = defaultdict(D)  # what QuickBooks taxes, per invoice and its one rate
    for r in invoices:
        books[item_account[r["Item(Product/Service)"]]] -= money(r["ItemAmount"])
        books["Accounts Receivable (A/R)"] += money(r["ItemAmount"])
        if r["Taxable"] == "Y":
            taxed[(r["InvoiceNo"], r["TaxRate"])] += money(r["ItemAmount"])
    for (_, rate), base in taxed.items():
        tax = (base * D(rate.rstrip("%")) / 100).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        books["Sales Tax Payable"] -= tax
        books["Accounts Receivable (A/R)"] += tax
    for r in payments:
        books["Checking"] += money(r["Amount"])
        books["Accounts Receivable (A/R)"] -= money(r["Amount"])
    for r in rest:
        books[r["Account Name"]] += money(r["Debits"]) - money(r["Credits"])
    _, journal = export("export-gl", path, "qbo", tmp_path / "all.csv", "--again")
    expected = defaultdict(D)
    for r in journal:
        expected[r["Account Name"]] += money(r["Debits"]) - money(r["Credits"])
    assert {k: v for k, v in books.items() if v} == {k: v for k, v in expected.items() if v}


# -- Business Central ----------------------------------------------------------------------------------

def test_bc_sales_journal_documents_balance_and_post_to_the_customer(sample, tmp_path):
    path = fresh(sample, tmp_path)
    code, rows = export("export-invoices", path, "bc", tmp_path / "sales.csv")
    assert code == 0
    per_document = defaultdict(D)
    for r in rows:
        per_document[r["Document No."]] += D(r["Amount"])
        assert (r["Journal Template Name"], r["Journal Batch Name"]) == ("SALES", "XLB")
        assert len(r["Document No."]) <= 20 and len(r["Account No."]) <= 20 and len(r["Description"]) <= 100
    assert set(per_document.values()) == {D(0)}
    customer = [r for r in rows if r["Account Type"] == "Customer"]
    assert len(customer) == len(per_document)  # one customer line per document, never the A/R control account
    assert "13100" not in {r["Account No."] for r in rows}
    assert {r["Document Type"] for r in rows} == {"Invoice", "Credit Memo"}
    assert all(r["Due Date"] for r in customer if r["Document Type"] == "Invoice")
    memos = [r for r in customer if r["Document Type"] == "Credit Memo"]
    assert memos and all(r["Applies-to Doc. Type"] == "Invoice" and r["Applies-to Doc. No."] for r in memos)
    tab = gl_tab(path)
    documents = {r["Journal ID"] for r in tab if r["Journal ID"].startswith(("INV-", "CM-"))}
    assert set(per_document) == documents
    assert sum(D(r["Amount"]) for r in rows if D(r["Amount"]) > 0) == sum(
        r["Debit"] for r in tab if r["Journal ID"] in documents)


def test_bc_cash_receipts_apply_each_payment_to_its_invoice(sample, tmp_path):
    path = fresh(sample, tmp_path)
    code, rows = export("export-payments", path, "bc", tmp_path / "cash.csv")
    assert code == 0 and rows
    assert {(r["Account Type"], r["Document Type"], r["Bal. Account Type"], r["Bal. Account No."]) for r in rows} == {
        ("Customer", "Payment", "G/L Account", "10100")}
    assert all(D(r["Amount"]) < 0 for r in rows)
    applied = [r for r in rows if r["Applies-to Doc. No."]]
    assert applied and {r["Applies-to Doc. Type"] for r in applied} == {"Invoice"}
    cash = sum(r["Debit"] for r in gl_tab(path) if r["Journal ID"].startswith("PAY-"))
    assert -sum(D(r["Amount"]) for r in rows) == cash


def test_bc_edit_in_excel_workbook_has_the_page_columns_and_typed_cells(sample, tmp_path):
    path = fresh(sample, tmp_path)
    out = tmp_path / "journal.xlsx"
    assert main(["export-gl", str(path), "--from", FROM, "--to", TO, "--format", "bc", "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["General Journal"]
    head = [c.value for c in ws[1]]
    assert head[:3] == ["Journal Template Name", "Journal Batch Name", "Line No."] and "Account Type" in head
    assert list(ws.tables) == ["JournalLines"]
    row = {h: c for h, c in zip(head, ws[2])}
    assert isinstance(row["Line No."].value, int) and row["Posting Date"].is_date
    assert row["Account Type"].data_type == "s"
    amounts = [ws.cell(r, head.index("Debit Amount") + 1).value or 0 for r in range(2, ws.max_row + 1)]
    credits = [ws.cell(r, head.index("Credit Amount") + 1).value or 0 for r in range(2, ws.max_row + 1)]
    assert round(sum(amounts), 2) == round(sum(credits), 2) == float(sum(r["Debit"] for r in gl_tab(path)))
    assert not [c for r in ws.iter_rows() for c in r if c.data_type == "f"]


def test_bc_dates_follow_the_setting(sample, tmp_path):
    path = fresh(sample, tmp_path)
    _, iso = export("export-gl", path, "bc", tmp_path / "iso.csv")
    assert iso[0]["Posting Date"][:4] == "2026"
    wb = openpyxl.load_workbook(path)
    wb["Settings"].append(["bc_date_format", "DD.MM.YYYY"])
    wb.save(path)
    _, dotted = export("export-gl", path, "bc", tmp_path / "dot.csv", "--again")
    assert dotted[0]["Posting Date"] == f"{iso[0]['Posting Date'][8:10]}.{iso[0]['Posting Date'][5:7]}.2026"


def test_a_spreadsheet_opens_the_workbook_form_with_the_same_rows_as_the_csv(sample, tmp_path):
    """LibreOffice reads the .xlsx export back to exactly the CSV export's rows (dates in ISO, as set)."""
    path = fresh(sample, tmp_path)
    _, rows = export("export-payments", path, "bc", tmp_path / "cash.csv")
    out = tmp_path / "cash.xlsx"
    assert main(["export-payments", str(path), "--from", FROM, "--to", TO, "--format", "bc", "--out", str(out),
                 "--again"]) == 0
    convert(out, csv_of(), tmp_path / "lo-out", tmp_path, check=True)
    [written] = (tmp_path / "lo-out").glob("*.csv")  # named after the one sheet, Cash Receipt Journal
    assert "Cash Receipt Journal" in written.name
    back = list(csv.DictReader(io.StringIO(written.read_text(encoding="utf-8"))))
    assert len(back) == len(rows)
    for ours, theirs in zip(rows, back):
        assert {k: (D(v) if k in ("Amount", "Line No.") and v else v) for k, v in theirs.items()} == {
            k: (D(v) if k in ("Amount", "Line No.") and v else v) for k, v in ours.items()}
