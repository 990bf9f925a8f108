"""Sample ConnectWise files for the demo: one new customer's agreement, its additions and rates, and
two months of its time entries, shaped as the Manage REST API returns them."""

from __future__ import annotations

import json
from pathlib import Path

_COMPANY = {"id": 250, "identifier": "HarborDental", "name": "Harbor Dental Studio"}
_AGREEMENT = 7001


def _time(k: int, day: str, hours: float, status: str = "ApprovedByTierTwo") -> dict:
    return {"id": 91000 + k, "company": _COMPANY, "agreement": {"id": _AGREEMENT}, "member": {"identifier": "mlopez"},
            "chargeToType": "ServiceTicket", "chargeToId": 52000 + k, "workType": {"name": "Remote Support"},
            "timeStart": f"{day}T15:00:00Z", "actualHours": hours, "billableOption": "Billable", "status": status,
            "notes": "Workstation support"}


RECORDS = {
    "agreements": [{
        "id": _AGREEMENT, "name": "Managed IT - Harbor", "type": {"name": "Managed Services"}, "company": _COMPANY,
        "startDate": "2026-08-01T00:00:00Z", "noEndingDateFlag": True, "agreementStatus": "Active",
        "billingCycle": {"name": "Monthly"}, "billAmount": 1200, "prorateFlag": True, "applicationUnits": "Hours",
        "applicationLimit": 4, "applicationCycle": "Monthly", "nextInvoiceDate": "2026-09-01T00:00:00Z",
        "billingTerms": {"name": "Net 30 Days"}, "taxCode": {"name": "TX-AUSTIN"}}],
    "additions": [
        {"id": 8101, "agreement": {"id": _AGREEMENT}, "product": {"identifier": "CFQ7TTC0LH18"},
         "description": "Microsoft 365 Business Premium", "quantity": 18, "lessIncluded": 0, "unitPrice": 22,
         "unitCost": 18.4, "effectiveDate": "2026-08-01T00:00:00Z", "billCustomer": "Billable", "taxableFlag": True},
        {"id": 8102, "agreement": {"id": _AGREEMENT}, "product": {"identifier": "BACKUP-WS"},
         "description": "Workstation backup", "quantity": 18, "unitPrice": 6, "unitCost": 3.1,
         "effectiveDate": "2026-08-01T00:00:00Z", "billCustomer": "Billable", "taxableFlag": True},
        {"id": 8103, "agreement": {"id": _AGREEMENT}, "product": {"identifier": "AV-TRIAL"},
         "description": "Antivirus trial", "quantity": 18, "unitPrice": 2, "billCustomer": "DoNotBill"}],
    "worktypes": [{"id": 1, "agreementId": _AGREEMENT, "workType": {"name": "Remote Support"}, "rate": 140,
                   "overageRate": 125}],
    "time": [_time(1, "2026-08-12", 2.5), _time(2, "2026-08-20", 3), _time(3, "2026-09-03", 1.5),
             _time(4, "2026-09-17", 2), _time(5, "2026-09-24", 1.25, "PendingApproval")],
}


def write_sample_files(folder: Path) -> dict[str, Path]:
    """The files, one per kind of record, written into a folder; kind -> file."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind, records in RECORDS.items():
        out[kind] = folder / f"{kind}.json"
        out[kind].write_text(json.dumps(records, indent=2), encoding="utf-8")
    return out
