"""The data contract of the master workbook (shared/workbook-spec.md, section 2) as data.

One table per sheet: its columns (declared on the record types of core/models.py: kind,
required, default, allowed values, width), its key and whether the book must have it. The
reader, the template and the sample are all driven by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .core.columns import Col, Kind, columns_of, normalize, title_case
from .core.models import (CHARGE_KINDS, CONTRACT_TYPES, FREQUENCIES, Adjustment, Amendment, Charge, Contract,
                          ContractLine, Customer, DiscrepancyRow, Dispute, GLAccount, InvoiceLineRow, Milestone,
                          Payment, Rate, RegisterRow, TaxRate, TimeEntry)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Col, ...]
    key: str | None = None
    required: bool = False


__all__ = ["CHARGE_KINDS", "CONTRACT_TYPES", "FREQUENCIES", "Col", "Kind", "SheetSpec", "normalize", "title_case"]

BOOL_TEXT = {"y": True, "yes": True, "true": True, "1": True, "n": False, "no": False, "false": False, "0": False}


SETTINGS_DEFAULTS: dict[str, str] = {
    "company_name": "",
    "company_address": "",
    "remit_to": "",
    "company_email": "",
    "currency": "USD",
    "default_payment_terms": "NET30",
    "aging_buckets": "30,60,90",
    "invoice_prefix": "INV-",
    "next_invoice_number": "1001",
    "credit_memo_prefix": "CM-",
    "next_credit_memo_number": "1",
    "amount_change_threshold": "0.10",
    "expiry_warning_days": "60",
    "max_daily_hours": "16",
    "reminder_1_days": "1",
    "reminder_2_days": "15",
    "final_notice_days": "30",
    "escalate_days": "60",
    "gl_accounts_receivable": "1200",
    "gl_cash": "1000",
    "gl_sales_tax_payable": "2200",
    "gl_deferred_revenue": "2400",
    "gl_revenue": "4000",
    "gl_bad_debt": "6500",
    "gl_sales_discounts": "4900",
    "smtp_host": "",
    "smtp_port": "587",
    "smtp_security": "starttls",
    "smtp_user": "",
    "email_from": "",
    "backups_kept": "5",
    "time_zone": "UTC",
    "bc_journal_template": "",
    "bc_journal_batch": "",
    "bc_sales_template": "",
    "bc_sales_batch": "",
    "bc_receipts_template": "",
    "bc_receipts_batch": "",
    "bc_date_format": "YYYY-MM-DD",
    "gp_batch": "",
    "gp_first_journal_entry": "",
}

SETTINGS = SheetSpec(
    "Settings",
    (Col("setting", Kind.TEXT, True, width=28), Col("value", Kind.TEXT, width=40)),
    required=False,
)

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        "Customers",
        columns_of(Customer),
        key="customer_id",
        required=True,
    ),
    SheetSpec(
        "Contracts",
        columns_of(Contract),
        key="contract_id",
        required=True,
    ),
    SheetSpec(
        "ContractLines",
        columns_of(ContractLine),
        key="line_id",
    ),
    SheetSpec(
        "RateCard",
        columns_of(Rate),
    ),
    SheetSpec(
        "Timesheets",
        columns_of(TimeEntry),
        key="entry_id",
    ),
    SheetSpec(
        "Charges",
        columns_of(Charge),
        key="charge_id",
    ),
    SheetSpec(
        "Milestones",
        columns_of(Milestone),
        key="milestone_id",
    ),
    SheetSpec(
        "TaxRates",
        columns_of(TaxRate),
    ),
    SheetSpec(
        "Payments",
        columns_of(Payment),
        key="payment_id",
    ),
    SheetSpec(
        "Adjustments",
        columns_of(Adjustment),
        key="adjustment_id",
    ),
    SheetSpec(
        "Disputes",
        columns_of(Dispute),
    ),
    SheetSpec(
        "Amendments",
        columns_of(Amendment),
        key="amendment_id",
    ),
    SheetSpec(
        "GLAccounts",
        columns_of(GLAccount),
        key="account",
    ),
)

SHEET_BY_NAME: dict[str, SheetSpec] = {s.name: s for s in SHEETS}

# Output tabs the tool reads back: posted invoices live in them (spec section 5).
REGISTER = SheetSpec(
        "InvoiceRegister",
        columns_of(RegisterRow),
    key="invoice_number",
)
INVOICE_LINES = SheetSpec(
        "InvoiceLines",
        columns_of(InvoiceLineRow),
)
DISCREPANCIES = SheetSpec(
        "Discrepancies",
        columns_of(DiscrepancyRow),
    key="discrepancy_id",
)
# The posted ledger: very hidden copies of the posted invoices and their lines (core/ledger.py).
POSTED_INVOICES = SheetSpec("xlbPostedInvoices", REGISTER.columns)
POSTED_LINES = SheetSpec("xlbPostedLines", INVOICE_LINES.columns)
LEDGER_SHEETS = (REGISTER, INVOICE_LINES, DISCREPANCIES, POSTED_INVOICES, POSTED_LINES)
