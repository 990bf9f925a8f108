"""The posted ledger: every invoice issued, kept in very hidden sheets staff do not edit, each
invoice chained to the one before by a hash, as an append-only log is.

The ledger is the truth of what was posted; the visible InvoiceRegister and InvoiceLines are views
of it, written again on every run. A posted row deleted, added or edited in the view, or an edit of
the ledger itself, is POSTED_INVOICE_CHANGED naming the row, and numbering continues after the
highest number the ledger has issued. A book posted before the ledger existed has its posted rows
of InvoiceRegister taken into the ledger on its next write.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from collections.abc import Iterable

from .findings import ERROR, Finding
from .models import LEDGER_INVOICES, LEDGER_LINES, Book, InvoiceLineRow, RegisterRow, number
from .register import lines_tab, register_tab
from .rules import Context, Say, Subject, rule
from .tabs import Tab

def _canon(value: object) -> str:
    if isinstance(value, Decimal):
        return _decimal_text(value) if value else format(value.normalize(), "f")  # -0 is not 0 here
    return str(value)


@lru_cache(maxsize=1 << 16)  # prices, quantities and amounts repeat: each is written out once
def _decimal_text(value: Decimal) -> str:
    """Equal numbers give one text (1.0 and 1.00 are 1), so an equal one's cached text is the same."""
    return format(value.normalize(), "f")


_day_text = lru_cache(maxsize=1 << 12)(str)  # service days repeat across lines: each written out once


def _line_no(line: InvoiceLineRow) -> int:
    return line.line_no


_figures: dict[tuple[Decimal, Decimal, Decimal], str] = {}  # a line's quantity, price and amount as text


def _figures_text(q: Decimal, p: Decimal, a: Decimal) -> str:
    """Quantity, price and amount as `_canon` writes them. Lines repeat the same three figures (a contract
    line month after month): each set is written out once. A set with a zero is not kept, since 0 and -0
    are equal keys but different texts."""
    if not (q and p and a):
        c, d = _canon, _decimal_text
        return f"{d(q) if q else c(q)}|{d(p) if p else c(p)}|{d(a) if a else c(a)}"
    text = _figures.get((q, p, a))
    if text is None:
        text = f"{_decimal_text(q)}|{_decimal_text(p)}|{_decimal_text(a)}"
        if len(_figures) < 1 << 16:
            _figures[q, p, a] = text
    return text


# what a fingerprint covers: the header's figures, and each line's (`_canon` of each, joined)
_HEADER_FIGURES = attrgetter("invoice_number", "customer_id", "invoice_date", "due_date", "subtotal", "tax", "total")
_LINE_FIGURES = attrgetter("line_no", "source_type", "source_id", "service_start", "service_end", "quantity",
                           "unit_price", "amount", "tax_rate")


def _same_figures(header: RegisterRow, lines: list[InvoiceLineRow], other: RegisterRow,
                  other_lines: list[InvoiceLineRow]) -> bool:
    """The figures a fingerprint covers are equal in both (`==`: 1.0 is 1.00), so their fingerprints would be
    too, but for a figure typed as -0 over 0, which is no change of what the customer owes."""
    if _HEADER_FIGURES(header) != _HEADER_FIGURES(other) or len(lines) != len(other_lines):
        return False
    ordered = sorted(lines, key=_line_no), sorted(other_lines, key=_line_no)
    return [*map(_LINE_FIGURES, ordered[0])] == [*map(_LINE_FIGURES, ordered[1])]


def _as_posted(view: RegisterRow, view_lines: list[InvoiceLineRow], posted: RegisterRow,
               posted_lines: list[InvoiceLineRow]) -> bool:
    """The view shows a posted invoice as the ledger holds it: the very rows (a run's own), the same figures,
    or failing both the same fingerprint (the ledger's own fingerprint is checked apart)."""
    if view == posted and view_lines == posted_lines:
        return True
    return _same_figures(view, view_lines, posted, posted_lines) or fingerprint(view, view_lines) == posted.fingerprint


def fingerprint(header: RegisterRow, lines: Iterable[InvoiceLineRow]) -> str:
    """A digest of the figures a customer sees: header amounts and dates, every line (each value as
    `_canon` writes it: a blank is empty, a number normalised, a day ISO)."""
    c, d, day, figures = _canon, _decimal_text, _day_text, _figures_text
    text = [c(header.invoice_number), c(header.customer_id), c(header.invoice_date), c(header.due_date),
            c(header.subtotal), c(header.tax), c(header.total)]
    for ln in sorted(lines, key=_line_no):  # _canon inlined: a posted history is hundreds of thousands of lines
        r, s, e = ln.tax_rate, ln.service_start, ln.service_end
        text.append(f"{ln.line_no}|{ln.source_type or ''}|{ln.source_id or ''}|{day(s) if s else ''}|"
                    f"{day(e) if e else ''}|{figures(ln.quantity, ln.unit_price, ln.amount)}|"
                    f"{d(r) if r else c(r)}")
    return hashlib.sha256("|".join(text).encode()).hexdigest()[:16]


_NUMBERED = re.compile(r"^(.*?)(\d+)$")  # a prefix and the number it ends in


def number_key(number: str | None) -> tuple[str, int, str]:
    number = number or ""
    m = _NUMBERED.match(number)
    return (m[1], int(m[2]), "") if m else (number, -1, number)


def has_ledger(book: Book) -> bool:
    return LEDGER_INVOICES in book.columns


def chain_link(previous: str, header: RegisterRow) -> str:
    """An invoice's link: a digest of the link before it, its number and its fingerprint."""
    return hashlib.sha256(f"{previous}|{header.invoice_number}|{header.fingerprint}".encode()).hexdigest()[:16]


def sealed(headers: Iterable[RegisterRow]) -> list[RegisterRow]:
    """Headers in number order, each with its chain link."""
    out, previous = [], ""
    for h in sorted(headers, key=lambda h: number_key(h.invoice_number)):
        previous = chain_link(previous, h)
        out.append(h._replace(chain=previous))
    return out


def ledger_rows(book: Book) -> tuple[list[RegisterRow], list[InvoiceLineRow]]:
    """The posted headers and lines: from the ledger, or from InvoiceRegister in a book that has none yet."""
    if has_ledger(book):
        return ledger_headers(book), list(book.rows(LEDGER_LINES))
    return ledger_headers(book), [ln for ln in book.invoice_lines if ln.invoice_number]


def ledger_headers(book: Book) -> list[RegisterRow]:
    """The posted headers (as ledger_rows)."""
    if has_ledger(book):
        return list(book.rows(LEDGER_INVOICES))
    return [r for r in book.register if r.invoice_number]


def with_posted(book: Book, headers: Iterable[RegisterRow], lines: Iterable[InvoiceLineRow]) -> Book:
    """The book with these posted invoices, in the ledger and in the view alike."""
    headers, lines = tuple(headers), tuple(lines)
    return replace(book, records={**book.records, "InvoiceRegister": headers, "InvoiceLines": lines,
                                  LEDGER_INVOICES: headers, LEDGER_LINES: lines},
                   columns={**book.columns, LEDGER_INVOICES: book.columns.get(LEDGER_INVOICES, {})})


def ledger_tabs(headers: list[RegisterRow], lines: list[InvoiceLineRow]) -> list[Tab]:
    """The ledger's two very hidden sheets: headers as posted (and sent), with their chain, and lines."""
    return [ledger_invoices_tab(headers), ledger_lines_tab(lines)]


def ledger_invoices_tab(headers: list[RegisterRow]) -> Tab:
    return replace(register_tab(sealed(headers)), name=LEDGER_INVOICES, row_fills=None, hidden=True, tab_color=None)


def ledger_lines_tab(lines: list[InvoiceLineRow]) -> Tab:
    return replace(lines_tab(lines), name=LEDGER_LINES, hidden=True, tab_color=None, seal=None)


@rule("POSTED_INVOICE_CHANGED", ERROR,
      what="a posted invoice's stored figures were edited by hand",
      action="restore the invoice from the backup; correct it with a credit memo")
def changed_invoices(ctx: Context, say: Say) -> list[Finding]:
    """The ledger edited, or a posted row of the view deleted, added or edited."""
    book = ctx.book
    headers, lines = ledger_rows(book)
    by_number: dict[str, list[InvoiceLineRow]] = defaultdict(list)
    for ln in lines:
        by_number[number(ln)].append(ln)
    findings: list[Finding] = []

    def changed(where: str, h: RegisterRow, message: str, found: str) -> None:
        findings.append(say(where, None, message, Subject(f"posted:{h.invoice_number}", h.customer_id, h.contract_id),
                            found, "the invoice as posted", h.total))

    previous = ""
    for h in sorted(headers, key=lambda h: number_key(h.invoice_number)):
        previous = chain_link(previous, h)
        broken = number(h) not in ctx.just_posted and h.fingerprint != fingerprint(h, by_number.get(number(h), ()))
        if has_ledger(book) and (broken or h.chain != previous):
            changed(LEDGER_INVOICES, h, f"the protected ledger entry of posted invoice {h.invoice_number} was edited",
                    "a ledger entry that no longer matches its chain")
        elif broken:
            changed(book.cell(h, "total"), h, f"posted invoice {h.invoice_number} was edited by hand; restore it from "
                    "the backup and record corrections as a credit memo on the Adjustments sheet",
                    "figures that differ from posting")
    if not has_ledger(book):
        return findings
    posted = {number(h): h for h in headers}
    shown: dict[str, list[InvoiceLineRow]] = defaultdict(list)
    for ln in book.invoice_lines:
        if ln.invoice_number:
            shown[ln.invoice_number].append(ln)
    seen: set[str] = set()
    for r in book.register:
        if not r.invoice_number:
            continue
        known = posted.get(r.invoice_number)
        if known is None or r.invoice_number in seen:
            changed(book.cell(r, "invoice_number"), r, f"InvoiceRegister row {r.row} shows invoice {r.invoice_number}, "
                    "which was never posted (a row added or copied by hand); it is removed on the next run",
                    r.invoice_number)
        elif not _as_posted(r, shown.get(r.invoice_number, []), known, by_number.get(r.invoice_number, [])):
            changed(book.cell(r, "total"), known,
                    f"posted invoice {known.invoice_number} was edited by hand in InvoiceRegister "
                    "or InvoiceLines; the ledger keeps it as posted and the next run writes it back",
                    "figures that differ from posting")
        seen.add(r.invoice_number)
    for deleted in sorted(posted.keys() - seen, key=number_key):
        changed("InvoiceRegister", posted[deleted], f"posted invoice {deleted} was deleted from InvoiceRegister; the "
                "ledger keeps it and the next run writes it back", "no row for it")
    return findings
