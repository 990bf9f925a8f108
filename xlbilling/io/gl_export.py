"""GL journal exports in the import layouts of the accounting systems, by their documented rules.

Layouts (column names as the importing products document them):
- generic: the GLJournal columns, ISO dates.
- bc: Business Central general journal lines (table 81, for a configuration package or "Edit in
  Excel"): the company's own journal template and batch (settings bc_journal_template and
  bc_journal_batch, Code[10]), Document No. and Account No. Code[20], Description Text[100]. A/R lines
  post to Account Type Customer with the customer's number (its customer ID), so they create customer
  ledger entries; the rest to G/L Account.
- gp: Dynamics GP through Integration Manager (eConnect taGLTransactionLineInsert): Batch ID of 15,
  Journal Entry an integer counted from the setting gp_first_journal_entry (blank: left for GP to
  assign), the account string as GP has it (000-1200-00), Distribution Reference of 30, debit and
  credit both present (0.00, never blank).
- qbo: QuickBooks Online journal entry import: Journal No (21), Journal Date (MM/DD/YYYY), Account Name
  (QBO matches accounts by name, sub-accounts as Parent:Sub: the gl_* settings hold the names), Debits,
  Credits, Description, and Name on every A/R line: the customer's accounting_name (else name).

A value over a system's limit is an input error naming the cell it comes from, never cut short. Text
a spreadsheet would take for a formula (=, +, @, a tab or CR first) is refused the same way: nothing is
prefixed, so no character that is not in the workbook lands in the accounting records. (Our own
memos begin with words.)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from collections.abc import Callable

from ..core.findings import Finding, input_error, show
from ..core.journal import Entry

FORMULA_START = ("=", "+", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportContext:
    """What a layout needs besides the entries, and where each value comes from (for messages)."""

    receivable: str = "1200"  # the A/R account: its lines name the customer
    prefixes: tuple[str, str] = ("INV-", "CM-")
    names: dict[str, str] = field(default_factory=dict)  # customer -> name in the accounting system
    cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (what, value) -> "Sheet!Cell"
    bc_template: str = ""
    bc_batch: str = ""
    gp_batch: str = ""
    gp_first_journal_entry: int | None = None
    chart: dict[str, tuple[str | None, ...]] = field(default_factory=dict)
    # the GLAccounts sheet: account -> (QuickBooks name, Business Central number, GP account string, QuickBooks item)
    gp_taken: dict[str, int] = field(default_factory=dict)  # journal -> GP number an earlier export gave it
    cash: str = "1000"  # where payments are deposited
    bc_date_format: str = "YYYY-MM-DD"
    bc_sales: tuple[str, str] = ("", "")  # the sales journal's template and batch (invoices, credit memos)
    bc_receipts: tuple[str, str] = ("", "")  # the cash receipt journal's (payments)


_SYSTEM = {"qbo": 0, "bc": 1, "gp": 2}
BC_DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "MM/DD/YYYY": "%m/%d/%Y", "DD/MM/YYYY": "%d/%m/%Y",
                   "DD.MM.YYYY": "%d.%m.%Y"}


def account_in(r: Fields, account: str, layout: str) -> str:
    """An account as the accounting system knows it, from the GLAccounts sheet when the book has one
    (an account the sheet lacks is an error at the cell that uses it)."""
    chart = r.ctx.chart
    if not chart or layout not in _SYSTEM:
        return account
    if account not in chart:
        r.errors.append(input_error(r.ctx.cells.get(("account", account), "Settings"),
                                    f"account {account} is not on the GLAccounts sheet", show(account),
                                    "an account listed on GLAccounts, with its name or number in the "
                                    "accounting system"))
        return account
    return chart[account][_SYSTEM[layout]] or account


class Fields:
    """One exported row's fields, each checked against its limit and for formulas as it is added."""

    def __init__(self, ctx: ExportContext, errors: list[Finding]):
        self.ctx, self.errors = ctx, errors
        self.values: list[str] = []

    def add(self, value: object, limit: int | None = None, what: str = "", column: str = "",
            where: str | None = None) -> Fields:
        """`what` finds the value's cell in ctx.cells (else `where`, else the column names it)."""
        text = "" if value is None else str(value)
        where = self.ctx.cells.get((what, text), where or what or column)
        if text.startswith(FORMULA_START):
            self.errors.append(input_error(where, f"{column} would start with {text[0]!r}, which a spreadsheet takes "
                                           "for a formula", show(text), "text that starts with a letter or digit"))
        elif limit and len(text) > limit:
            self.errors.append(input_error(where, f"{column} is {len(text)} characters, over the {limit} the "
                                           "accounting system takes", show(text), f"at most {limit} characters"))
        self.values.append(text)
        return self


def money(value) -> str:
    """An amount as the files carry it: two decimals, blank for none."""
    return f"{value:.2f}" if value else ""


def amount(value) -> str:
    """An amount that is always present: 0.00 for none."""
    return f"{value:.2f}"


def us_date(d: date) -> str:
    return f"{d:%m/%d/%Y}"


def bc_pattern(ctx: ExportContext) -> str:
    """The strftime pattern of the Business Central dates the user set (bc_date_format)."""
    return BC_DATE_FORMATS.get(ctx.bc_date_format, "%Y-%m-%d")


def bc_date(d: date, ctx: ExportContext) -> str:
    return d.strftime(bc_pattern(ctx))


def bc_line_no(n: int, rows: int) -> int:
    """Business Central's Line No. (an Integer): 10000, 20000, … as its pages number lines, closer
    together when a file has more lines than that leaves room for."""
    step = min(10000, (2**31 - 1) // max(rows, 1))
    return step * (n + 1)


def gp_numbers(entries: list[Entry], ctx: ExportContext) -> dict[str, int]:
    """GP journal entry numbers: a journal exported before keeps its number (so GP refuses it twice);
    the others count on from gp_first_journal_entry, above every number an earlier export used."""
    first = ctx.gp_first_journal_entry
    if first is None:
        return {}
    following = max([first - 1, *ctx.gp_taken.values()]) + 1
    numbers: dict[str, int] = {}
    for e in entries:
        if e.journal_id not in numbers:
            taken = ctx.gp_taken.get(e.journal_id)
            if taken is None:
                taken, following = following, following + 1
            numbers[e.journal_id] = taken
    return numbers


def doc_type(e: Entry, prefixes: tuple[str, str]) -> str:
    invoice_prefix, memo_prefix = prefixes
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
    row: Callable[[int, Entry, Fields, dict], Fields]
    dates: tuple[str, ...] = ()  # columns that hold a date, and amounts (for the workbook form)
    amounts: tuple[str, ...] = ()


def _generic(n, e, r, numbers):
    return (r.add(e.journal_id, what="journal", column="Journal ID").add(e.date.isoformat())
            .add(e.account, what="account", column="Account").add(money(e.debit)).add(money(e.credit))
            .add(e.customer_id).add(e.invoice_number).add(e.memo, column="Memo"))


def _bc(n, e, r, numbers):
    customer = e.account == r.ctx.receivable and e.customer_id
    r.add(r.ctx.bc_template, 10, "setting:bc_journal_template", "Journal Template Name")
    r.add(r.ctx.bc_batch, 10, "setting:bc_journal_batch", "Journal Batch Name")
    r.add(str(bc_line_no(n, numbers["rows"]))).add(bc_date(e.date, r.ctx)).add(doc_type(e, r.ctx.prefixes))
    r.add(e.journal_id, 20, "journal", "Document No.").add("Customer" if customer else "G/L Account")
    if customer:
        r.add(e.customer_id, 20, "customer", "Account No.")
    else:
        r.add(account_in(r, e.account, "bc"), 20, "account", "Account No.")
    return r.add(e.memo, 100, column="Description").add(money(e.debit)).add(money(e.credit))


def _gp(n, e, r, numbers):
    number = str(numbers[e.journal_id]) if e.journal_id in numbers else ""
    return (r.add(r.ctx.gp_batch, 15, "setting:gp_batch", "Batch ID").add(number).add(us_date(e.date))
            .add(e.journal_id, 30, "journal", "Reference").add(account_in(r, e.account, "gp"), 66, "account", "Account")
            .add(amount(e.debit)).add(amount(e.credit))
            # the memo when it fits GP's 30 characters, else the document it belongs to (our words, not data)
            .add(e.memo if len(e.memo) <= 30 else e.journal_id, 30, "journal", "Distribution Reference"))


def _qbo(n, e, r, numbers):
    name = r.ctx.names.get(e.customer_id, "") if e.customer_id and e.account == r.ctx.receivable else ""
    return (r.add(e.journal_id, 21, "journal", "Journal No").add(us_date(e.date))
            .add(account_in(r, e.account, "qbo"), 100, "account", "Account Name").add(money(e.debit))
            .add(money(e.credit))
            .add(e.memo, 4000, column="Description").add(name, 100, "customer-name", "Name"))


LAYOUTS = {
    "generic": Layout("generic", ("Journal ID", "Date", "Account", "Debit", "Credit", "Customer ID", "Invoice Number",
                                  "Memo"), _generic),
    "bc": Layout("bc", ("Journal Template Name", "Journal Batch Name", "Line No.", "Posting Date", "Document Type",
                        "Document No.", "Account Type", "Account No.", "Description", "Debit Amount", "Credit Amount"),
                 _bc, ("Posting Date",), ("Line No.", "Debit Amount", "Credit Amount")),
    "gp": Layout("gp", ("Batch ID", "Journal Entry", "Transaction Date", "Reference", "Account", "Debit", "Credit",
                        "Distribution Reference"), _gp),
    "qbo": Layout("qbo", ("Journal No", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name"),
                  _qbo),
}


def blank_settings(ctx: ExportContext, needed: dict[str, str], why: str) -> list[Finding]:
    """An error for each setting the layout needs and the book leaves blank."""
    return [input_error(ctx.cells.get(("setting:" + setting, ""), "Settings"), f"setting {setting} is blank", "blank",
                        why) for setting, value in needed.items() if not value]


def export_rows(entries: list[Entry], layout: str, ctx: ExportContext) -> tuple[list[list[str]], list[Finding]]:
    """The file's rows under LAYOUTS[layout].columns, and every value that would not import as it stands."""
    spec = LAYOUTS[layout]
    numbers = gp_numbers(entries, ctx) if layout == "gp" else {"rows": len(entries)}
    errors: list[Finding] = []
    if layout == "bc":
        errors += blank_settings(ctx, {"bc_journal_template": ctx.bc_template, "bc_journal_batch": ctx.bc_batch},
                                 "the company's own journal template and batch from Business Central")
    rows = [spec.row(n, e, Fields(ctx, errors), numbers).values for n, e in enumerate(entries)]
    return rows, list(dict.fromkeys(errors))


def to_csv(columns: tuple[str, ...], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def export_csv(entries: list[Entry], layout: str, ctx: ExportContext) -> tuple[str, list[Finding]]:
    """The file's text and every value that would not import as it stands (then nothing is to be written)."""
    rows, errors = export_rows(entries, layout, ctx)
    return to_csv(LAYOUTS[layout].columns, rows), errors
