"""The InvoiceRegister and InvoiceLines tabs of spec section 5, built from drafts."""

from __future__ import annotations

from .invoicing import Draft
from .money import ZERO
from .tabs import DATE, MONEY, NUMBER, PCT, TEXT, Column, Tab

REGISTER_COLUMNS = (
    Column("Invoice Number", TEXT, 15), Column("Draft ID", TEXT, 22), Column("Status", TEXT, 12),
    Column("Customer ID", TEXT, 12), Column("Contract ID", TEXT, 12), Column("Invoice Date", DATE, 12),
    Column("Due Date", DATE, 12), Column("Terms", TEXT, 14), Column("PO Number", TEXT, 12),
    Column("Subtotal", MONEY, 13), Column("Tax", MONEY, 11), Column("Total", MONEY, 13), Column("Paid", MONEY, 11),
    Column("Credited", MONEY, 11), Column("Balance", MONEY, 13), Column("Discount Date", DATE, 13),
    Column("Discount Amount", MONEY, 13), Column("Lines", TEXT, 7), Column("Hold Reasons", TEXT, 40),
)
LINE_COLUMNS = (
    Column("Invoice Number", TEXT, 15), Column("Draft ID", TEXT, 22), Column("Line No", TEXT, 8),
    Column("Contract ID", TEXT, 12), Column("Source Type", TEXT, 11), Column("Source ID", TEXT, 24),
    Column("Description", TEXT, 36), Column("Service Start", DATE, 12), Column("Service End", DATE, 12),
    Column("Quantity", NUMBER, 10), Column("Unit Price", MONEY, 11), Column("Amount", MONEY, 12),
    Column("Tax Category", TEXT, 12), Column("Tax Rate", PCT, 9), Column("Source Cell", TEXT, 18),
    Column("Entry IDs", TEXT, 40),
)


def register_tab(drafts: list[Draft]) -> Tab:
    rows = []
    for d in drafts:
        discount = d.discount
        rows.append((None, d.draft_id, d.status, d.customer_id, d.contract_id, d.invoice_date, d.due_date, str(d.terms),
                     d.po_number, d.subtotal, d.tax, d.total, ZERO, ZERO, d.total,
                     discount[0] if discount else None, discount[1] if discount else None, len(d.lines),
                     "; ".join(d.holds) or None))
    fills = ["warning" if d.holds else None for d in drafts]
    return Tab("InvoiceRegister", REGISTER_COLUMNS, rows, row_fills=fills)


def lines_tab(drafts: list[Draft]) -> Tab:
    rows = []
    for d in drafts:
        for line in d.lines:
            i = line.item
            rows.append((None, d.draft_id, line.line_no, i.contract_id, i.source_type, i.source_id, i.description,
                         i.service_start, i.service_end, i.quantity, i.unit_price, i.amount, i.tax_category,
                         line.tax_rate, i.where, " ".join(i.entry_ids) or None))
    return Tab("InvoiceLines", LINE_COLUMNS, rows)
