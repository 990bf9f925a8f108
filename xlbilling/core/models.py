"""Typed, immutable records of the master workbook, each remembering its source row.

Records are NamedTuples: immutable, typed and cheap enough to build a million of them in
well under a second (validation happens column by column in the reader, before records
exist). Each field is a column of the spec, declared once here with its kind, default and
width (`col`); the schema, the reader, the template and the test builders follow from it.
`row` is the Excel row the record came from, and `Book.cell(record, field)` names its cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar
from collections.abc import Callable, Mapping

from pydantic import BaseModel, ConfigDict

from .cells import cell_name
from .columns import Kind, col, columns_of
from .terms import Terms

if TYPE_CHECKING:
    from .timetable import TimeTable

ONE = Decimal(1)
FREQUENCIES = ("monthly", "quarterly", "semiannual", "annual")
CONTRACT_TYPES = ("managed_services", "time_and_materials", "block_hours", "project", "subscription", "other")
CHARGE_KINDS = ("hardware", "software", "expense", "labor", "other")
SOURCE_TYPES = ("recurring", "time", "overage", "included", "milestone", "charge")


class Customer(NamedTuple):
    customer_id: Annotated[str, col(Kind.ID, True)]
    name: Annotated[str, col(Kind.TEXT, True, width=30)]
    billing_email: Annotated[str | None, col(Kind.EMAIL, width=28)]
    billing_address: Annotated[str | None, col(Kind.TEXT, width=36)]
    payment_terms: Annotated[Terms | None, col(Kind.TERMS, width=16)]
    tax_jurisdiction: Annotated[str | None, col(Kind.TEXT, width=16)]
    tax_exempt: Annotated[bool, col(Kind.BOOL, default=False, width=11)]
    exemption_expiry: Annotated[date | None, col(Kind.DATE)]
    po_required: Annotated[bool, col(Kind.BOOL, default=False, width=12)]
    invoice_grouping: Annotated[str, col(Kind.ENUM, default="customer", choices=("customer", "contract"), width=16)]
    status: Annotated[str, col(Kind.ENUM, default="active", choices=("active", "inactive"), width=10)]
    # the customer's name in the accounting system (default: name)
    accounting_name: Annotated[str | None, col(Kind.TEXT, width=30)]
    # the record it was imported from, e.g. connectwise:company:19
    source_ref: Annotated[str | None, col(Kind.TEXT, width=26)]
    row: int


class Contract(NamedTuple):
    contract_id: Annotated[str, col(Kind.ID, True)]
    customer_id: Annotated[str, col(Kind.ID, True)]
    name: Annotated[str | None, col(Kind.TEXT, width=30)]
    type: Annotated[str | None, col(Kind.ENUM, choices=CONTRACT_TYPES, width=18)]
    start_date: Annotated[date, col(Kind.DATE, True)]
    end_date: Annotated[date | None, col(Kind.DATE)]
    billing_frequency: Annotated[str, col(Kind.ENUM, default="monthly", choices=FREQUENCIES, width=16)]
    billing_timing: Annotated[str, col(Kind.ENUM, default="advance", choices=("advance", "arrears"))]
    proration: Annotated[str, col(Kind.ENUM, default="daily", choices=("daily", "none"), width=11)]
    escalation_pct: Annotated[Decimal | None, col(Kind.PCT, width=13, signed=True)]  # a decrease: negative
    included_hours: Annotated[Decimal | None, col(Kind.NUMBER)]
    overage_rate: Annotated[Decimal | None, col(Kind.MONEY, width=13)]
    not_to_exceed: Annotated[Decimal | None, col(Kind.MONEY)]
    po_number: Annotated[str | None, col(Kind.ID)]
    po_amount: Annotated[Decimal | None, col(Kind.MONEY)]
    status: Annotated[str, col(Kind.ENUM, default="active", choices=("active", "on_hold"), width=10)]
    notes: Annotated[str | None, col(Kind.TEXT, width=30)]
    # service up to this day was invoiced outside xlbilling (cut-over)
    billed_through: Annotated[date | None, col(Kind.DATE)]
    source_ref: Annotated[str | None, col(Kind.TEXT, width=26)]
    row: int


class ContractLine(NamedTuple):
    line_id: Annotated[str, col(Kind.ID, True)]
    contract_id: Annotated[str, col(Kind.ID, True)]
    description: Annotated[str, col(Kind.TEXT, True, width=34)]
    kind: Annotated[str, col(Kind.ENUM, default="fixed", choices=("fixed", "per_unit"), width=10)]
    quantity: Annotated[Decimal, col(Kind.NUMBER, default=ONE, width=10)]
    unit_price: Annotated[Decimal, col(Kind.MONEY, True, width=12)]
    start_date: Annotated[date | None, col(Kind.DATE)]
    end_date: Annotated[date | None, col(Kind.DATE)]
    tax_category: Annotated[str, col(Kind.TEXT, default="services")]
    revenue_account: Annotated[str | None, col(Kind.TEXT, width=16)]
    unit_cost: Annotated[Decimal | None, col(Kind.MONEY, width=12)]  # cost per billing period, for margin
    vendor_sku: Annotated[str | None, col(Kind.TEXT, width=18)]  # the vendor's product code, for seat reconciliation
    source_ref: Annotated[str | None, col(Kind.TEXT, width=26)]
    row: int


class Rate(NamedTuple):
    contract_id: Annotated[str | None, col(Kind.ID)]
    work_type: Annotated[str, col(Kind.TEXT, True, width=20)]
    rate: Annotated[Decimal, col(Kind.MONEY, True, width=10)]
    effective_from: Annotated[date | None, col(Kind.DATE)]
    effective_to: Annotated[date | None, col(Kind.DATE)]
    row: int


class TimeEntry(NamedTuple):
    entry_id: Annotated[str, col(Kind.ID, True)]
    date: Annotated[date, col(Kind.DATE, True, width=11)]
    technician: Annotated[str, col(Kind.TEXT, True, width=18)]
    customer_id: Annotated[str, col(Kind.ID, True)]
    contract_id: Annotated[str | None, col(Kind.ID)]
    ticket_id: Annotated[str | None, col(Kind.ID, width=11)]
    work_type: Annotated[str, col(Kind.TEXT, True, width=18)]
    hours: Annotated[Decimal, col(Kind.NUMBER, True, width=8, signed=True)]  # 0 or less: TIME_NONPOSITIVE
    billable: Annotated[bool, col(Kind.BOOL, default=True, width=9)]
    approved: Annotated[bool, col(Kind.BOOL, default=False, width=9)]
    notes: Annotated[str | None, col(Kind.TEXT, width=40)]
    invoice_number: Annotated[str | None, col(Kind.ID, width=15)]
    source_ref: Annotated[str | None, col(Kind.TEXT, width=26)]
    row: int


class Charge(NamedTuple):
    charge_id: Annotated[str, col(Kind.ID, True)]
    date: Annotated[date, col(Kind.DATE, True, width=11)]
    customer_id: Annotated[str, col(Kind.ID, True)]
    contract_id: Annotated[str | None, col(Kind.ID)]
    kind: Annotated[str, col(Kind.ENUM, default="other", choices=CHARGE_KINDS, width=10)]
    description: Annotated[str, col(Kind.TEXT, True, width=34)]
    quantity: Annotated[Decimal, col(Kind.NUMBER, default=ONE, width=9)]
    unit_cost: Annotated[Decimal | None, col(Kind.MONEY, width=11)]
    unit_price: Annotated[Decimal, col(Kind.MONEY, True, width=11)]
    po_number: Annotated[str | None, col(Kind.ID)]
    tax_category: Annotated[str | None, col(Kind.TEXT)]
    invoice_number: Annotated[str | None, col(Kind.ID, width=15)]
    source_ref: Annotated[str | None, col(Kind.TEXT, width=26)]
    row: int


class Milestone(NamedTuple):
    milestone_id: Annotated[str, col(Kind.ID, True)]
    contract_id: Annotated[str, col(Kind.ID, True)]
    description: Annotated[str, col(Kind.TEXT, True, width=34)]
    amount: Annotated[Decimal, col(Kind.MONEY, True, width=12)]
    completed_date: Annotated[date | None, col(Kind.DATE, width=15)]
    row: int


class TaxRate(NamedTuple):
    jurisdiction: Annotated[str, col(Kind.TEXT, True, width=16)]
    tax_category: Annotated[str, col(Kind.TEXT, True, width=16)]
    rate: Annotated[Decimal, col(Kind.PCT, True, width=10)]
    effective_from: Annotated[date | None, col(Kind.DATE)]
    row: int


class Payment(NamedTuple):
    payment_id: Annotated[str, col(Kind.ID, True)]
    date: Annotated[date, col(Kind.DATE, True, width=11)]
    customer_id: Annotated[str, col(Kind.ID, True)]
    amount: Annotated[Decimal, col(Kind.MONEY, True, width=12)]
    method: Annotated[str | None, col(Kind.TEXT, width=12)]
    reference: Annotated[str | None, col(Kind.TEXT, width=16)]
    invoice_number: Annotated[str | None, col(Kind.ID, width=15)]
    row: int


class Adjustment(NamedTuple):
    adjustment_id: Annotated[str, col(Kind.ID, True)]
    date: Annotated[date, col(Kind.DATE, True, width=11)]
    invoice_number: Annotated[str, col(Kind.ID, True, width=15)]
    type: Annotated[str, col(Kind.ENUM, default="credit", choices=("credit", "write_off"), width=10)]
    amount: Annotated[Decimal, col(Kind.MONEY, True, width=12)]
    reason: Annotated[str, col(Kind.TEXT, True, width=34)]
    row: int


class Dispute(NamedTuple):
    invoice_number: Annotated[str, col(Kind.ID, True, width=15)]
    opened_date: Annotated[date, col(Kind.DATE, True)]
    reason: Annotated[str | None, col(Kind.TEXT, width=34)]
    status: Annotated[str, col(Kind.ENUM, default="open", choices=("open", "resolved"), width=10)]
    resolved_date: Annotated[date | None, col(Kind.DATE)]
    row: int


class VendorCount(NamedTuple):
    """What a vendor says a customer has (licences, seats, devices) on a day: the latest on or before the
    invoice date counts, per customer and SKU (seat reconciliation, spec section 4)."""

    customer_id: Annotated[str, col(Kind.ID, True)]
    vendor_sku: Annotated[str, col(Kind.TEXT, True, width=22)]
    quantity: Annotated[Decimal, col(Kind.NUMBER, True, width=10)]
    as_of: Annotated[date, col(Kind.DATE, True, width=11)]
    vendor: Annotated[str | None, col(Kind.TEXT, width=16)]
    source: Annotated[str | None, col(Kind.TEXT, width=30)]  # the file or report it came from
    row: int


class VendorMapping(NamedTuple):
    """How `import counts` reads one vendor's files, remembered between runs (beyond spec v2): a `column`
    row says which column of the file holds a field (name: customer, sku, quantity, date or status; value:
    the file's header); an `alias` row maps a customer name in the vendor's files to a customer ID (a
    blank vendor: any vendor's files)."""

    vendor: Annotated[str | None, col(Kind.TEXT, width=16)]
    kind: Annotated[str, col(Kind.ENUM, True, choices=("column", "alias"), width=10)]
    name: Annotated[str, col(Kind.TEXT, True, width=30)]
    value: Annotated[str, col(Kind.TEXT, True, width=30)]
    row: int


class Amendment(NamedTuple):
    amendment_id: Annotated[str, col(Kind.ID, True)]
    contract_id: Annotated[str, col(Kind.ID, True)]
    effective_date: Annotated[date, col(Kind.DATE, True)]
    description: Annotated[str, col(Kind.TEXT, True, width=40)]
    approved_by: Annotated[str | None, col(Kind.TEXT, width=16)]
    row: int


class GLAccount(NamedTuple):
    account: Annotated[str, col(Kind.ID, True)]
    name: Annotated[str | None, col(Kind.TEXT, width=30)]
    type: Annotated[str | None, col(Kind.TEXT, width=16)]
    bc_number: Annotated[str | None, col(Kind.ID)]
    gp_account: Annotated[str | None, col(Kind.ID, width=16)]
    qbo_item: Annotated[str | None, col(Kind.TEXT, width=24)]
    row: int


class RegisterRow(NamedTuple):
    """A row of the InvoiceRegister tab as read back: a posted invoice or a draft."""

    invoice_number: Annotated[str | None, col(Kind.ID, width=15)]
    draft_id: Annotated[str | None, col(Kind.ID, width=22)]
    status: Annotated[str, col(Kind.TEXT, True)]
    customer_id: Annotated[str, col(Kind.ID, True, width=12)]
    contract_id: Annotated[str | None, col(Kind.ID, width=12)]
    invoice_date: Annotated[date, col(Kind.DATE, True, width=12)]
    usage_through: Annotated[date, col(Kind.DATE, True, width=13)]
    due_date: Annotated[date, col(Kind.DATE, True, width=12)]
    terms: Annotated[Terms, col(Kind.TERMS, True)]
    po_number: Annotated[str | None, col(Kind.ID, width=12)]
    subtotal: Annotated[Decimal, col(Kind.MONEY, True, width=13)]
    tax: Annotated[Decimal, col(Kind.MONEY, True, width=11)]
    total: Annotated[Decimal, col(Kind.MONEY, True, width=13)]
    paid: Annotated[Decimal | None, col(Kind.MONEY, width=11)]
    credited: Annotated[Decimal | None, col(Kind.MONEY, width=11)]
    written_off: Annotated[Decimal | None, col(Kind.MONEY, width=11)]
    discount: Annotated[Decimal | None, col(Kind.MONEY, width=11)]  # early-payment discount taken
    balance: Annotated[Decimal | None, col(Kind.MONEY, width=13, signed=True)]
    discount_date: Annotated[date | None, col(Kind.DATE, width=13)]
    discount_amount: Annotated[Decimal | None, col(Kind.MONEY, width=15)]
    lines: Annotated[int | None, col(Kind.INT, width=7)]
    hold_reasons: Annotated[str | None, col(Kind.TEXT, width=40)]
    posted_on: Annotated[date | None, col(Kind.DATE, width=12)]
    fingerprint: Annotated[str | None, col(Kind.TEXT, width=18)]
    sent_at: Annotated[str | None, col(Kind.TEXT, width=19)] = None
    sent_to: Annotated[str | None, col(Kind.TEXT, width=26)] = None
    message_id: Annotated[str | None, col(Kind.TEXT, width=30)] = None
    last_reminder: Annotated[str | None, col(Kind.TEXT, width=13)] = None
    reminder_sent_at: Annotated[str | None, col(Kind.TEXT, width=19)] = None
    chain: Annotated[str | None, col(Kind.TEXT, width=18)] = None  # the posted ledger's hash chain (core/ledger.py)
    row: int = 0


def number(row: RegisterRow | InvoiceLineRow) -> str:
    """The invoice number of a row of a posted invoice (blank for a draft's rows, which have none)."""
    return row.invoice_number or ""


class InvoiceLineRow(NamedTuple):
    invoice_number: Annotated[str | None, col(Kind.ID, width=15)]
    draft_id: Annotated[str | None, col(Kind.ID, width=22)]
    line_no: Annotated[int, col(Kind.INT, True, width=8)]
    contract_id: Annotated[str | None, col(Kind.ID, width=12)]
    source_type: Annotated[str, col(Kind.ENUM, True, choices=SOURCE_TYPES, width=11)]
    source_id: Annotated[str, col(Kind.ID, True, width=24)]
    description: Annotated[str | None, col(Kind.TEXT, width=36)]
    service_start: Annotated[date, col(Kind.DATE, True, width=12)]
    service_end: Annotated[date, col(Kind.DATE, True, width=12)]
    quantity: Annotated[Decimal, col(Kind.NUMBER, True, width=10)]
    unit_price: Annotated[Decimal, col(Kind.MONEY, True, width=11)]
    amount: Annotated[Decimal, col(Kind.MONEY, True, width=12)]
    tax_category: Annotated[str | None, col(Kind.TEXT, width=12)]
    tax_rate: Annotated[Decimal | None, col(Kind.PCT, width=9)]
    source_cell: Annotated[str | None, col(Kind.TEXT, width=18)]
    entry_ids: Annotated[str | None, col(Kind.TEXT, width=30)]  # a list of IDs: one line, never wrapped (a
    # T&M line's can run to thousands, and a row as tall as them would hide the rest of the sheet)
    revenue_account: Annotated[str | None, col(Kind.TEXT)]
    row: int


class CreditMemoRow(NamedTuple):
    """A credit memo as the CreditMemos tab lists it (beyond spec v2): numbered from its credit adjustment,
    with when and to whom `send` e-mailed it (kept from run to run by the adjustment it comes from)."""

    credit_memo: Annotated[str, col(Kind.ID, True, width=12)]
    date: Annotated[date, col(Kind.DATE, True, width=11)]
    invoice_number: Annotated[str, col(Kind.ID, True, width=15)]
    customer_id: Annotated[str, col(Kind.ID, True)]
    amount: Annotated[Decimal, col(Kind.MONEY, True, width=12)]
    reason: Annotated[str | None, col(Kind.TEXT, width=34)]
    adjustment_id: Annotated[str, col(Kind.ID, True)]
    sent_at: Annotated[str | None, col(Kind.TEXT, width=19)]
    sent_to: Annotated[str | None, col(Kind.TEXT, width=26)]
    message_id: Annotated[str | None, col(Kind.TEXT, width=30)]
    row: int


class DiscrepancyRow(NamedTuple):
    """A row of the Discrepancies tab as read back: staff set resolution and note."""

    discrepancy_id: Annotated[str, col(Kind.ID, True, width=26)]
    status: Annotated[str, col(Kind.ENUM, default="open", choices=("open", "resolved"), width=9)]
    severity: Annotated[str, col(Kind.ENUM, True, choices=("error", "warning", "info"), width=9)]
    code: Annotated[str, col(Kind.TEXT, True, width=22)]
    cell: Annotated[str | None, col(Kind.TEXT, width=18)]
    customer_id: Annotated[str | None, col(Kind.ID, width=12)]
    contract_id: Annotated[str | None, col(Kind.ID, width=12)]
    message: Annotated[str | None, col(Kind.TEXT, width=60)]
    found: Annotated[str | None, col(Kind.TEXT, width=18)]
    expected: Annotated[str | None, col(Kind.TEXT, width=24)]
    amount: Annotated[Decimal | None, col(Kind.MONEY, width=12, signed=True)]  # a change can be down
    suggested_action: Annotated[str | None, col(Kind.TEXT, width=40)]
    resolution: Annotated[str | None, col(Kind.ENUM, choices=("approve", "exclude"), width=11)]
    note: Annotated[str | None, col(Kind.TEXT, width=30)]
    first_seen: Annotated[date | None, col(Kind.DATE, width=11)]
    last_seen: Annotated[date | None, col(Kind.DATE, width=11)]
    row: int


RECORD_TYPES: dict[str, type] = {
    "Customers": Customer,
    "Contracts": Contract,
    "ContractLines": ContractLine,
    "RateCard": Rate,
    "Timesheets": TimeEntry,
    "Charges": Charge,
    "Milestones": Milestone,
    "TaxRates": TaxRate,
    "Payments": Payment,
    "Adjustments": Adjustment,
    "Disputes": Dispute,
    "VendorCounts": VendorCount,
    "VendorMappings": VendorMapping,
    "Amendments": Amendment,
    "GLAccounts": GLAccount,
    "InvoiceRegister": RegisterRow,
    "InvoiceLines": InvoiceLineRow,
    "Discrepancies": DiscrepancyRow,
    "CreditMemos": CreditMemoRow,
}
# The posted ledger's very hidden sheets (core/ledger.py): the same records as InvoiceRegister and InvoiceLines.
LEDGER_INVOICES, LEDGER_LINES = "xlbPostedInvoices", "xlbPostedLines"
SHEET_OF: dict[type, str] = {t: s for s, t in RECORD_TYPES.items()}  # where a record's cell is named
RECORD_TYPES.update({LEDGER_INVOICES: RegisterRow, LEDGER_LINES: InvoiceLineRow})
R = TypeVar("R", bound=tuple)


def record(record_type: type[R], **values: Any) -> R:
    """A record by keyword, as tests and imports build them: a column not given takes its declared
    default (or blank), and `row` is 0 unless given."""
    defaults = {c.name: c.default for c in columns_of(record_type)}
    unknown = values.keys() - defaults.keys() - {"row"}
    if unknown:
        raise TypeError(f"{record_type.__name__} has no column {', '.join(sorted(unknown))}")
    return record_type(**{**defaults, "row": 0, **values})


@dataclass(frozen=True)
class As:
    """How a setting's cell is read: terms, buckets, count, pct, number, email, line (no line breaks),
    zone (IANA), locale (a language and region, en-GB), bc_date (a Business Central date pattern) or text."""

    kind: str


COUNT, LINE, EMAIL = As("count"), As("line"), As("email")


class Settings(BaseModel):
    """The Settings sheet, parsed once into typed values: each setting declared once, here, with its
    default (spec section 2), how its cell is read, and its row in a new workbook (field order)."""

    model_config = ConfigDict(frozen=True)

    company_name: Annotated[str, LINE] = ""  # it goes into the From header of every message
    company_address: str = ""
    remit_to: str = ""
    company_email: Annotated[str, EMAIL] = ""
    company_phone: Annotated[str, LINE] = ""  # beyond spec v2: printed on invoices and statements
    company_tax_id: Annotated[str, LINE] = ""  # e.g. EIN 12-3456789, VAT GB123456789
    bank_details: str = ""  # how to pay by bank (ACH/wire: bank, routing, account), under How to pay
    logo: str = ""  # a PNG or JPEG, its path absolute or from the workbook's folder
    currency: str = "USD"
    locale: Annotated[str, As("locale")] = ""  # beyond spec v2: en-US, en-GB, en-PK…: documents' amounts and dates
    default_payment_terms: Annotated[Terms, As("terms")] = Terms(30)
    aging_buckets: Annotated[tuple[int, ...], As("buckets")] = (30, 60, 90)
    invoice_prefix: str = "INV-"
    next_invoice_number: Annotated[int, COUNT] = 1001
    credit_memo_prefix: str = "CM-"
    next_credit_memo_number: Annotated[int, COUNT] = 1
    amount_change_threshold: Annotated[Decimal, As("pct")] = Decimal("0.10")
    expiry_warning_days: Annotated[int, COUNT] = 60
    max_daily_hours: Annotated[Decimal, As("hours")] = Decimal(16)
    reminder_1_days: Annotated[int, COUNT] = 1  # collections: days past due for each next step
    reminder_2_days: Annotated[int, COUNT] = 15
    final_notice_days: Annotated[int, COUNT] = 30
    escalate_days: Annotated[int, COUNT] = 60
    gl_accounts_receivable: str = "1200"
    gl_cash: str = "1000"
    gl_sales_tax_payable: str = "2200"
    gl_deferred_revenue: str = "2400"
    gl_revenue: str = "4000"  # a contract line's revenue_account overrides it
    gl_bad_debt: str = "6500"
    gl_sales_discounts: str = "4900"  # early-payment discounts taken are debited here
    smtp_host: Annotated[str, LINE] = ""  # each smtp_* setting can be overridden by XLBILLING_SMTP_HOST and so on
    smtp_port: Annotated[int, COUNT] = 587
    smtp_security: str = "starttls"  # starttls, ssl or none
    smtp_user: Annotated[str, LINE] = ""
    email_from: Annotated[str, EMAIL] = ""  # blank: company_email
    backups_kept: Annotated[int, COUNT] = 5  # backups of the workbook kept in .xlbilling-backups (oldest go first)
    time_zone: Annotated[str, As("zone")] = "UTC"  # IANA zone in which imported timestamps become entry dates
    bc_journal_template: str = ""  # Business Central: the company's general journal template and batch
    bc_journal_batch: str = ""
    bc_sales_template: str = ""  # the sales journal's (invoices and credit memos) and the cash receipt journal's
    bc_sales_batch: str = ""
    bc_receipts_template: str = ""
    bc_receipts_batch: str = ""
    bc_date_format: Annotated[str, As("bc_date")] = "YYYY-MM-DD"  # or MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY
    gp_batch: str = ""  # Dynamics GP batch ID (blank: XLB and the export's last date)
    gp_first_journal_entry: Annotated[int | None, COUNT] = None  # GP journal entry numbers from here (blank: GP's)
    extra: dict[str, str] = {}  # settings the workbook has beyond these, by name
    rows: dict[str, int] = {}  # the Settings row of each setting given, for messages

    @classmethod
    def declared(cls) -> dict[str, tuple[As, object]]:
        """Each setting by name: how it is read and its default (`extra` and `rows` are not settings)."""
        out = {}
        for name, info in cls.model_fields.items():
            if name not in ("extra", "rows"):
                how = next((m for m in info.metadata if isinstance(m, As)), As("text"))
                out[name] = (how, info.default)
        return out


@dataclass(frozen=True)
class Book:
    """Everything read from one master workbook: settings, records per sheet, and where each column sits."""

    settings: Settings
    records: Mapping[str, Any] = field(default_factory=dict)  # sheet -> records (Timesheets: a TimeTable)
    columns: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # sheet -> field -> 0-based column

    def __post_init__(self) -> None:
        """Read-only for real: the mappings cannot be changed, and Timesheets are columns from the start."""
        from .timetable import TimeTable  # it builds on the records defined here

        records = dict(self.records)
        if not isinstance(records.get("Timesheets", ()), TimeTable):
            records["Timesheets"] = TimeTable.of(records.get("Timesheets", ()))
        object.__setattr__(self, "records", MappingProxyType(records))
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    def rows(self, sheet: str) -> tuple:
        return self.records.get(sheet, ())

    def cell(self, record: NamedTuple, field_name: str | None = None) -> str:
        """`Sheet!Cell` of a record's field (or `Sheet!Row:Row` for the whole row)."""
        return self.cell_at(SHEET_OF[type(record)], record.row, field_name)  # type: ignore[attr-defined]

    def cells_of(self, sheet: str, field_name: str) -> Callable[[int], str]:
        """Row -> `Sheet!Cell` of a field, for naming many cells of one column."""
        col = self.columns.get(sheet, {}).get(field_name)
        if col is None:
            return lambda row: f"{sheet}!{row}:{row}"
        prefix = cell_name(sheet, 0, col)[:-1]
        return lambda row: f"{prefix}{row}"

    def cell_at(self, sheet: str, row: int, field_name: str | None = None) -> str:
        """`Sheet!Cell` of a field in an Excel row of a sheet (or `Sheet!Row:Row`)."""
        col = self.columns.get(sheet, {}).get(field_name) if field_name else None
        return f"{sheet}!{row}:{row}" if col is None else cell_name(sheet, row, col)

    @property
    def customers(self) -> tuple[Customer, ...]:
        return self.rows("Customers")

    @property
    def contracts(self) -> tuple[Contract, ...]:
        return self.rows("Contracts")

    @property
    def lines(self) -> tuple[ContractLine, ...]:
        return self.rows("ContractLines")

    @property
    def rates(self) -> tuple[Rate, ...]:
        return self.rows("RateCard")

    @property
    def time_entries(self) -> TimeTable:
        """The Timesheets as columns (also a sequence of TimeEntry records)."""
        return self.records["Timesheets"]

    @property
    def charges(self) -> tuple[Charge, ...]:
        return self.rows("Charges")

    @property
    def milestones(self) -> tuple[Milestone, ...]:
        return self.rows("Milestones")

    @property
    def tax_rates(self) -> tuple[TaxRate, ...]:
        return self.rows("TaxRates")

    @property
    def payments(self) -> tuple[Payment, ...]:
        return self.rows("Payments")

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        return self.rows("Adjustments")

    @property
    def disputes(self) -> tuple[Dispute, ...]:
        return self.rows("Disputes")

    @property
    def register(self) -> tuple[RegisterRow, ...]:
        return self.rows("InvoiceRegister")

    @property
    def invoice_lines(self) -> tuple[InvoiceLineRow, ...]:
        return self.rows("InvoiceLines")

    @property
    def discrepancies(self) -> tuple[DiscrepancyRow, ...]:
        return self.rows("Discrepancies")

    @property
    def credit_memo_rows(self) -> tuple[CreditMemoRow, ...]:
        return self.rows("CreditMemos")

    @property
    def vendor_counts(self) -> tuple[VendorCount, ...]:
        return self.rows("VendorCounts")

    @property
    def vendor_mappings(self) -> tuple[VendorMapping, ...]:
        return self.rows("VendorMappings")

    @property
    def amendments(self) -> tuple[Amendment, ...]:
        return self.rows("Amendments")

    @property
    def gl_accounts(self) -> tuple[GLAccount, ...]:
        return self.rows("GLAccounts")
