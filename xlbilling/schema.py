"""The data contract of the master workbook (shared/workbook-spec.md, section 2) as data.

One table per input sheet: its columns, their kinds, which are required, their defaults
and allowed values. The reader, the template and the sample are all driven by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

ONE = Decimal(1)


class Kind(str, Enum):
    TEXT = "text"
    ID = "id"
    DATE = "date"
    MONEY = "money"
    NUMBER = "number"
    INT = "whole number"
    PCT = "percentage"
    BOOL = "bool"
    ENUM = "enum"
    TERMS = "terms"
    EMAIL = "e-mail address"


@dataclass(frozen=True)
class Col:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()
    width: float = 14.0
    signed: bool = False  # numbers below 0 are allowed (else an input error)

    @property
    def title(self) -> str:
        return title_case(self.name)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Col, ...]
    key: str | None = None
    required: bool = False


def normalize(header: object) -> str:
    """Header and sheet-name matching: case-insensitive, ignoring spaces, underscores, hyphens and dots."""
    return re.sub(r"[\s_\-.]+", "", str(header)).lower()


_SMALL = {"id": "ID", "po": "PO", "sku": "SKU"}


def title_case(name: str) -> str:
    words = name.split("_")
    out = [_SMALL.get(w, w.capitalize()) for w in words]
    return " ".join(out)


BOOL_TEXT = {"y": True, "yes": True, "true": True, "1": True, "n": False, "no": False, "false": False, "0": False}

FREQUENCIES = ("monthly", "quarterly", "semiannual", "annual")
CONTRACT_TYPES = ("managed_services", "time_and_materials", "block_hours", "project", "subscription", "other")
CHARGE_KINDS = ("hardware", "software", "expense", "labor", "other")

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
        (
            Col("customer_id", Kind.ID, True),
            Col("name", Kind.TEXT, True, width=30),
            Col("billing_email", Kind.EMAIL, width=28),
            Col("billing_address", Kind.TEXT, width=36),
            Col("payment_terms", Kind.TERMS, width=16),
            Col("tax_jurisdiction", Kind.TEXT, width=16),
            Col("tax_exempt", Kind.BOOL, default=False, width=11),
            Col("exemption_expiry", Kind.DATE),
            Col("po_required", Kind.BOOL, default=False, width=12),
            Col("invoice_grouping", Kind.ENUM, default="customer", choices=("customer", "contract"), width=16),
            Col("status", Kind.ENUM, default="active", choices=("active", "inactive"), width=10),
            Col("accounting_name", Kind.TEXT, width=30),
            Col("source_ref", Kind.TEXT, width=26),
        ),
        key="customer_id",
        required=True,
    ),
    SheetSpec(
        "Contracts",
        (
            Col("contract_id", Kind.ID, True),
            Col("customer_id", Kind.ID, True),
            Col("name", Kind.TEXT, width=30),
            Col("type", Kind.ENUM, choices=CONTRACT_TYPES, width=18),
            Col("start_date", Kind.DATE, True),
            Col("end_date", Kind.DATE),
            Col("billing_frequency", Kind.ENUM, default="monthly", choices=FREQUENCIES, width=16),
            Col("billing_timing", Kind.ENUM, default="advance", choices=("advance", "arrears"), width=14),
            Col("proration", Kind.ENUM, default="daily", choices=("daily", "none"), width=11),
            Col("escalation_pct", Kind.PCT, width=13, signed=True),  # a decrease is a negative uplift
            Col("included_hours", Kind.NUMBER, width=14),
            Col("overage_rate", Kind.MONEY, width=13),
            Col("not_to_exceed", Kind.MONEY, width=14),
            Col("po_number", Kind.ID),
            Col("po_amount", Kind.MONEY),
            Col("status", Kind.ENUM, default="active", choices=("active", "on_hold"), width=10),
            Col("notes", Kind.TEXT, width=30),
            Col("billed_through", Kind.DATE, width=14),
            Col("source_ref", Kind.TEXT, width=26),
        ),
        key="contract_id",
        required=True,
    ),
    SheetSpec(
        "ContractLines",
        (
            Col("line_id", Kind.ID, True),
            Col("contract_id", Kind.ID, True),
            Col("description", Kind.TEXT, True, width=34),
            Col("kind", Kind.ENUM, default="fixed", choices=("fixed", "per_unit"), width=10),
            Col("quantity", Kind.NUMBER, default=ONE, width=10),
            Col("unit_price", Kind.MONEY, True, width=12),
            Col("start_date", Kind.DATE),
            Col("end_date", Kind.DATE),
            Col("tax_category", Kind.TEXT, default="services"),
            Col("revenue_account", Kind.TEXT, width=16),
            Col("unit_cost", Kind.MONEY, width=12),
            Col("vendor_sku", Kind.TEXT, width=18),
            Col("source_ref", Kind.TEXT, width=26),
        ),
        key="line_id",
    ),
    SheetSpec(
        "RateCard",
        (
            Col("contract_id", Kind.ID),
            Col("work_type", Kind.TEXT, True, width=20),
            Col("rate", Kind.MONEY, True, width=10),
            Col("effective_from", Kind.DATE),
            Col("effective_to", Kind.DATE),
        ),
    ),
    SheetSpec(
        "Timesheets",
        (
            Col("entry_id", Kind.ID, True),
            Col("date", Kind.DATE, True, width=11),
            Col("technician", Kind.TEXT, True, width=18),
            Col("customer_id", Kind.ID, True),
            Col("contract_id", Kind.ID),
            Col("ticket_id", Kind.ID, width=11),
            Col("work_type", Kind.TEXT, True, width=18),
            Col("hours", Kind.NUMBER, True, width=8, signed=True),  # 0 or less is TIME_NONPOSITIVE, a finding
            Col("billable", Kind.BOOL, default=True, width=9),
            Col("approved", Kind.BOOL, default=False, width=9),
            Col("notes", Kind.TEXT, width=40),
            Col("invoice_number", Kind.ID, width=15),
            Col("source_ref", Kind.TEXT, width=26),
        ),
        key="entry_id",
    ),
    SheetSpec(
        "Charges",
        (
            Col("charge_id", Kind.ID, True),
            Col("date", Kind.DATE, True, width=11),
            Col("customer_id", Kind.ID, True),
            Col("contract_id", Kind.ID),
            Col("kind", Kind.ENUM, choices=CHARGE_KINDS, default="other", width=10),
            Col("description", Kind.TEXT, True, width=34),
            Col("quantity", Kind.NUMBER, default=ONE, width=9),
            Col("unit_cost", Kind.MONEY, width=11),
            Col("unit_price", Kind.MONEY, True, width=11),
            Col("po_number", Kind.ID),
            Col("tax_category", Kind.TEXT),
            Col("invoice_number", Kind.ID, width=15),
            Col("source_ref", Kind.TEXT, width=26),
        ),
        key="charge_id",
    ),
    SheetSpec(
        "Milestones",
        (
            Col("milestone_id", Kind.ID, True),
            Col("contract_id", Kind.ID, True),
            Col("description", Kind.TEXT, True, width=34),
            Col("amount", Kind.MONEY, True, width=12),
            Col("completed_date", Kind.DATE, width=15),
        ),
        key="milestone_id",
    ),
    SheetSpec(
        "TaxRates",
        (
            Col("jurisdiction", Kind.TEXT, True, width=16),
            Col("tax_category", Kind.TEXT, True, width=16),
            Col("rate", Kind.PCT, True, width=10),
            Col("effective_from", Kind.DATE),
        ),
    ),
    SheetSpec(
        "Payments",
        (
            Col("payment_id", Kind.ID, True),
            Col("date", Kind.DATE, True, width=11),
            Col("customer_id", Kind.ID, True),
            Col("amount", Kind.MONEY, True, width=12),
            Col("method", Kind.TEXT, width=12),
            Col("reference", Kind.TEXT, width=16),
            Col("invoice_number", Kind.ID, width=15),
        ),
        key="payment_id",
    ),
    SheetSpec(
        "Adjustments",
        (
            Col("adjustment_id", Kind.ID, True),
            Col("date", Kind.DATE, True, width=11),
            Col("invoice_number", Kind.ID, True, width=15),
            Col("type", Kind.ENUM, default="credit", choices=("credit", "write_off"), width=10),
            Col("amount", Kind.MONEY, True, width=12),
            Col("reason", Kind.TEXT, True, width=34),
        ),
        key="adjustment_id",
    ),
    SheetSpec(
        "Disputes",
        (
            Col("invoice_number", Kind.ID, True, width=15),
            Col("opened_date", Kind.DATE, True),
            Col("reason", Kind.TEXT, width=34),
            Col("status", Kind.ENUM, default="open", choices=("open", "resolved"), width=10),
            Col("resolved_date", Kind.DATE),
        ),
    ),
    SheetSpec(
        "Amendments",
        (
            Col("amendment_id", Kind.ID, True),
            Col("contract_id", Kind.ID, True),
            Col("effective_date", Kind.DATE, True),
            Col("description", Kind.TEXT, True, width=40),
            Col("approved_by", Kind.TEXT, width=16),
        ),
        key="amendment_id",
    ),
    SheetSpec(  # the chart of accounts as each accounting system knows it (the gl_* settings name its accounts)
        "GLAccounts",
        (
            Col("account", Kind.ID, True),  # what the gl_* settings and Revenue Account cells say
            Col("name", Kind.TEXT, width=30),  # QuickBooks Online matches accounts by this name (Parent:Sub)
            Col("type", Kind.TEXT, width=16),
            Col("bc_number", Kind.ID, width=14),  # Business Central's G/L account number (Code[20])
            Col("gp_account", Kind.ID, width=16),  # Dynamics GP's segmented account string, e.g. 000-4000-00
            Col("qbo_item", Kind.TEXT, width=24),  # the QuickBooks product/service that books to this account
        ),
        key="account",
    ),
)

SHEET_BY_NAME: dict[str, SheetSpec] = {s.name: s for s in SHEETS}

# Output tabs the tool reads back: posted invoices live in them (spec section 5).
REGISTER = SheetSpec(
    "InvoiceRegister",
    (
        Col("invoice_number", Kind.ID, width=15),
        Col("draft_id", Kind.ID, width=22),
        Col("status", Kind.TEXT, True, width=14),
        Col("customer_id", Kind.ID, True, width=12),
        Col("contract_id", Kind.ID, width=12),
        Col("invoice_date", Kind.DATE, True, width=12),
        Col("usage_through", Kind.DATE, True, width=13),
        Col("due_date", Kind.DATE, True, width=12),
        Col("terms", Kind.TERMS, True, width=14),
        Col("po_number", Kind.ID, width=12),
        Col("subtotal", Kind.MONEY, True, width=13),
        Col("tax", Kind.MONEY, True, width=11),
        Col("total", Kind.MONEY, True, width=13),
        Col("paid", Kind.MONEY, width=11),
        Col("credited", Kind.MONEY, width=11),
        Col("written_off", Kind.MONEY, width=11),
        Col("discount", Kind.MONEY, width=11),
        Col("balance", Kind.MONEY, width=13, signed=True),
        Col("discount_date", Kind.DATE, width=13),
        Col("discount_amount", Kind.MONEY, width=15),
        Col("lines", Kind.INT, width=7),
        Col("hold_reasons", Kind.TEXT, width=40),
        Col("posted_on", Kind.DATE, width=12),
        Col("fingerprint", Kind.TEXT, width=18),
        Col("sent_at", Kind.TEXT, width=19),
        Col("sent_to", Kind.TEXT, width=26),
        Col("message_id", Kind.TEXT, width=30),
        Col("last_reminder", Kind.TEXT, width=13),
        Col("reminder_sent_at", Kind.TEXT, width=19),
        Col("chain", Kind.TEXT, width=18),
    ),
    key="invoice_number",
)
INVOICE_LINES = SheetSpec(
    "InvoiceLines",
    (
        Col("invoice_number", Kind.ID, width=15),
        Col("draft_id", Kind.ID, width=22),
        Col("line_no", Kind.INT, True, width=8),
        Col("contract_id", Kind.ID, width=12),
        Col("source_type", Kind.ENUM, True, choices=("recurring", "time", "overage", "included", "milestone",
                                                     "charge"), width=11),
        Col("source_id", Kind.ID, True, width=24),
        Col("description", Kind.TEXT, width=36),
        Col("service_start", Kind.DATE, True, width=12),
        Col("service_end", Kind.DATE, True, width=12),
        Col("quantity", Kind.NUMBER, True, width=10),
        Col("unit_price", Kind.MONEY, True, width=11),
        Col("amount", Kind.MONEY, True, width=12),
        Col("tax_category", Kind.TEXT, width=12),
        Col("tax_rate", Kind.PCT, width=9),
        Col("source_cell", Kind.TEXT, width=18),
        Col("entry_ids", Kind.TEXT, width=40),
        Col("revenue_account", Kind.TEXT, width=14),
    ),
)
DISCREPANCIES = SheetSpec(
    "Discrepancies",
    (
        Col("discrepancy_id", Kind.ID, True, width=26),
        Col("status", Kind.ENUM, default="open", choices=("open", "resolved"), width=9),
        Col("severity", Kind.ENUM, True, choices=("error", "warning", "info"), width=9),
        Col("code", Kind.TEXT, True, width=22),
        Col("cell", Kind.TEXT, width=18),
        Col("customer_id", Kind.ID, width=12),
        Col("contract_id", Kind.ID, width=12),
        Col("message", Kind.TEXT, width=60),
        Col("found", Kind.TEXT, width=18),
        Col("expected", Kind.TEXT, width=24),
        Col("amount", Kind.MONEY, width=12, signed=True),  # a change can be down
        Col("suggested_action", Kind.TEXT, width=40),
        Col("resolution", Kind.ENUM, choices=("approve", "exclude"), width=11),
        Col("note", Kind.TEXT, width=30),
        Col("first_seen", Kind.DATE, width=11),
        Col("last_seen", Kind.DATE, width=11),
    ),
    key="discrepancy_id",
)
# The posted ledger: very hidden copies of the posted invoices and their lines (core/ledger.py).
POSTED_INVOICES = SheetSpec("xlbPostedInvoices", REGISTER.columns)
POSTED_LINES = SheetSpec("xlbPostedLines", INVOICE_LINES.columns)
LEDGER_SHEETS = (REGISTER, INVOICE_LINES, DISCREPANCIES, POSTED_INVOICES, POSTED_LINES)
