"""Typed, immutable records of the master workbook, each remembering its source row.

Records are NamedTuples: immutable, typed and cheap enough to build a million of them in
well under a second (validation happens column by column in the reader, before records
exist). Field names are the spec's column names; `row` is the Excel row the record came
from, and `Book.cell(record, field)` names its cell as `Sheet!Cell`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple
from collections.abc import Callable, Mapping

from pydantic import BaseModel, ConfigDict

from .cells import cell_name
from .terms import Terms

if TYPE_CHECKING:
    from .timetable import TimeTable


class Customer(NamedTuple):
    customer_id: str
    name: str
    billing_email: str | None
    billing_address: str | None
    payment_terms: Terms | None
    tax_jurisdiction: str | None
    tax_exempt: bool
    exemption_expiry: date | None
    po_required: bool
    invoice_grouping: str
    status: str
    accounting_name: str | None  # the customer's name in the accounting system (default: name)
    source_ref: str | None  # the record it was imported from, e.g. connectwise:company:19
    row: int


class Contract(NamedTuple):
    contract_id: str
    customer_id: str
    name: str | None
    type: str | None
    start_date: date
    end_date: date | None
    billing_frequency: str
    billing_timing: str
    proration: str
    escalation_pct: Decimal | None
    included_hours: Decimal | None
    overage_rate: Decimal | None
    not_to_exceed: Decimal | None
    po_number: str | None
    po_amount: Decimal | None
    status: str
    notes: str | None
    billed_through: date | None  # service up to this day was invoiced outside xlbilling (cut-over)
    source_ref: str | None
    row: int


class ContractLine(NamedTuple):
    line_id: str
    contract_id: str
    description: str
    kind: str
    quantity: Decimal
    unit_price: Decimal
    start_date: date | None
    end_date: date | None
    tax_category: str
    revenue_account: str | None
    unit_cost: Decimal | None  # cost per billing period, for margin
    vendor_sku: str | None  # the vendor's product code, for seat reconciliation
    source_ref: str | None
    row: int


class Rate(NamedTuple):
    contract_id: str | None
    work_type: str
    rate: Decimal
    effective_from: date | None
    effective_to: date | None
    row: int


class TimeEntry(NamedTuple):
    entry_id: str
    date: date
    technician: str
    customer_id: str
    contract_id: str | None
    ticket_id: str | None
    work_type: str
    hours: Decimal
    billable: bool
    approved: bool
    notes: str | None
    invoice_number: str | None
    source_ref: str | None
    row: int


class Charge(NamedTuple):
    charge_id: str
    date: date
    customer_id: str
    contract_id: str | None
    kind: str
    description: str
    quantity: Decimal
    unit_cost: Decimal | None
    unit_price: Decimal
    po_number: str | None
    tax_category: str | None
    invoice_number: str | None
    source_ref: str | None
    row: int


class Milestone(NamedTuple):
    milestone_id: str
    contract_id: str
    description: str
    amount: Decimal
    completed_date: date | None
    row: int


class TaxRate(NamedTuple):
    jurisdiction: str
    tax_category: str
    rate: Decimal
    effective_from: date | None
    row: int


class Payment(NamedTuple):
    payment_id: str
    date: date
    customer_id: str
    amount: Decimal
    method: str | None
    reference: str | None
    invoice_number: str | None
    row: int


class Adjustment(NamedTuple):
    adjustment_id: str
    date: date
    invoice_number: str
    type: str
    amount: Decimal
    reason: str
    row: int


class Dispute(NamedTuple):
    invoice_number: str
    opened_date: date
    reason: str | None
    status: str
    resolved_date: date | None
    row: int


class Amendment(NamedTuple):
    amendment_id: str
    contract_id: str
    effective_date: date
    description: str
    approved_by: str | None
    row: int


class GLAccount(NamedTuple):
    account: str
    name: str | None
    type: str | None
    bc_number: str | None
    gp_account: str | None
    qbo_item: str | None
    row: int


class RegisterRow(NamedTuple):
    """A row of the InvoiceRegister tab as read back: a posted invoice or a draft."""

    invoice_number: str | None
    draft_id: str | None
    status: str
    customer_id: str
    contract_id: str | None
    invoice_date: date
    usage_through: date
    due_date: date
    terms: Terms
    po_number: str | None
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal | None
    credited: Decimal | None
    written_off: Decimal | None
    discount: Decimal | None  # early-payment discount taken
    balance: Decimal | None
    discount_date: date | None
    discount_amount: Decimal | None
    lines: int | None
    hold_reasons: str | None
    posted_on: date | None
    fingerprint: str | None
    sent_at: str | None = None
    sent_to: str | None = None
    message_id: str | None = None
    last_reminder: str | None = None
    reminder_sent_at: str | None = None
    chain: str | None = None  # the posted ledger's hash chain (core/ledger.py)
    row: int = 0


class InvoiceLineRow(NamedTuple):
    invoice_number: str | None
    draft_id: str | None
    line_no: int
    contract_id: str | None
    source_type: str
    source_id: str
    description: str | None
    service_start: date
    service_end: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_category: str | None
    tax_rate: Decimal | None
    source_cell: str | None
    entry_ids: str | None
    revenue_account: str | None
    row: int


class DiscrepancyRow(NamedTuple):
    """A row of the Discrepancies tab as read back: staff set resolution and note."""

    discrepancy_id: str
    status: str
    severity: str
    code: str
    cell: str | None
    customer_id: str | None
    contract_id: str | None
    message: str | None
    found: str | None
    expected: str | None
    amount: Decimal | None
    suggested_action: str | None
    resolution: str | None
    note: str | None
    first_seen: date | None
    last_seen: date | None
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
    "Amendments": Amendment,
    "GLAccounts": GLAccount,
    "InvoiceRegister": RegisterRow,
    "InvoiceLines": InvoiceLineRow,
    "Discrepancies": DiscrepancyRow,
}
# The posted ledger's very hidden sheets (core/ledger.py): the same records as InvoiceRegister and InvoiceLines.
LEDGER_INVOICES, LEDGER_LINES = "xlbPostedInvoices", "xlbPostedLines"
SHEET_OF: dict[type, str] = {t: s for s, t in RECORD_TYPES.items()}  # where a record's cell is named
RECORD_TYPES.update({LEDGER_INVOICES: RegisterRow, LEDGER_LINES: InvoiceLineRow})


class Settings(BaseModel):
    """The Settings sheet, parsed once into typed values (defaults per spec section 2)."""

    model_config = ConfigDict(frozen=True)

    company_name: str = ""
    company_address: str = ""
    remit_to: str = ""
    company_email: str = ""
    currency: str = "USD"
    default_payment_terms: Terms = Terms(30)
    aging_buckets: tuple[int, ...] = (30, 60, 90)
    invoice_prefix: str = "INV-"
    next_invoice_number: int = 1001
    credit_memo_prefix: str = "CM-"
    next_credit_memo_number: int = 1
    amount_change_threshold: Decimal = Decimal("0.10")
    expiry_warning_days: int = 60
    max_daily_hours: Decimal = Decimal(16)
    reminder_1_days: int = 1  # collections: days past due for each next step
    reminder_2_days: int = 15
    final_notice_days: int = 30
    escalate_days: int = 60
    gl_accounts_receivable: str = "1200"
    gl_cash: str = "1000"
    gl_sales_tax_payable: str = "2200"
    gl_deferred_revenue: str = "2400"
    gl_revenue: str = "4000"  # a contract line's revenue_account overrides it
    gl_bad_debt: str = "6500"
    gl_sales_discounts: str = "4900"  # early-payment discounts taken are debited here
    smtp_host: str = ""  # each smtp_* setting can be overridden by XLBILLING_SMTP_HOST and so on
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls, ssl or none
    smtp_user: str = ""
    email_from: str = ""  # blank: company_email
    time_zone: str = "UTC"  # IANA zone in which imported timestamps become entry dates
    bc_journal_template: str = ""  # Business Central: the company's general journal template and batch
    bc_journal_batch: str = ""
    bc_sales_template: str = ""  # the sales journal's (invoices and credit memos) and the cash receipt journal's
    bc_sales_batch: str = ""
    bc_receipts_template: str = ""
    bc_receipts_batch: str = ""
    bc_date_format: str = "YYYY-MM-DD"  # or MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY
    gp_batch: str = ""  # Dynamics GP batch ID (blank: XLB and the export's last date)
    gp_first_journal_entry: int | None = None  # GP journal entry numbers from here (blank: GP assigns them)
    backups_kept: int = 5  # backups of the workbook kept in .xlbilling-backups (the oldest go first)
    extra: dict[str, str] = {}
    rows: dict[str, int] = {}  # the Settings row of each setting given, for messages


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
    def amendments(self) -> tuple[Amendment, ...]:
        return self.rows("Amendments")

    @property
    def gl_accounts(self) -> tuple[GLAccount, ...]:
        return self.rows("GLAccounts")
