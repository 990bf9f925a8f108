"""The data contract of the master workbook (shared/workbook-spec.md, section 2) as data.

One table per sheet: its columns (declared on the record types of core/models.py: kind,
required, default, allowed values, width), its key and whether the book must have it. The
reader, the template and the sample are all driven by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .core.terms import Terms
from .core.columns import Col, Kind, columns_of, normalize, title_case
from .core.models import (CHARGE_KINDS, CONTRACT_TYPES, FREQUENCIES, Adjustment, Amendment, Charge, Contract,
                          CreditMemoRow,
                          ContractLine, Customer, DiscrepancyRow, Dispute, GLAccount, InvoiceLineRow, Milestone,
                          Payment, Rate, RegisterRow, Settings, TaxRate, TimeEntry, VendorCount,
                          VendorMapping)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Col, ...]
    key: str | None = None
    required: bool = False


__all__ = ["CHARGE_KINDS", "CONTRACT_TYPES", "FREQUENCIES", "Col", "Kind", "SheetSpec", "normalize", "title_case"]

BOOL_TEXT = {"y": True, "yes": True, "true": True, "1": True, "n": False, "no": False, "false": False, "0": False}




def _setting_text(value: object) -> str:
    """A setting's default as typed into a new workbook's Settings sheet."""
    if value is None:
        return ""
    if isinstance(value, tuple) and not isinstance(value, Terms):
        return ",".join(map(str, value))
    return str(value)


# The Settings rows of a new workbook, from the Settings model (core/models.py), where each is declared.
SETTINGS_DEFAULTS: dict[str, str] = {name: _setting_text(default) for name, (_, default) in Settings.declared().items()}

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
        "VendorCounts",
        columns_of(VendorCount),
    ),
    SheetSpec(
        "VendorMappings",
        columns_of(VendorMapping),
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
CREDIT_MEMOS = SheetSpec("CreditMemos", columns_of(CreditMemoRow), key="adjustment_id")
LEDGER_SHEETS = (REGISTER, INVOICE_LINES, DISCREPANCIES, POSTED_INVOICES, POSTED_LINES, CREDIT_MEMOS)
