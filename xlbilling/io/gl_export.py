"""GL journal exports for the import formats accounting teams use.

Layouts (column names as the importing products document them):
- generic: the GLJournal columns, ISO dates.
- bc: Dynamics 365 Business Central general journal lines (Gen. Journal Line fields, for a
  configuration package or "Edit in Excel" import): template, batch, line no., posting date,
  document type and number, account type and number, description, debit and credit amounts.
- gp: Dynamics GP General Journal through Integration Manager, one flat source file: header fields
  (Batch ID, Journal Entry, Transaction Date, Reference) repeated on each distribution line
  (Account, Debit, Credit, Distribution Reference); GP's field lengths enforced.
- qbo: QuickBooks Online journal entry import: Journal No, Journal Date (MM/DD/YYYY), Account Name,
  Debits, Credits, Description, Name. QBO matches accounts by name: put the account names in the
  Settings gl_* values when exporting to it.
Text that Excel would read as a formula is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Callable

from ..core.journal import Entry

RISKY = ("=", "+", "-", "@", "\t", "\r")


def safe(text: object, limit: int | None = None) -> str:
    value = "" if text is None else str(text)
    if limit:
        value = value[:limit]
    return "'" + value if value.startswith(RISKY) else value


def _money(value) -> str:
    return f"{value:.2f}" if value else ""


def _us(d: date) -> str:
    return f"{d:%m/%d/%Y}"


def _doc_type(e: Entry, settings_prefixes: tuple[str, str]) -> str:
    invoice_prefix, memo_prefix = settings_prefixes
    if e.journal_id.startswith("PAY-"):
        return "Payment"
    if memo_prefix and e.journal_id.startswith(memo_prefix):
        return "Credit Memo"
    if invoice_prefix and e.journal_id.startswith(invoice_prefix):
        return "Invoice"
    return ""


@dataclass(frozen=True)
class Layout:
    name: str
    columns: tuple[str, ...]
    row: Callable[[int, Entry, dict], list[str]]


def _generic(n, e, ctx):
    return [safe(e.journal_id), e.date.isoformat(), safe(e.account), _money(e.debit), _money(e.credit),
            safe(e.customer_id), safe(e.invoice_number), safe(e.memo)]


def _bc(n, e, ctx):
    return ["GENERAL", "XLBILLING", str(10000 * (n + 1)), _us(e.date), _doc_type(e, ctx["prefixes"]),
            safe(e.journal_id, 20), "G/L Account", safe(e.account, 20), safe(e.memo, 100), _money(e.debit),
            _money(e.credit)]


def _gp(n, e, ctx):
    return [safe(ctx["batch"], 15), str(ctx["journal_numbers"][e.journal_id]), _us(e.date),
            safe(e.journal_id, 30), safe(e.account, 75), _money(e.debit), _money(e.credit), safe(e.memo, 30)]


def _qbo(n, e, ctx):
    return [safe(e.journal_id, 21), _us(e.date), safe(e.account), _money(e.debit), _money(e.credit), safe(e.memo, 4000),
            safe(ctx["names"].get(e.customer_id, "") if e.customer_id else "")]


LAYOUTS = {
    "generic": Layout("generic", ("Journal ID", "Date", "Account", "Debit", "Credit", "Customer ID", "Invoice Number",
                                  "Memo"), _generic),
    "bc": Layout("bc", ("Journal Template Name", "Journal Batch Name", "Line No.", "Posting Date", "Document Type",
                        "Document No.", "Account Type", "Account No.", "Description", "Debit Amount", "Credit Amount"),
                 _bc),
    "gp": Layout("gp", ("Batch ID", "Journal Entry", "Transaction Date", "Reference", "Account", "Debit", "Credit",
                        "Distribution Reference"), _gp),
    "qbo": Layout("qbo", ("Journal No", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name"),
                  _qbo),
}


def export_csv(entries: list[Entry], layout: str, customer_names: dict[str, str], prefixes: tuple[str, str],
               batch: str) -> str:
    spec = LAYOUTS[layout]
    numbers: dict[str, int] = {}
    for e in entries:
        numbers.setdefault(e.journal_id, len(numbers) + 1)
    ctx = {"names": customer_names, "prefixes": prefixes, "batch": batch, "journal_numbers": numbers}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(spec.columns)
    for n, e in enumerate(entries):
        writer.writerow(spec.row(n, e, ctx))
    return out.getvalue()
