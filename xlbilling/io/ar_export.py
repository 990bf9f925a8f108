"""Invoices and payments in the import layouts of the accounting systems, so that receivables live
there as invoices and payments applied to them, not only as journal lines.

- qbo invoices: QuickBooks Online's invoice import (Settings > Import data > Invoices), one row per
  item line: InvoiceNo (21), Customer (its display name: accounting_name, else name), InvoiceDate,
  DueDate (MM/DD/YYYY), Terms, Memo (the PO), Item(Product/Service) (the QuickBooks item of the
  line's revenue account, from GLAccounts' QBO Item; else Services), ItemDescription, ItemQuantity,
  ItemRate, ItemAmount, Taxable (Y/N), TaxRate, ServiceDate. QuickBooks (US) takes one sales tax
  rate per invoice and works the tax out itself, which gives our figure (tax per rate, rounded
  once). An invoice whose lines are taxed at several rates carries its tax instead as a last line,
  item "Sales Tax" (or GLAccounts' QBO Item of the sales tax account), its lines not taxable.
- qbo payments: the Receive Payment import of the QuickBooks Online importers (QuickBooks' own
  Import data has none): one row per invoice a payment pays, and one without an invoice for what
  the payment leaves unapplied.
- bc invoices: Business Central sales journal lines (template and batch from bc_sales_template and
  bc_sales_batch): per invoice or credit memo, the customer line with its due date, PO (External
  Document No.) and, for a credit memo, the invoice it applies to; then the G/L lines, one signed
  Amount each; every document balances.
- bc payments: cash receipt journal lines (bc_receipts_template, bc_receipts_batch): per invoice a
  payment pays, Account Type Customer, a negative Amount applied to that invoice (Applies-to Doc.),
  balanced on the cash account (gl_cash's BC number).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from ..core.findings import Finding, show
from ..core.journal import Entry
from ..core.models import InvoiceLineRow, Payment, RegisterRow
from ..core.money import ZERO
from ..core.receivables import Receivables
from .gl_export import (ExportContext, Fields, account_in, amount, bc_date, bc_line_no, bc_pattern, blank_settings,
                        doc_type, us_date)


class Table(NamedTuple):
    """A file's columns and rows, which columns hold dates and amounts, and the IDs it exports."""

    columns: tuple[str, ...]
    rows: list[list[str]]
    ids: list[str]
    dates: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    date_pattern: str = "%m/%d/%Y"  # how the dates are written (strftime)


QBO_INVOICE = ("InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Terms", "Memo", "Item(Product/Service)",
               "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount", "Taxable", "TaxRate", "ServiceDate")
QBO_PAYMENT = ("Ref No", "Payment Date", "Customer", "Payment Method", "Deposit To", "Reference No", "Invoice No",
               "Amount", "Memo")
BC_SALES = ("Journal Template Name", "Journal Batch Name", "Line No.", "Posting Date", "Document Type", "Document No.",
            "External Document No.", "Account Type", "Account No.", "Description", "Due Date", "Amount",
            "Applies-to Doc. Type", "Applies-to Doc. No.")
BC_RECEIPTS = ("Journal Template Name", "Journal Batch Name", "Line No.", "Posting Date", "Document Type",
               "Document No.", "External Document No.", "Account Type", "Account No.", "Description", "Amount",
               "Bal. Account Type", "Bal. Account No.", "Applies-to Doc. Type", "Applies-to Doc. No.")
DEFAULT_ITEM = "Services"  # every QuickBooks Online company has it
TAX_ITEM = "Sales Tax"  # a non-taxable item that books to the sales tax payable account


def _number(value: Decimal) -> str:
    """A quantity or rate as the workbook has it, without trailing zeros."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _customer_name(ctx: ExportContext, customer_id: str) -> str:
    return ctx.names.get(customer_id, customer_id)


def qbo_terms(terms) -> str:
    """Terms under QuickBooks' own names: Net 30, Due on receipt, 2% 10 Net 30."""
    if terms.discount_pct is not None:
        return f"{_number(terms.discount_pct * 100)}% {terms.discount_days} Net {terms.net_days}"
    return "Due on receipt" if terms.net_days == 0 else f"Net {terms.net_days}"


def _item(ctx: ExportContext, account: str, default: str) -> str:
    """The QuickBooks product/service that books to an account (GLAccounts' QBO Item)."""
    return (ctx.chart.get(account, (None,) * 4)[3] if ctx.chart else None) or default


def qbo_invoices(invoices: list[tuple[RegisterRow, list[InvoiceLineRow]]], ctx: ExportContext,
                 revenue: str, tax_account: str) -> tuple[Table, list[Finding]]:
    """Posted invoices as QuickBooks Online imports them (`revenue`: the account of a line without one)."""
    errors: list[Finding] = []
    rows: list[list[str]] = []

    def row(h: RegisterRow, item: str, description: str, quantity: str, rate: str, value: Decimal, taxable: bool,
            tax_rate: str, service: str, where: str | None) -> None:
        r = Fields(ctx, errors)
        r.add(h.invoice_number, 21, "journal", "InvoiceNo").add(_customer_name(ctx, h.customer_id), 100,
                                                                    "customer-name", "Customer")
        r.add(us_date(h.invoice_date)).add(us_date(h.due_date)).add(qbo_terms(h.terms), 31, column="Terms")
        r.add(f"PO {h.po_number}" if h.po_number else "", 1000, column="Memo", where=f"the PO of {h.invoice_number}")
        r.add(item, 100, "account", "Item(Product/Service)")
        r.add(description, 4000, column="ItemDescription", where=where)
        rows.append(r.add(quantity).add(rate).add(amount(value)).add("Y" if taxable else "N").add(tax_rate)
                    .add(service).values)

    for h, lines in invoices:
        rates = {ln.tax_rate for ln in lines if ln.tax_rate}
        one_rate = len(rates) == 1  # QuickBooks works the tax out itself, at one rate per invoice, as we do
        rate = f"{_number(next(iter(rates)) * 100)}%" if one_rate else ""
        for ln in lines:
            item = _item(ctx, ln.revenue_account or revenue, DEFAULT_ITEM)
            # a prorated or rounded line is not quantity × rate: its amount stands alone (QuickBooks takes it)
            price = _number(ln.unit_price) if ln.quantity * ln.unit_price == ln.amount else ""
            row(h, item, ln.description or "", _number(ln.quantity), price, ln.amount,
                bool(ln.tax_rate) and one_rate, rate, us_date(ln.service_start), ln.source_cell or None)
        if len(rates) > 1:  # several rates: the tax travels as its own line, to the cent, taxed no further
            row(h, _item(ctx, tax_account, TAX_ITEM), f"Sales tax ({', '.join(f'{r:.2%}' for r in sorted(rates))})",
                "1", amount(h.tax), h.tax, False, "", us_date(h.invoice_date), None)
    table = Table(QBO_INVOICE, rows, [h.invoice_number or "" for h, _ in invoices],
                  ("InvoiceDate", "DueDate", "ServiceDate"), ("ItemQuantity", "ItemRate", "ItemAmount"))
    return table, list(dict.fromkeys(errors))


def _applied(ar: Receivables, payments: list[Payment]) -> list[tuple[Payment, str, Decimal]]:
    """Each payment's share per invoice it pays, then what it leaves unapplied (invoice "")."""
    shares: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for app in ar.applications:
        shares[app.payment.payment_id].append((app.invoice_number, app.amount))
    out: list[tuple[Payment, str, Decimal]] = []
    for p in payments:
        paid = shares.get(p.payment_id, [])
        out += [(p, number, value) for number, value in paid]
        rest = p.amount - sum((v for _, v in paid), ZERO)
        if rest:
            out.append((p, "", rest))
    return out


def qbo_payments(ar: Receivables, payments: list[Payment], ctx: ExportContext) -> tuple[Table, list[Finding]]:
    errors: list[Finding] = []
    rows: list[list[str]] = []
    for p, number, value in _applied(ar, payments):
        r = Fields(ctx, errors)
        r.add(p.payment_id, 21, "payment", "Ref No").add(us_date(p.date))
        r.add(_customer_name(ctx, p.customer_id), 100, "customer-name", "Customer").add(p.method or "", 31,
                                                                                        column="Payment Method")
        r.add(account_in(r, ctx.cash, "qbo"), 100, "account", "Deposit To")
        r.add(p.reference or "", 21, "reference", "Reference No").add(number).add(amount(value))
        rows.append(r.add(f"Payment {p.payment_id}", 4000, column="Memo").values)
    table = Table(QBO_PAYMENT, rows, [p.payment_id for p in payments], ("Payment Date",), ("Amount",))
    return table, list(dict.fromkeys(errors))


def _bc_head(r: Fields, template: tuple[str, str], n: int, rows: int, day, settings: tuple[str, str]) -> Fields:
    r.add(template[0], 10, "setting:" + settings[0], "Journal Template Name")
    r.add(template[1], 10, "setting:" + settings[1], "Journal Batch Name")
    return r.add(str(bc_line_no(n, rows))).add(bc_date(day, r.ctx))


def bc_sales(entries: list[Entry], headers: dict[str, RegisterRow], ctx: ExportContext) -> tuple[Table, list[Finding]]:
    """The invoice and credit memo journals as sales journal lines (one signed Amount each)."""
    names = ("bc_sales_template", "bc_sales_batch")
    errors = blank_settings(ctx, dict(zip(names, ctx.bc_sales)), "the sales journal template and batch of the company")
    rows: list[list[str]] = []
    for n, e in enumerate(entries):
        kind = doc_type(e, ctx.prefixes)
        customer = e.account == ctx.receivable and e.customer_id
        h = headers.get(e.invoice_number or "")
        r = _bc_head(Fields(ctx, errors), ctx.bc_sales, n, len(entries), e.date, names)
        r.add(kind).add(e.journal_id, 20, "journal", "Document No.")
        r.add(h.po_number if customer and h and h.po_number else "", 35, column="External Document No.",
              where=f"the PO of {e.journal_id}")
        r.add("Customer" if customer else "G/L Account")
        if customer:
            r.add(e.customer_id, 20, "customer", "Account No.")
        else:
            r.add(account_in(r, e.account, "bc"), 20, "account", "Account No.")
        r.add(e.memo, 100, column="Description")
        r.add(bc_date(h.due_date, ctx) if customer and h and kind == "Invoice" else "")
        r.add(amount(e.debit - e.credit))
        applies = customer and kind == "Credit Memo" and e.invoice_number
        rows.append(r.add("Invoice" if applies else "").add(e.invoice_number if applies else "").values)
    ids = list(dict.fromkeys(e.journal_id for e in entries))
    table = Table(BC_SALES, rows, ids, ("Posting Date", "Due Date"), ("Line No.", "Amount"), bc_pattern(ctx))
    return table, list(dict.fromkeys(errors))


def bc_receipts(ar: Receivables, payments: list[Payment], ctx: ExportContext) -> tuple[Table, list[Finding]]:
    """Payments as cash receipt journal lines, each applied to the invoice it pays."""
    names = ("bc_receipts_template", "bc_receipts_batch")
    errors = blank_settings(ctx, dict(zip(names, ctx.bc_receipts)),
                            "the cash receipt journal template and batch of the company")
    rows: list[list[str]] = []
    shares = _applied(ar, payments)
    for n, (p, number, value) in enumerate(shares):
        r = _bc_head(Fields(ctx, errors), ctx.bc_receipts, n, len(shares), p.date, names)
        r.add("Payment").add(p.payment_id, 20, "payment", "Document No.")
        r.add(p.reference or "", 35, "reference", "External Document No.").add("Customer")
        r.add(p.customer_id, 20, "customer", "Account No.").add(f"Payment {p.payment_id}", 100, column="Description")
        r.add(amount(-value)).add("G/L Account").add(account_in(r, ctx.cash, "bc"), 20, "account", "Bal. Account No.")
        rows.append(r.add("Invoice" if number else "").add(number).values)
    table = Table(BC_RECEIPTS, rows, [p.payment_id for p in payments], ("Posting Date",), ("Line No.", "Amount"),
                  bc_pattern(ctx))
    return table, list(dict.fromkeys(errors))


def show_ids(ids: list[str], most: int = 5) -> str:
    """A few IDs for a message, and how many more."""
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return ", ".join(show(i) for i in ids[:most]) + more
