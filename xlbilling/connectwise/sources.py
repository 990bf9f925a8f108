"""Where ConnectWise records come from: the JSON the Manage REST API returns (files, or a direct pull
through the API: connectwise/api.py), and the CSV/XLSX list-view exports staff download. Export
headers are matched the way the workbook matches headers (case, spaces, underscores, hyphens and dots
ignored) against the API's field paths (`company.identifier`, `Company Identifier`) and a few list-view
names; headers that match nothing are reported."""

from __future__ import annotations

import json
from pathlib import Path

from ..io.tables import TABLE_SUFFIXES, read_table
from ..schema import normalize

# The API fields the mapping reads, per kind of record, and the list-view names they go by.
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "companies": {"id": ("Company ID", "Company RecID"), "identifier": ("Company ID Code", "Company"),
                  "name": ("Company Name",), "billingTerms.name": ("Billing Terms", "Terms")},
    "agreements": {"id": ("Agreement ID", "Agreement RecID"), "name": ("Agreement", "Agreement Name"),
                   "type.name": ("Agreement Type", "Type"), "company.id": (), "company.name": ("Company Name",),
                   "company.identifier": ("Company", "Company ID"), "startDate": ("Start Date", "Start"),
                   "endDate": ("End Date", "End"), "noEndingDateFlag": ("No Ending Date",),
                   "agreementStatus": ("Status", "Agreement Status"), "dateCancelled": ("Date Cancelled",),
                   "billingCycle.name": ("Billing Cycle", "Cycle"), "billAmount": ("Bill Amount", "Amount"),
                   "prorateFlag": ("Prorate",), "applicationUnits": ("Application Units",),
                   "applicationLimit": ("Application Limit",), "applicationCycle": ("Application Cycle",),
                   "applicationUnlimitedFlag": ("Unlimited",), "customerPO": ("Customer PO", "PO"),
                   "nextInvoiceDate": ("Next Invoice Date",)},
    "additions": {"id": ("Addition ID", "Addition RecID"), "agreementId": ("Agreement ID", "Agreement RecID"),
                  "product.identifier": ("Product", "Product ID", "Item ID"), "description": ("Description",),
                  "invoiceDescription": ("Invoice Description",), "quantity": ("Quantity", "Qty"),
                  "lessIncluded": ("Less Included",), "billedQuantity": ("Billed Quantity",),
                  "unitPrice": ("Unit Price", "Price"), "unitCost": ("Unit Cost", "Cost"),
                  "effectiveDate": ("Effective Date",), "cancelledDate": ("Cancelled Date",),
                  "billCustomer": ("Bill Customer",), "taxableFlag": ("Taxable",)},
    "worktypes": {"id": ("Work Type ID",), "agreementId": ("Agreement ID",), "workType.name": ("Work Type",),
                  "rate": ("Rate",), "effectiveDate": ("Effective Date",), "endingDate": ("Ending Date",)},
    "time": {"id": ("Time Entry ID", "Time RecID", "Entry ID"), "company.identifier": ("Company", "Company ID"),
             "company.name": ("Company Name",), "agreement.id": ("Agreement ID", "Agreement RecID"),
             "member.identifier": ("Member", "Member ID", "Technician"), "chargeToType": ("Charge To Type",),
             "chargeToId": ("Charge To ID", "Ticket", "Ticket #"), "workType.name": ("Work Type",),
             "timeStart": ("Time Start", "Start Time", "Date Start"), "actualHours": ("Actual Hours", "Hours"),
             "hoursBilled": ("Hours Billed", "Billable Hours"), "billableOption": ("Billable Option", "Billable"),
             "status": ("Status",), "invoice.identifier": ("Invoice", "Invoice Number"), "notes": ("Notes",)},
}
_FLAGS = {"noEndingDateFlag", "prorateFlag", "applicationUnlimitedFlag", "taxableFlag"}


def _flag(text: str) -> bool:
    return text.strip().lower() in ("y", "yes", "true", "1", "x")


def _nest(kind: str, flat: dict[str, str]) -> dict:
    record: dict = {}
    for path, value in flat.items():
        if value in ("", None):
            continue
        node = record
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = _flag(value) if leaf in _FLAGS else value
    return record


def _header_map(kind: str, headers: list[str]) -> tuple[dict[int, str], list[str]]:
    names: dict[str, str] = {}
    for path, aliases in FIELDS[kind].items():
        for name in (path, path.replace(".", " "), *aliases):
            names.setdefault(normalize(name), path)
    matched: dict[int, str] = {}
    unknown: list[str] = []
    for k, h in enumerate(headers):
        found = names.get(normalize(h))
        if found is None:
            unknown.append(h)
        elif found not in matched.values():
            matched[k] = found
    return matched, unknown


def read_records(kind: str, path: Path) -> tuple[list[dict], list[str]]:
    """The records of a file (JSON as the API returns it, or a CSV/XLSX export) and the export's headers
    that matched nothing."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        return (data if isinstance(data, list) else data.get("items", [data])), []
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{path.name}: a .json, .csv or .xlsx file is expected")
    rows = read_table(path)
    if not rows:
        return [], []
    matched, unknown = _header_map(kind, [str(h) for h in rows[0]])
    records = [_nest(kind, {p: str(r[k]).strip() for k, p in matched.items() if k < len(r)})
               for r in rows[1:] if any(str(v).strip() for v in r)]
    return records, unknown
