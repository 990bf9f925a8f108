"""ConnectWise Manage records (as the REST API /v4_6_release/apis/3.0 returns them) mapped to rows
of the workbook's input sheets, field by field as docs/connectwise.md says. Pure: dicts in, rows and
the reasons for rows left out, out. A row is a dict by schema column name, with its source_ref."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, UTC
from decimal import Decimal
from zoneinfo import ZoneInfo

from ..schema import CONTRACT_TYPES

CYCLES = {"monthly": "monthly", "quarterly": "quarterly", "semiannual": "semiannual", "yearly": "annual",
          "annual": "annual"}
APPROVED = {"approvedbytiertwo", "readytobill"}
BILLED = {"billed", "billedagreement", "writtenoff"}


@dataclass
class Mapped:
    """Rows for each sheet, in the order met, and the records left out with why and where from."""

    rows: dict[str, list[dict]] = field(default_factory=dict)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, source, reason)
    notes: list[str] = field(default_factory=list)  # terms carried only in part, said in the summary

    def add(self, sheet: str, row: dict) -> None:
        self.rows.setdefault(sheet, []).append(row)

    def skip(self, sheet: str, source: str, reason: str) -> None:
        self.skipped.append((sheet, source, reason))

    def patch(self, sheet: str, ref: str, values: dict) -> None:
        """Values for a row imported in this run or before (by source_ref): folded into the row when it
        is here, else carried as a patch the merge applies to the existing row only."""
        for row in self.rows.get(sheet, ()):
            if row["source_ref"] == ref:
                row.update(values)
                return
        self.add(sheet, {"source_ref": ref, "_patch": True, **values})


def _each(records: list, source: str, sheet: str, kind: str, out: Mapped, one) -> None:
    """Map every record with `one(record, where, out)`; one with a value that is not what ConnectWise
    sends (text for a number, a date that is none) is skipped with why, never a crash."""
    for k, record in enumerate(records):
        where = f"{source} #{k + 1} ({kind} {record.get('id') if isinstance(record, dict) else '?'})"
        if not isinstance(record, dict):
            out.skip(sheet, where, "not a ConnectWise record")
            continue
        try:
            one(record, where, out)
        except (ValueError, ArithmeticError, TypeError, AttributeError) as exc:
            out.skip(sheet, where, f"a value ConnectWise does not send ({type(exc).__name__}: {exc})")


def _terms(name: object) -> str | None:
    """ConnectWise billing terms (`Net 30 Days`, `Due on receipt`) as workbook terms, when they are such."""
    text = _fold(name)
    m = re.match(r"^net(\d{1,3})(days?)?$", text)
    if m:
        return f"NET{m.group(1)}"
    return "DUE_ON_RECEIPT" if text in ("dueonreceipt", "uponreceipt", "onreceipt") else None


def _get(record: dict, *path: str):
    value: object = record
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _day(value: object) -> date | None:
    """The date part of a ConnectWise timestamp such as 2026-11-01T00:00:00Z."""
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def _money(value: object) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _fold(text: object) -> str:
    return "".join(str(text or "").lower().split())


def agreement_id(record_id: object) -> str:
    """The contract ID an agreement gets in the workbook."""
    return f"CW-{record_id}"


def companies(records: list[dict], source: str, out: Mapped) -> None:
    def one(c: dict, where: str, out: Mapped) -> None:
        if not c.get("identifier") or not c.get("name"):
            out.skip("Customers", where, "no identifier or name")
            return
        out.add("Customers", {"customer_id": str(c["identifier"]), "name": str(c["name"]),
                              "payment_terms": _terms(_get(c, "billingTerms", "name")),
                              "source_ref": f"connectwise:company:{c.get('id')}"})
    _each(records, source, "Customers", "company", out, one)


def _company_of(record: dict, out: Mapped, terms: str | None = None, tax: str | None = None) -> None:
    """A record's company{id,identifier,name} becomes a customer too, with the agreement's billing terms
    and tax code (the merge puts those only where the workbook has none)."""
    company = record.get("company") or {}
    if company.get("identifier") and company.get("name"):
        out.add("Customers", {"customer_id": str(company["identifier"]), "name": str(company["name"]),
                              "payment_terms": terms, "tax_jurisdiction": tax,
                              "source_ref": f"connectwise:company:{company.get('id')}"})


def agreements(records: list[dict], source: str, out: Mapped) -> None:
    def one(a: dict, where: str, out: Mapped) -> None:
        status = _fold(a.get("agreementStatus") or "active")
        cycle = CYCLES.get(_fold(_get(a, "billingCycle", "name") or "monthly"))
        customer = _get(a, "company", "identifier")
        if not customer:
            out.skip("Contracts", where, "no company")
            return
        if status in ("expired", "inactive"):
            out.skip("Contracts", where, f"not billed: the agreement is {a.get('agreementStatus')}")
            return
        if cycle is None:
            out.skip("Contracts", where, f"billing cycle {_get(a, 'billingCycle', 'name')} is not one xlbilling "
                     "bills (monthly, quarterly, semiannual, yearly); set it in ConnectWise or type the contract")
            return
        _company_of(a, out, _terms(_get(a, "billingTerms", "name")), _get(a, "taxCode", "name"))
        cid = agreement_id(a.get("id"))
        end = None if a.get("noEndingDateFlag") else _day(a.get("endDate"))
        if status == "cancelled":
            end = _day(a.get("dateCancelled")) or end
        kind = _fold(_get(a, "type", "name")).replace("-", "_")
        units, limit = _fold(a.get("applicationUnits")), _money(a.get("applicationLimit"))
        included = cap = None
        if units == "hours" and limit and CYCLES.get(_fold(a.get("applicationCycle") or "")) == cycle:
            included = limit
        elif units == "amount" and limit and not a.get("applicationUnlimitedFlag"):
            cap = limit
        elif units or a.get("applicationUnlimitedFlag"):
            out.notes.append(f"{where}: its application ({a.get('applicationUnits')}, limit {limit}, cycle "
                             f"{a.get('applicationCycle')}) is not carried; add included hours or a cap by hand")
        next_invoice = _day(a.get("nextInvoiceDate"))
        out.add("Contracts", {
            "contract_id": cid, "customer_id": str(customer), "name": a.get("name"),
            "type": kind if kind in CONTRACT_TYPES else "other", "start_date": _day(a.get("startDate")),
            "end_date": end, "billing_frequency": cycle, "proration": "daily" if a.get("prorateFlag") else "none",
            "included_hours": included, "not_to_exceed": cap, "po_number": a.get("customerPO") or None,
            "billed_through": next_invoice - timedelta(days=1) if next_invoice else None,
            "source_ref": f"connectwise:agreement:{a.get('id')}"})
        fee = _money(a.get("billAmount"))
        if fee:
            out.add("ContractLines", {"line_id": f"{cid}-FEE", "contract_id": cid, "description": a.get("name") or cid,
                                      "kind": "fixed", "quantity": Decimal(1), "unit_price": fee,
                                      "source_ref": f"connectwise:agreement-fee:{a.get('id')}"})
    _each(records, source, "Contracts", "agreement", out, one)


def additions(records: list[dict], source: str, out: Mapped, agreement: object | None = None) -> None:
    """`agreement`: the agreement the additions belong to, when their records do not say."""
    def one(a: dict, where: str, out: Mapped) -> None:
        owner = _get(a, "agreement", "id") or a.get("agreementId") or agreement
        bill = _fold(a.get("billCustomer") or "billable")
        if owner is None:
            out.skip("ContractLines", where, "no agreement")
            return
        if bill == "donotbill":
            out.skip("ContractLines", where, "Do Not Bill in ConnectWise")
            return
        quantity = _money(a.get("billedQuantity"))
        if quantity is None:
            quantity = (_money(a.get("quantity")) or Decimal(0)) - (_money(a.get("lessIncluded")) or Decimal(0))
        sku = _get(a, "product", "identifier")
        out.add("ContractLines", {
            "line_id": f"CW-ADD-{a.get('id')}", "contract_id": agreement_id(owner),
            "description": a.get("invoiceDescription") or a.get("description") or sku or f"Addition {a.get('id')}",
            "kind": "per_unit", "quantity": quantity,
            "unit_price": Decimal(0) if bill == "nocharge" else (_money(a.get("unitPrice")) or Decimal(0)),
            "unit_cost": _money(a.get("unitCost")), "start_date": _day(a.get("effectiveDate")),
            "end_date": _day(a.get("cancelledDate")),
            "tax_category": "services" if a.get("taxableFlag", True) else "nontaxable",
            "vendor_sku": sku, "source_ref": f"connectwise:addition:{a.get('id')}"})
    _each(records, source, "ContractLines", "addition", out, one)


def worktypes(records: list[dict], source: str, out: Mapped, agreement: object | None = None) -> None:
    """Agreement work types and work roles: a RateCard row each (for its agreement)."""
    def one(w: dict, where: str, out: Mapped) -> None:
        owner = _get(w, "agreementId") or _get(w, "agreement", "id") or agreement
        name = _get(w, "workType", "name") or _get(w, "workRole", "name") or w.get("name")
        rate = _money(w.get("rate"))
        if not name or rate is None:
            out.skip("RateCard", where, "no work type name or rate")
            return
        if owner and _money(w.get("overageRate")):
            out.patch("Contracts", f"connectwise:agreement:{owner}", {"overage_rate": _money(w.get("overageRate"))})
        out.add("RateCard", {"contract_id": agreement_id(owner) if owner else None, "work_type": name, "rate": rate,
                             "effective_from": _day(w.get("effectiveDate")), "effective_to": _day(w.get("endingDate")),
                             "source_ref": f"connectwise:worktype:{owner}:{w.get('id')}"})
    _each(records, source, "RateCard", "work type", out, one)


def time_entries(records: list[dict], source: str, out: Mapped, time_zone: str = "UTC") -> None:
    zone = ZoneInfo(time_zone)
    def one(t: dict, where: str, out: Mapped) -> None:
        option = _fold(t.get("billableOption") or "billable")
        start = t.get("timeStart")
        customer = _get(t, "company", "identifier")
        if option == "nodefault":
            out.skip("Timesheets", where, "billable option No Default: set Billable, Do Not Bill or No Charge")
            return
        if not start or not customer:
            out.skip("Timesheets", where, "no start time or company")
            return
        moment = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        hours = _money(t.get("hoursBilled"))
        if hours is None:
            hours = _money(t.get("actualHours")) or Decimal(0)
        status = _fold(t.get("status"))
        invoice = _get(t, "invoice", "identifier") or ("billed in ConnectWise" if status in BILLED else None)
        charge_type = _fold(t.get("chargeToType"))
        agreement = _get(t, "agreement", "id")
        out.add("Timesheets", {
            "entry_id": f"CW-{t.get('id')}", "date": moment.astimezone(zone).date(),
            "technician": _get(t, "member", "identifier") or _get(t, "member", "name") or "unknown",
            "customer_id": str(customer), "contract_id": agreement_id(agreement) if agreement else None,
            "ticket_id": str(t.get("chargeToId")) if charge_type in ("serviceticket", "projectticket") else None,
            "work_type": _get(t, "workType", "name") or "Unspecified", "hours": hours,
            "billable": option == "billable", "approved": status in APPROVED or invoice is not None,
            "notes": t.get("notes"), "invoice_number": invoice, "source_ref": f"connectwise:time:{t.get('id')}"})
    _each(records, source, "Timesheets", "time entry", out, one)
