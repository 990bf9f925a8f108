"""Invoice and statement PDFs: their text (read back with pypdf) carries the register's figures."""

from datetime import date
from io import BytesIO

import pypdf
import pytest

from xlbilling.core.documents import invoice_documents, statement_documents
from xlbilling.core.receivables import apply_receivables
from xlbilling.io.pdf import PARALLEL_FROM, invoice_pdf, rendered, safe_filename, statement_pdf
from xlbilling.io.reader import read_book
from xlbilling.document_jobs import write_documents
from xlbilling.jobs import close_workbook, post_workbook

from .test_post import book


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(BytesIO(data)).pages)


@pytest.fixture(scope="module")
def posted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs")
    path = book(tmp)
    close_workbook(path, date(2026, 4, 1))
    post_workbook(path, date(2026, 4, 1))
    close_workbook(path, date(2026, 5, 1))
    return path


def test_invoice_pdf_carries_the_register_figures(posted):
    b = read_book(posted).book
    ar = apply_receivables(b, date(2026, 5, 1))
    [doc] = invoice_documents(b, ar, "NS-500")
    header = next(h for h in b.register if h.invoice_number == "NS-500")
    text = text_of(invoice_pdf(doc))
    for expected in ("NS-500", "2026-04-01", "2026-05-01", f"{header.subtotal:,.2f}", f"{header.tax:,.2f}",
                     f"{header.total:,.2f}", "Acme Dental", "Tax 8.25%"):
        assert expected in text, expected
    for ln in (x for x in b.invoice_lines if x.invoice_number == "NS-500"):
        assert f"{ln.amount:,.2f}" in text
    assert "Time detail for NS-500" in text and "T1" not in text and "Ann" in text  # the appendix lists the entries


def test_a_draft_is_marked_and_never_looks_like_an_invoice(posted):
    b = read_book(posted).book
    drafts = [d for d in invoice_documents(b, None) if d.is_draft]
    assert drafts
    text = text_of(invoice_pdf(drafts[0]))
    assert "DRAFT INVOICE" in text and "DRAFT - not an invoice" in text


def test_statement_lists_open_items_and_aging(posted):
    b = read_book(posted).book
    ar = apply_receivables(b, date(2026, 6, 15))
    st = next(s for s in statement_documents(b, ar) if s.customer_id == "1001")
    text = text_of(statement_pdf(st))
    assert "NS-500" in text and "STATEMENT" in text and "31-60 days past due" in text
    assert f"{st.total_due:,.2f}" in text


def test_the_same_invoice_gives_the_same_file(posted):
    b = read_book(posted).book
    [doc] = invoice_documents(b, None, "NS-500")
    assert invoice_pdf(doc) == invoice_pdf(doc)


def test_many_documents_render_in_worker_processes_to_the_same_files_in_order(posted):
    b = read_book(posted).book
    docs = invoice_documents(b, None)
    many = [docs[k % len(docs)] for k in range(PARALLEL_FROM + 5)]  # enough to start the workers
    assert list(rendered(invoice_pdf, many)) == [invoice_pdf(d) for d in many]


@pytest.mark.parametrize("name,expected", [("Acme / Dental: \"East\"", "INV-1 - Acme _ Dental_ _East"),
                                           ("..\\..\\etc", "INV-1 - .._.._etc"), ("Zoë's Café", "INV-1 - Zo_s Caf")])
def test_file_names_are_safe_whatever_the_customer_is_called(name, expected):
    assert safe_filename("INV-1", name) == expected


def test_invoices_command_writes_every_pdf(posted, tmp_path):
    out = tmp_path / "pdf"
    result = write_documents(posted, out, statements=True, as_of=date(2026, 6, 15))
    assert result.ok
    names = sorted(p.name for p in out.glob("*.pdf"))
    assert "NS-500 - Acme Dental.pdf" in names and any(n.startswith("DRAFT ") for n in names)
    assert list((out / "statements").glob("*.pdf"))
    assert not write_documents(posted, out, only="NS-999").ok


def test_an_invoice_says_why_each_amount_is_what_it_is_and_how_to_pay_by_bank(tmp_path):
    from PIL import Image

    from .books import write_book
    Image.new("RGB", (300, 100), (31, 78, 120)).save(tmp_path / "logo.png")
    path = write_book(tmp_path / "b.xlsx", {
        "Settings": [["Setting", "Value"], ["company_name", "Northstar IT"], ["company_phone", "+1 512 555 0100"],
                     ["company_tax_id", "EIN 74-1234567"], ["bank_details", "ACH to Lone Star Bank, account 44001"],
                     ["logo", "logo.png"]],
        "Contracts": [["Contract ID", "Customer ID", "Start Date", "Escalation Pct"],
                      ["AGR-1", "1001", "2025-10-15", "3%"]],
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed", 1000]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]]})
    assert close_workbook(path, date(2026, 11, 1)).ok and post_workbook(path, date(2026, 11, 1)).ok
    assert write_documents(path, tmp_path / "out", as_of=date(2026, 11, 5)).ok
    (pdf,) = (tmp_path / "out").glob("INV-*.pdf")
    text = text_of(pdf.read_bytes())
    # The first period, 2025-10-15 to 2025-11-14, is whole; the price rose 3% on 2026-10-15.
    assert "Phone +1 512 555 0100" in text and "Tax ID EIN 74-1234567" in text
    assert "By bank transfer: ACH to Lone Star Bank, account 44001" in text
    assert text.count("price 1,000.00 escalated 3% a year from 2025-10-15") == 1  # told once for the line
    assert pypdf.PdfReader(pdf).pages[0].images  # the logo
    contract = [["Contract ID", "Customer ID", "Start Date", "Proration"], ["AGR-1", "1001", "2026-10-10", "daily"]]
    prorated = write_book(tmp_path / "p.xlsx", {
        "Contracts": contract, "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]],
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed", 1000]]})
    b = read_book(prorated).book
    assert close_workbook(prorated, date(2026, 11, 1)).ok
    [doc] = [d for d in invoice_documents(read_book(prorated).book, None) if d.is_draft]
    assert [ln.note for ln in doc.lines] == ["22 of 31 days", ""] and b.settings.logo == ""
    missing = write_documents(prorated, tmp_path / "p", as_of=date(2026, 11, 5))
    assert missing.ok and not any("logo" in s for s in missing.summary)


def test_each_credit_memo_has_a_document_naming_its_invoice_and_what_is_left(tmp_path):
    from .books import write_book
    path = write_book(tmp_path / "b.xlsx", {
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed", 1000]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]],
        "Adjustments": [["Adjustment ID", "Date", "Invoice Number", "Type", "Amount", "Reason"],
                        ["A1", "2026-04-10", "INV-1001", "credit", 250, "Outage credit"],
                        ["A2", "2026-04-12", "INV-1001", "write_off", 5, "Rounding"]]})
    assert close_workbook(path, date(2026, 4, 1)).ok and post_workbook(path, date(2026, 4, 1)).ok
    result = write_documents(path, tmp_path / "out", as_of=date(2026, 4, 30))
    assert result.ok and any("1 credit memo(s)" in s for s in result.summary)  # the write-off is no credit memo
    (memo,) = (tmp_path / "out" / "credit memos").glob("*.pdf")
    text = text_of(memo.read_bytes())
    invoice = next(h for h in read_book(path).book.register if h.invoice_number == "INV-1001")
    assert memo.name.startswith("CM-1") and "CREDIT MEMO" in text and "Outage credit" in text
    assert "For invoice" in text and "INV-1001" in text and "-250.00" in text
    assert f"{invoice.total - 250:,.2f}" in text  # the balance on the memo's date, before the later write-off


def test_a_statement_runs_from_its_opening_balance_to_the_total_due_and_marks_disputes(tmp_path):
    from xlbilling.io.template import build_workbook
    from xlbilling.sample import build_sample
    path = tmp_path / "s.xlsx"
    rows, settings = build_sample()
    path.write_bytes(build_workbook(path, rows, settings))
    assert close_workbook(path, date(2026, 11, 1)).ok and post_workbook(path, date(2026, 11, 1)).ok
    b = read_book(path).book
    ar = apply_receivables(b, date(2026, 12, 20))
    statements = statement_documents(b, ar)
    assert statements
    for st in statements:  # every event in order: the last balance is what the customer owes
        closing = st.activity[-1].balance if st.activity else st.opening
        assert closing == st.total_due, st.customer_id
    kinds = {a.what for st in statements for a in st.activity}
    assert {"Invoice", "Payment", "Credit memo"} <= kinds
    disputed = [(st, i) for st in statements for i in st.items if i.disputed]
    assert [i.number for _, i in disputed] == ["INV-1007"]
    text = text_of(statement_pdf(disputed[0][0]))
    assert "INV-1007 (in dispute)" in text and "Opening balance" in text and "Account activity from" in text


@pytest.mark.parametrize("locale,amount,day,paper", [("", "1,000.00", "2026-11-01", 612), ("en-GB", "1,000.00",
                                                     "1 Nov 2026", 595), ("de-DE", "1.000,00", "01.11.2026", 595)])
def test_documents_write_amounts_dates_and_paper_as_the_locale_does(tmp_path, locale, amount, day, paper):
    from .books import write_book
    path = write_book(tmp_path / "b.xlsx", {
        "Settings": [["Setting", "Value"], ["locale", locale]],
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed", 1000]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]]})
    assert close_workbook(path, date(2026, 11, 1)).ok
    [doc] = [d for d in invoice_documents(read_book(path).book, None) if d.customer_id == "1001"]
    data = invoice_pdf(doc)
    text = text_of(data)
    assert amount in text and day in text
    assert round(float(pypdf.PdfReader(BytesIO(data)).pages[0].mediabox.width)) == paper  # Letter or A4


def test_a_locale_that_is_not_one_is_an_error_naming_its_cell(tmp_path):
    from .books import write_book
    path = write_book(tmp_path / "b.xlsx", {"Settings": [["Setting", "Value"], ["locale", "english"]]})
    errors = read_book(path).errors
    assert [(e.where, e.found) for e in errors] == [("Settings!B2", '"english"')]
    assert "en-GB" in errors[0].expected


def test_documents_keep_to_few_pages_and_say_what_matters(tmp_path):
    """Rendered as a customer gets them: an invoice a page for each 25 lines and one more for its header and
    totals (then its time appendix), the statement and the credit memo one page each, with their totals and
    names on paper."""
    from xlbilling.io.template import build_workbook
    from xlbilling.sample import build_sample
    path = tmp_path / "s.xlsx"
    rows, settings = build_sample()
    path.write_bytes(build_workbook(path, rows, settings))
    assert close_workbook(path, date(2026, 11, 1)).ok and post_workbook(path, date(2026, 11, 1)).ok
    out = tmp_path / "out"
    assert write_documents(path, out, statements=True, as_of=date(2026, 12, 20)).ok
    lines: dict[str, int] = {}
    for ln in read_book(path).book.invoice_lines:
        lines[ln.invoice_number or ""] = lines.get(ln.invoice_number or "", 0) + 1
    for pdf in out.glob("INV-*.pdf"):
        reader = pypdf.PdfReader(pdf)
        allowed = 1 + -(-lines[pdf.name.split(" ")[0]] // 25)  # a page of 25 lines, and the first
        text = "\n".join(p.extract_text() for p in reader.pages)
        texts = [p.extract_text() for p in reader.pages]
        body = next((k for k, t in enumerate(texts) if "Time detail for" in t), len(texts))  # the appendix follows
        assert body <= allowed, (pdf.name, lines[pdf.name.split(" ")[0]])
        assert "Total USD" in text and "Balance due" in text and "Bill to" in text
        assert "PAST DUE" in text or "Paid in full" in text  # rendered after every due date of the month
    for pdf in [*(out / "statements").glob("*.pdf"), *(out / "credit memos").glob("*.pdf")]:
        assert len(pypdf.PdfReader(pdf).pages) == 1, pdf.name


def test_time_details_come_in_the_same_order_on_every_run(tmp_path):
    """Entries of one day and technician keep the Timesheets' order, whatever order a run's sets of
    entry IDs have (string hashing differs from one process to the next)."""
    import os
    import subprocess
    import sys

    from .books import write_book
    head = ["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Approved"]
    path = write_book(tmp_path / "b.xlsx", {
        "Timesheets": [head] + [[f"T{k}", "2026-03-02", "Ann", "1001", "AGR-1", "Remote", k, "Y"] for k in range(1, 9)],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]],
        "RateCard": [["Contract ID", "Work Type", "Rate"], [None, "Remote", 100]]})
    close_workbook(path, date(2026, 4, 1))
    show = ("import sys; from xlbilling.io.reader import read_book; from xlbilling.core.documents import "
            "invoice_documents; print([[str(d.hours) for d in doc.time_details] "
            "for doc in invoice_documents(read_book(sys.argv[1]).book, None)])")
    runs = {subprocess.run([sys.executable, "-c", show, str(path)], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(4)}
    assert runs == {str([[str(k) for k in range(1, 9)]]) + "\n"}


def _pages(pdf: bytes, folder, name: str) -> list[bytes]:
    """Each page of a PDF as the pixels pdftoppm draws (100 dpi, RGB)."""
    import subprocess

    from PIL import Image

    (folder / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(folder / f"{name}.pdf"), str(folder / name)], check=True)
    return [Image.open(p).convert("RGB").tobytes() for p in sorted(folder.glob(f"{name}-*.png"))]


@pytest.mark.parametrize("words", ["Managed backup, per device", "Zażółć gęślą jaźń, Łódź"])
def test_table_rows_set_as_text_draw_exactly_what_cells_draw(posted, tmp_path, monkeypatch, words):
    """Invoice lines, time detail and statement activity set their cells after the first as plain text
    (io/pdf.py `_Doc.row`): on a long invoice whose lines break pages, in Helvetica and in the Unicode
    body font, every page is the same pixels as with every cell a cell()."""
    from xlbilling.io import pdf as pdf_module

    b = read_book(posted).book
    ar = apply_receivables(b, date(2026, 6, 15))
    [doc] = invoice_documents(b, ar, "NS-500")
    lines = [ln._replace(description=f"{words} {k}") for k in range(14) for ln in doc.lines]
    long_doc = doc._replace(lines=lines, time_details=doc.time_details * 40)
    statement = next(s for s in statement_documents(b, ar) if s.customer_id == "1001")
    quick = [*_pages(invoice_pdf(long_doc), tmp_path, "quick"), *_pages(statement_pdf(statement), tmp_path, "sq")]
    made = pdf_module._Doc.__init__

    def every_cell_a_cell(self, *args):
        made(self, *args)
        self.fallbacks = True

    monkeypatch.setattr(pdf_module._Doc, "__init__", every_cell_a_cell)
    cells = [*_pages(invoice_pdf(long_doc), tmp_path, "cells"), *_pages(statement_pdf(statement), tmp_path, "sc")]
    assert len(quick) >= 4 and quick == cells


def test_a_long_invoice_repeats_its_table_heading_on_every_page_and_keeps_contract_headings_with_lines(posted):
    b = read_book(posted).book
    ar = apply_receivables(b, date(2026, 6, 15))
    [doc] = invoice_documents(b, ar, "NS-500")
    lines = [ln._replace(description=f"Line {k}", contract_id=f"AGR-{k // 9}")
             for k, ln in enumerate(doc.lines * 30)]
    pages = [p.extract_text() for p in pypdf.PdfReader(BytesIO(invoice_pdf(doc._replace(lines=lines)))).pages]
    with_lines = [p for p in pages if "Line " in p]
    assert len(with_lines) >= 2
    assert all("Service period" in p for p in with_lines)  # each page the lines run onto has the heading
    time_pages = [p for p in pages if "Time detail" in p or "Billed as" in p]
    assert all("Billed as" in p for p in time_pages)
    for group in range(2, 14):  # contracts of every size: a contract's heading never ends a page
        lines = [ln._replace(description=f"Line {k}", contract_id=f"AGR-{k // group}")
                 for k, ln in enumerate(doc.lines * 30)]
        for page in pypdf.PdfReader(BytesIO(invoice_pdf(doc._replace(lines=lines)))).pages:
            body = [t for t in page.extract_text().splitlines() if t.strip() and "Page " not in t]
            assert not body[-1].startswith("Contract "), (group, body[-3:])
