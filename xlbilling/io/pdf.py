"""Invoice and statement PDFs (fpdf2, pure Python: the same file on Windows, macOS and Linux).

Text is set in a Unicode font with fallbacks (io/fonts.py), so names print as typed in any script;
on a machine with none of those fonts the built-in Latin-1 fonts are used and other characters
print as "?".
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, time
from decimal import Decimal
from typing import TypeVar

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..core.documents import CreditMemoDocument, InvoiceDocument, StatementDocument
from .fonts import covered, unicode_fonts
from .local_format import Formats

D = TypeVar("D")
GREY = (110, 110, 110)
DARK = (31, 78, 120)
ALERT = (192, 0, 0)
ROW = 5.5  # mm: the height of a line of text in a table


def _latin1(text: object) -> str:
    value = "" if text is None else str(text)
    value = value.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    return value.encode("latin-1", "replace").decode("latin-1")


def _characters(value: object) -> set[str]:
    """Every character of the text a document holds (its fields, nested)."""
    if isinstance(value, str):
        return set(value)
    if isinstance(value, (tuple, list)):
        return set().union(*map(_characters, value)) if value else set()
    return set()


_TYPOGRAPHIC = {"\u2013", "\u2014", "\u2019"}  # dashes and apostrophes Latin-1 spells plainly


def safe_filename(*parts: str) -> str:
    """A file name that works everywhere whatever the customer is called."""
    name = " - ".join(p for p in parts if p)
    name = re.sub(r"[^A-Za-z0-9 ._-]+", "_", name).strip(" ._") or "document"
    return name[:120]


class _Doc(FPDF):
    """A page of ours. A document whose text is all Latin-1 (most) is set in the built-in Helvetica;
    one with other characters in a Unicode font, with the fallbacks that hold what it lacks."""

    def __init__(self, stamp: datetime, content: object):
        self.formats = Formats(getattr(content, "locale", ""), getattr(content, "currency", "USD"))
        super().__init__(orientation="P", unit="mm", format=self.formats.paper)
        self.set_creation_date(stamp)
        self.set_auto_page_break(True, margin=18)
        side = 16 if self.formats.paper == "Letter" else 13  # A4 is 6 mm narrower: the same tables fit
        self.set_margins(side, 16, side)
        self.footer_text = ""
        self.fallbacks = False  # fonts set for characters the body font lacks
        self.heading: tuple[Sequence[tuple[float, str, str]], float] | None = None  # the table running on
        wanted = {c for c in _characters(content) if ord(c) > 0xFF} - _TYPOGRAPHIC
        fonts = unicode_fonts() if wanted else None
        self.body = "Body" if fonts else "Helvetica"
        if fonts:
            self.add_font("Body", "", fonts.regular)
            self.add_font("Body", "B", fonts.bold)
            missing = wanted - covered(fonts.regular)
            names = []
            for k, path in enumerate(fonts.fallbacks):
                if missing & covered(path):
                    self.add_font(f"Fallback{k}", "", path)
                    names.append(f"Fallback{k}")
                    missing -= covered(path)
            if names:
                self.set_fallback_fonts(names, exact_match=False)
                self.fallbacks = True

    def t(self, text: object) -> str:
        """Text as this document can set it: as typed in a Unicode font, else Latin-1 ("?" for the rest)."""
        return ("" if text is None else str(text)) if self.body == "Body" else _latin1(text)

    def table_heading(self, columns: Sequence[tuple[float, str, str]], size: float = 9) -> None:
        """A table's heading row (width, title, align of each column), drawn again at the top of every
        page the table runs onto, until end_table(); its rows (row()) take these widths, alignments and
        size."""
        self.heading = (columns, size)
        self.header()

    def end_table(self) -> None:
        self.heading = None

    def header(self):
        if self.heading:
            columns, size = self.heading
            self.set_fill_color(*DARK)
            self.set_text_color(255, 255, 255)
            self.set_font(self.body, "B", size)
            for width, title, align in columns:
                self.cell(width, 6, self.t(title), align=align, fill=True)
            self.ln(6)

    def footer(self):
        self.set_y(-12)
        self.set_font(self.body, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.t(f"{self.footer_text}    Page {self.page_no()}/{{nb}}"), align="C")

    def m(self, amount: Decimal | None) -> str:
        return self.formats.money(amount)

    def d(self, day: date) -> str:
        return self.formats.day(day)

    def line_cell(self, w, text, bold=False, align="L", size=9, new_line=False, color=(0, 0, 0)):
        self.set_font(self.body, "B" if bold else "", size)
        self.set_text_color(*color)
        if new_line:
            self.cell(w, ROW, self.t(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.cell(w, ROW, self.t(text), align=align)

    def row(self, texts: Sequence[object]) -> None:
        """A row of the table table_heading() began: a text per column, then a new line. The first cell
        is a cell(), which breaks the page when the row does not fit; the others are set as text exactly
        where cell() would set them, several times cheaper (cell() lays its text out in styled fragments:
        the lines of a long invoice were most of its time)."""
        assert self.heading is not None, "a row belongs to the table table_heading() began"
        columns, size = self.heading
        cells = [(width, text, align) for (width, _, align), text in zip(columns, texts)]
        if self.fallbacks:  # cell() switches fonts for the characters the body font lacks
            for k, (width, text, align) in enumerate(cells):
                self.line_cell(width, text, align=align, size=size, new_line=k == len(cells) - 1)
            return
        (width, text, align), *rest = cells
        self.line_cell(width, text, align=align, size=size)
        for width, text, align in rest:
            text = self.t(text)
            dx = width - self.c_margin - self.get_string_width(text) if align == "R" else self.c_margin
            self.text(self.x + dx, self.y + ROW / 2 + 0.3 * self.font_size, text)
            self.x += width
        self.ln(ROW)


def _body(pdf: _Doc) -> None:
    pdf.set_font(pdf.body, "", 9)
    pdf.set_text_color(0, 0, 0)


def _header(pdf: _Doc, company, title: str, facts: list[tuple[str, str]], logo: str = "") -> None:
    if logo:
        pdf.image(logo, x=pdf.l_margin, y=pdf.t_margin, h=14)
        pdf.set_y(pdf.t_margin + 16)
    pdf.set_font(pdf.body, "B", 16)
    pdf.set_text_color(*DARK)
    pdf.cell(110, 8, pdf.t(company.name))
    pdf.set_font(pdf.body, "B", 18)
    pdf.cell(0, 8, pdf.t(title), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    top = pdf.get_y()
    pdf.set_font(pdf.body, "", 9)
    contact = (company.address, company.email, company.phone and f"Phone {company.phone}",
               company.tax_id and f"Tax ID {company.tax_id}")
    pdf.multi_cell(100, 4.5, pdf.t("\n".join(x for x in contact if x)))
    bottom = pdf.get_y()
    pdf.set_xy(126, top)
    for label, value in facts:
        pdf.set_x(126)
        pdf.line_cell(34, label, bold=True)
        pdf.line_cell(0, value, align="R", new_line=True)
    pdf.set_y(max(bottom, pdf.get_y()) + 4)


def _party(pdf: _Doc, label: str, party) -> None:
    pdf.line_cell(0, label, bold=True, color=DARK, new_line=True)
    _body(pdf)
    pdf.multi_cell(100, 4.5, pdf.t("\n".join(x for x in (party.name, party.address, party.email) if x)))
    pdf.ln(3)


def _watermark(pdf: _Doc, text: str) -> None:
    pdf.set_font(pdf.body, "B", 80)
    pdf.set_text_color(225, 225, 225)
    with pdf.rotation(35, pdf.w / 2, pdf.h / 2):
        pdf.text(pdf.w / 2 - 55, pdf.h / 2 + 10, text)
    pdf.set_text_color(0, 0, 0)


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    pdf = _Doc(datetime.combine(doc.invoice_date, time()), doc)
    pdf.alias_nb_pages()
    pdf.footer_text = f"{doc.company.name} - {'Draft ' + doc.number if doc.is_draft else 'Invoice ' + doc.number}"
    pdf.add_page()
    if doc.is_draft:
        _watermark(pdf, "DRAFT")
    facts = [("Invoice", "DRAFT - not an invoice" if doc.is_draft else doc.number),
             ("Invoice date", pdf.d(doc.invoice_date)), ("Terms", doc.terms),
             ("Due date", pdf.d(doc.due_date))]
    if doc.po_number:
        facts.append(("PO number", doc.po_number))
    facts.append(("Customer", doc.customer_id))
    _header(pdf, doc.company, "DRAFT INVOICE" if doc.is_draft else "INVOICE", facts, doc.logo)
    _party(pdf, "Bill to", doc.bill_to)

    widths = (70, 44, 18, 24, 28)
    pdf.table_heading(list(zip(widths, ("Description", "Service period", "Qty", "Rate", "Amount"),
                       ("L", "L", "R", "R", "R"))))
    contract = object()
    for ln in doc.lines:
        if ln.contract_id != contract:
            contract = ln.contract_id
            label = f"Contract {ln.contract_id}" + (f" - {ln.contract_name}" if ln.contract_name else "") \
                if ln.contract_id else "Other charges"
            if pdf.will_page_break(2 * ROW):  # a contract's heading goes onto the page of its first line
                pdf.add_page()
            pdf.line_cell(0, label, bold=True, color=DARK, new_line=True)
        pdf.row([ln.description[:48], pdf.formats.period(ln.start, ln.end), f"{ln.quantity.normalize():f}",
                 pdf.m(ln.unit_price), pdf.m(ln.amount)])
        if ln.note:
            pdf.set_font(pdf.body, "", 7.5)
            pdf.set_text_color(*GREY)
            pdf.cell(0, 4, pdf.t(f"    {ln.note}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            _body(pdf)
    pdf.end_table()
    pdf.ln(2)
    totals = [("Subtotal", doc.subtotal)]
    totals += [(f"Tax {(t.rate * 100).normalize():f}% on {pdf.m(t.base)}", t.tax) for t in doc.taxes]
    totals.append((f"Total {doc.currency}", doc.total))
    if doc.paid:
        totals.append(("Payments received", -doc.paid))
    if doc.credited:
        totals.append(("Credits", -doc.credited))
    if doc.discount_taken:
        totals.append(("Early-payment discount taken", -doc.discount_taken))
    totals.append(("Balance due", doc.balance))
    for label, amount in totals:
        pdf.set_x(100)
        strong = label.startswith(("Total", "Balance"))
        pdf.line_cell(62, label, bold=strong, align="R")
        pdf.line_cell(0, pdf.m(amount), bold=strong, align="R", new_line=True)
    if doc.discount:
        pdf.ln(1)
        pdf.line_cell(0, f"Pay by {pdf.d(doc.discount[0])} and deduct {pdf.m(doc.discount[1])} "
                         f"(early-payment discount).", color=DARK, new_line=True)
    if doc.days_past_due:
        pdf.ln(2)
        pdf.line_cell(0, f"PAST DUE: {pdf.m(doc.balance)} {doc.currency} was due on {pdf.d(doc.due_date)}, "
                         f"{doc.days_past_due} day{'s' if doc.days_past_due != 1 else ''} ago.", bold=True, size=11,
                         color=ALERT, new_line=True)
    pdf.ln(4)
    pdf.line_cell(0, "How to pay", bold=True, color=DARK, new_line=True)
    _body(pdf)
    if not doc.balance and not doc.is_draft:
        instructions = f"Paid in full: nothing is due on {doc.number}. Thank you."
    elif doc.days_past_due:
        instructions = f"Please pay {pdf.m(doc.balance)} {doc.currency} now, quoting {doc.number}."
    else:
        instructions = (f"Please pay {pdf.m(doc.balance)} {doc.currency} by {pdf.d(doc.due_date)}, "
                        f"quoting {doc.number}.")
    if doc.remit_to:
        instructions += f"\nRemit to: {doc.remit_to}"
    if doc.bank_details and doc.balance and not doc.is_draft:
        instructions += f"\nBy bank transfer: {doc.bank_details}"
    pdf.multi_cell(0, 4.5, pdf.t(instructions))
    if doc.time_details:
        _time_appendix(pdf, doc)
    return bytes(pdf.output())


def _time_appendix(pdf: _Doc, doc: InvoiceDocument) -> None:
    pdf.add_page()
    pdf.line_cell(0, f"Time detail for {doc.number}", bold=True, size=12, color=DARK, new_line=True)
    pdf.ln(2)
    widths = (20, 30, 16, 30, 12, 20, 54)
    titles = ("Date", "Technician", "Ticket", "Work type", "Hours", "Billed as", "Notes")
    pdf.table_heading([(w, title, "R" if title == "Hours" else "L") for w, title in zip(widths, titles)], size=8)
    shown = {"included": "Included", "overage": "Overage", "time": "Time"}
    for d in doc.time_details:
        pdf.row([pdf.d(d.date), d.technician[:20], d.ticket or "", d.work_type[:20], f"{d.hours.normalize():f}",
                 f"  {shown.get(d.billed_as, d.billed_as)}", f"  {(d.notes or '')[:38]}"])
    pdf.end_table()


def statement_pdf(doc: StatementDocument) -> bytes:
    pdf = _Doc(datetime.combine(doc.as_of, time()), doc)
    pdf.alias_nb_pages()
    pdf.footer_text = f"{doc.company.name} - Statement for {doc.bill_to.name}"
    pdf.add_page()
    _header(pdf, doc.company, "STATEMENT", [("As of", pdf.d(doc.as_of)), ("Customer", doc.customer_id)], doc.logo)
    _party(pdf, "Statement for", doc.bill_to)
    widths = (34, 28, 28, 30, 28, 30)
    pdf.table_heading([(w, title, "L" if title in ("Invoice", "Date", "Due") else "R")
                       for w, title in zip(widths, ("Invoice", "Date", "Due", "Days past due", "Total", "Open"))])
    for i in doc.items:
        pdf.line_cell(widths[0], i.number + (" (in dispute)" if i.disputed else ""), bold=i.disputed,
                      color=ALERT if i.disputed else (0, 0, 0))
        pdf.line_cell(widths[1], pdf.d(i.invoice_date))
        pdf.line_cell(widths[2], pdf.d(i.due_date))
        pdf.line_cell(widths[3], str(i.days_past_due), align="R")
        pdf.line_cell(widths[4], pdf.m(i.total), align="R")
        pdf.line_cell(widths[5], pdf.m(i.balance), align="R", new_line=True)
    pdf.end_table()
    pdf.ln(3)
    for label, amount in doc.buckets:
        pdf.set_x(100)
        pdf.line_cell(62, label if label == "Current" else f"{label} days past due", align="R")
        pdf.line_cell(0, pdf.m(amount), align="R", new_line=True)
    if doc.unapplied:
        pdf.set_x(100)
        pdf.line_cell(62, "Unapplied credit", align="R")
        pdf.line_cell(0, pdf.m(-doc.unapplied), align="R", new_line=True)
    pdf.set_x(100)
    pdf.line_cell(62, f"Total due {doc.currency}", bold=True, align="R")
    pdf.line_cell(0, pdf.m(doc.total_due), bold=True, align="R", new_line=True)
    if doc.remit_to:
        pdf.ln(4)
        _body(pdf)
        pdf.multi_cell(0, 4.5, pdf.t(f"Remit to: {doc.remit_to}"))
    if doc.since is not None:
        _activity(pdf, doc)
    return bytes(pdf.output())


def _activity(pdf: _Doc, doc: StatementDocument) -> None:
    """The account's activity over the statement's period: opening balance, each invoice, payment, credit,
    write-off and discount, the balance after each."""
    assert doc.since is not None
    pdf.ln(6)
    pdf.line_cell(0, f"Account activity from {pdf.d(doc.since)} to {pdf.d(doc.as_of)}", bold=True,
                  size=11, color=DARK, new_line=True)
    widths = (26, 34, 66, 26, 26)
    pdf.table_heading([(w, title, "R" if title in ("Amount", "Balance") else "L")
                       for w, title in zip(widths, ("Date", "Item", "Reference", "Amount", "Balance"))])
    pdf.line_cell(widths[0], pdf.d(doc.since))
    pdf.line_cell(widths[1] + widths[2] + widths[3], "Opening balance", bold=True)
    pdf.line_cell(widths[4], pdf.m(doc.opening), bold=True, align="R", new_line=True)
    for a in doc.activity:
        pdf.row([pdf.d(a.day), a.what, a.reference[:40], pdf.m(a.amount), pdf.m(a.balance)])
    closing = doc.activity[-1].balance if doc.activity else doc.opening
    pdf.line_cell(sum(widths[:4]), f"Balance {doc.currency} on {pdf.d(doc.as_of)}", bold=True, align="R")
    pdf.line_cell(widths[4], pdf.m(closing), bold=True, align="R", new_line=True)
    pdf.end_table()


def credit_memo_pdf(doc: CreditMemoDocument) -> bytes:
    pdf = _Doc(datetime.combine(doc.memo_date, time()), doc)
    pdf.alias_nb_pages()
    pdf.footer_text = f"{doc.company.name} - Credit memo {doc.number}"
    pdf.add_page()
    _header(pdf, doc.company, "CREDIT MEMO", [("Credit memo", doc.number), ("Date", pdf.d(doc.memo_date)),
                                              ("For invoice", doc.invoice_number), ("Customer", doc.customer_id)],
            doc.logo)
    _party(pdf, "Credited to", doc.bill_to)
    pdf.line_cell(0, "Reason", bold=True, color=DARK, new_line=True)
    _body(pdf)
    pdf.multi_cell(0, 4.5, pdf.t(doc.reason))
    pdf.ln(4)
    rows = [(f"Invoice {doc.invoice_number} of {pdf.d(doc.invoice_date)}", doc.invoice_total),
            (f"Credited by this memo (tax included) {doc.currency}", -doc.amount),
            (f"Balance of {doc.invoice_number} after this credit", doc.balance_after)]
    for label, amount in rows:
        pdf.set_x(60)
        strong = label.startswith("Credited")
        pdf.line_cell(102, label, bold=strong, align="R")
        pdf.line_cell(0, pdf.m(amount), bold=strong, align="R", new_line=True)
    pdf.ln(4)
    _body(pdf)
    if doc.balance_after:
        remit = f"\nRemit to: {doc.remit_to}" if doc.remit_to else ""
        pdf.multi_cell(0, 4.5, pdf.t(f"Please pay the balance of {pdf.m(doc.balance_after)} {doc.currency}, quoting "
                                     f"{doc.invoice_number}.{remit}"))
    else:
        pdf.multi_cell(0, 4.5, pdf.t(f"Nothing is left to pay on {doc.invoice_number}."))
    return bytes(pdf.output())


PARALLEL_FROM = 64  # fewer documents render here: starting worker processes would cost more than it saves


def rendered(render: Callable[[D], bytes], docs: Sequence[D]) -> Iterator[bytes]:
    """Each document's PDF, in order. Many documents render on every core, in worker processes (fpdf2 is
    pure Python: threads would take turns); a few render in this process."""
    workers = min(os.cpu_count() or 1, 8)
    if len(docs) < PARALLEL_FROM or workers < 2:
        yield from map(render, docs)
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        yield from pool.map(render, docs, chunksize=max(1, len(docs) // (workers * 8)))
