"""A seeded, realistic sample book of a managed-services provider, with the mistakes real data has.

About 40 customers in six US tax jurisdictions, about 80 contracts using every contract feature
of the spec, an effective-dated rate card, three months of timesheets (August to October 2026),
resale charges, payments, adjustments, disputes, amendments, and on purpose: an unapproved entry,
a duplicate entry, an entry whose work type has no rate, a PO about to run out and an expired
tax exemption. The month to close is November 2026 (invoice date 2026-11-01).
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from .core.periods import period_of

CLOSE_DATE = date(2026, 11, 1)
DEMO_MONTHS = (date(2026, 9, 1), date(2026, 10, 1), CLOSE_DATE)  # the demo closes and posts each
DEMO_AS_OF = date(2026, 11, 30)  # and ages receivables at the end of November
FIRST_MONTH = date(2026, 8, 1)
D = Decimal
ONE = D(1)
M365_SKU = "CFQ7TTC0LH18"  # Microsoft 365 Business Premium, as Partner Center and ConnectWise name it
BACKUP_SKU = "P8-BKP-DR-1TB"
COUNTS_AS_OF = date(2026, 10, 31)  # the vendor exports the demo imports before closing November

JURISDICTIONS = {  # jurisdiction -> (services, hardware, software)
    "TX-AUSTIN": (D("0.0825"), D("0.0825"), D("0.0825")),
    "WA-SEATTLE": (D("0.1035"), D("0.1035"), D("0.1035")),
    "NY-NYC": (D("0"), D("0.08875"), D("0.08875")),
    "CA-SF": (D("0"), D("0.08625"), D("0")),
    "CO-DENVER": (D("0"), D("0.0881"), D("0.0481")),
    "OR-PORTLAND": (D("0"), D("0"), D("0")),
}
COMPANY_WORDS = ["Acme", "Blue Ridge", "Cedar", "Delta", "Evergreen", "Frontier", "Granite", "Harbor", "Iron Gate",
                 "Juniper", "Keystone", "Lakeside", "Maple", "Northwind", "Oakmont", "Pioneer", "Quarry", "Redwood",
                 "Summit", "Tidewater", "Union", "Valley", "Willow", "Yellowstone", "Zenith", "Aspen", "Birch",
                 "Copper", "Drift", "Elm", "Falcon", "Glacier", "Highland", "Indigo", "Jasper", "Kestrel", "Lumen",
                 "Meridian", "Nova", "Orchard"]
SUFFIXES = ["Dental Group", "Law LLP", "Manufacturing", "Logistics", "Realty", "Credit Union", "Architects",
            "Veterinary Clinic", "Insurance Agency", "Accounting CPAs", "Medical Partners", "Engineering"]
TECHNICIANS = ["Alex Rivera", "Bianca Chen", "Carlos Mendes", "Dana Okafor", "Eli Novak", "Fatima Haddad",
               "Gavin Price", "Hana Sato", "Ivan Petrov", "Jade Thompson", "Kofi Mensah", "Lena Fischer",
               "Marco Rossi", "Nia Johnson", "Owen Walsh"]
WORK = {  # work type -> default rate before and from 2026-10-01
    "Remote Support": (D("140.00"), D("150.00")),
    "Onsite Support": (D("175.00"), D("185.00")),
    "Project Engineering": (D("195.00"), D("195.00")),
    "After Hours Emergency": (D("250.00"), D("250.00")),
    "Consulting": (D("225.00"), D("225.00")),
}
NOTES = ["Reset password and unlocked account", "Replaced failing switch in closet", "Patched servers",
         "Investigated slow VPN", "Configured new laptop", "Printer driver issue", "Migrated mailbox",
         "Reviewed firewall rules", "Backup job failed; reran and verified", "Onboarded new hire",
         "Set up MFA for finance team", "Replaced UPS battery", "Network cabling for new office",
         "Quarterly security review", "Restored deleted files from backup"]


def _customers(rng: random.Random) -> list[dict]:
    rows = []
    jurisdictions = list(JURISDICTIONS)
    terms = ["NET30"] * 6 + ["NET15", "NET45", "DUE_ON_RECEIPT", "2/10 NET 30"]
    for i in range(40):
        name = f"{COMPANY_WORDS[i]} {SUFFIXES[i % len(SUFFIXES)]}"
        slug = COMPANY_WORDS[i].lower().replace(" ", "")
        rows.append({
            "customer_id": str(1001 + i), "name": name,
            "billing_email": None if i == 17 else f"ap@{slug}.example.com",
            "billing_address": f"{100 + i * 7} Main St, Suite {i + 1}",
            "payment_terms": terms[i % len(terms)], "tax_jurisdiction": jurisdictions[i % len(jurisdictions)],
            "tax_exempt": i in (9, 23), "exemption_expiry": date(2026, 9, 30) if i == 9 else (
                date(2027, 12, 31) if i == 23 else None),
            "po_required": i in (4, 12), "invoice_grouping": "contract" if i % 7 == 3 else "customer",
            "status": "active",
        })
    return rows


def _contract(cid: str, customer: str, name: str, ctype: str, start: date, **kw) -> dict:
    row: dict[str, Any] = {
        "contract_id": cid, "customer_id": customer, "name": name, "type": ctype, "start_date": start,
        "billing_frequency": "monthly", "billing_timing": "advance", "proration": "daily", "status": "active"}
    row.update(kw)
    # Cut-over: the previous system invoiced recurring service up to its last run on 1 August 2026
    # (in advance: the period holding that day; in arrears: through July); from August on, time,
    # charges and milestones are billed by xlbilling, from 1 September 2026.
    if start < date(2026, 8, 1):
        if row["billing_timing"] == "advance":
            row["billed_through"] = period_of(start, row["billing_frequency"], date(2026, 8, 1)).end
        else:
            row["billed_through"] = date(2026, 7, 31)
    return row


def build_sample(seed: int = 2026) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Rows per sheet and settings of the sample book."""
    rng = random.Random(seed)
    customers = _customers(rng)
    contracts: list[dict] = []
    lines: list[dict] = []
    milestones: list[dict] = []
    amendments: list[dict] = []
    n = 0

    def new_id() -> str:
        nonlocal n
        n += 1
        return f"AGR-{n:03d}"

    def line(cid, desc, price, qty=ONE, kind="fixed", start=None, end=None, cat="services", account=None, sku=None):
        lines.append({"line_id": f"L{len(lines) + 1:04d}", "contract_id": cid, "description": desc, "kind": kind,
                      "quantity": qty, "unit_price": price, "start_date": start, "end_date": end,
                      "tax_category": cat, "revenue_account": account, "vendor_sku": sku})

    for i, cust in enumerate(customers):
        cust_id = cust["customer_id"]
        variant = i % 8
        start = date(2025, 1 + i % 12, 1 + (i * 3) % 28)
        # Every customer has a managed-services agreement with per-user and per-device lines.
        cid = new_id()
        contracts.append(_contract(cid, cust_id, "Managed IT Services", "managed_services", start,
                                   escalation_pct=D("0.03") if i % 3 == 0 else None,
                                   end_date=date(2026, 12, 15) if i == 5 else None,
                                   po_number="PO-77120" if cust["po_required"] else None,
                                   po_amount=D("60000.00") if cust["po_required"] else None))
        users = D(rng.randint(8, 60))
        if i % 4 == 0:  # seat count changed mid-month in October: old line ends, new line starts
            change = date(2026, 10, 1 + rng.randint(5, 20))
            line(cid, "Managed users", D("95.00"), users, "per_unit", end=change - timedelta(days=1))
            line(cid, "Managed users", D("95.00"), users + rng.randint(1, 6), "per_unit", start=change)
        else:
            line(cid, "Managed users", D("95.00"), users, "per_unit")
        line(cid, "Managed servers", D("175.00"), D(rng.randint(1, 6)), "per_unit")
        line(cid, "Backup & DR storage (1 TB)", D("120.00"), cat="software", account="4200", sku=BACKUP_SKU)
        if variant == 0:
            cid = new_id()
            contracts.append(_contract(cid, cust_id, "Security monitoring", "subscription", date(2026, 2, 1),
                                       billing_frequency="quarterly", escalation_pct=D("0.03")))
            line(cid, "SOC monitoring", D("900.00"), cat="software")
        elif variant == 1:
            cid = new_id()
            contracts.append(_contract(cid, cust_id, "Block hours", "block_hours", date(2026, 1, 1),
                                       included_hours=D(10), overage_rate=D("150.00")))
            line(cid, "Prepaid support block (10 h)", D("1350.00"))
        elif variant == 2:
            cid = new_id()
            contracts.append(_contract(cid, cust_id, "Time and materials", "time_and_materials", date(2026, 3, 1),
                                       not_to_exceed=D("9000.00") if i == 2 else D("40000.00")))
        elif variant == 3:
            cid = new_id()
            contracts.append(_contract(cid, cust_id, "Microsoft 365 licences", "subscription", date(2026, 1, 1),
                                       billing_frequency="annual", proration="none"))
            line(cid, "M365 Business Premium (annual)", D("264.00"), D(rng.randint(10, 40)), "per_unit", cat="software",
                 sku=M365_SKU)
        elif variant == 4:
            cid = new_id()
            contracts.append(_contract(cid, cust_id, "Offsite backup (usage)", "subscription", date(2026, 9, 10),
                                       billing_timing="arrears"))
            line(cid, "Offsite backup storage", D("310.00"), cat="software")
        elif variant == 5:
            cid = new_id()
            po_amount = D("24500.00") if i == 13 else D("60000.00")
            contracts.append(_contract(cid, cust_id, "Network refresh project", "project", date(2026, 7, 1),
                                       end_date=date(2027, 3, 31), po_number=f"PO-{5000 + i}", po_amount=po_amount))
            for _, (desc, amount, done) in enumerate([
                ("Design and bill of materials", D("6000.00"), date(2026, 8, 14)),
                ("Core switching installed", D("12000.00"), date(2026, 10, 9)),
                ("Wireless cut-over", D("9000.00"), None),
            ]):
                milestones.append({"milestone_id": f"M{len(milestones) + 1:03d}", "contract_id": cid,
                                   "description": desc, "amount": amount, "completed_date": done})
        elif variant == 6:
            cid = new_id()
            contracts.append(_contract(cid, cust_id, "vCIO advisory", "managed_services", date(2025, 7, 1),
                                       billing_frequency="semiannual", escalation_pct=D("0.04")))
            line(cid, "Virtual CIO retainer", D("4800.00"))
        elif variant == 7 and i == 7:
            cid = new_id()
            contracts.append(_contract(cid, cust_id, "Phones (suspended)", "subscription", date(2026, 1, 1),
                                       status="on_hold"))
            line(cid, "Hosted voice seats", D("28.00"), D(25), "per_unit")
        if i % 9 == 4:
            amendments.append({"amendment_id": f"AM{len(amendments) + 1:03d}",
                               "contract_id": contracts[-1]["contract_id"],
                               "effective_date": date(2026, 10, 1),
                               "description": "Seat count change approved by customer",
                               "approved_by": "J. Park"})
    # A contract starting mid-month: prorated first period.
    cid = new_id()
    contracts.append(_contract(cid, customers[0]["customer_id"], "Compliance add-on", "subscription",
                               date(2026, 10, 10),
                               proration="daily"))
    line(cid, "Compliance reporting", D("1500.00"), cat="software")

    rates = [{"contract_id": None, "work_type": w, "rate": before, "effective_from": None,
              "effective_to": date(2026, 9, 30) if before != after else None} for w, (before, after) in WORK.items()]
    rates += [{"contract_id": None, "work_type": w, "rate": after, "effective_from": date(2026, 10, 1),
               "effective_to": None} for w, (before, after) in WORK.items() if before != after]
    special = [c for c in contracts if c["type"] == "time_and_materials"][:3]
    for c in special:
        rates.append({"contract_id": c["contract_id"], "work_type": "Remote Support", "rate": D("125.00"),
                      "effective_from": None, "effective_to": None})

    timesheets = _timesheets(rng, contracts)
    charges = _charges(rng, customers, contracts)
    taxes: list[dict[str, Any]] = [{"jurisdiction": j, "tax_category": cat, "rate": r, "effective_from": None}
             for j, rs in JURISDICTIONS.items() for cat, r in zip(("services", "hardware", "software"), rs)]
    taxes.append({"jurisdiction": "TX-AUSTIN", "tax_category": "hardware", "rate": D("0.0825"),
                  "effective_from": date(2026, 10, 1)})
    payments = [{"payment_id": f"PMT-{k + 1:04d}", "date": date(2026, 10, 5) + timedelta(days=k % 20),
                 "customer_id": customers[k]["customer_id"], "amount": D(rng.randint(500, 6000)) + D("0.00"),
                 "method": rng.choice(["ACH", "Check", "Card", "Wire"]), "reference": f"REF{rng.randint(10000, 99999)}",
                 "invoice_number": None} for k in range(30)]
    adjustments = [
        {"adjustment_id": "ADJ-001", "date": date(2026, 10, 20), "invoice_number": "INV-1003", "type": "credit",
         "amount": D("150.00"), "reason": "Service credit: outage on 2026-10-02"},
        {"adjustment_id": "ADJ-002", "date": date(2026, 10, 28), "invoice_number": "INV-1011", "type": "write_off",
         "amount": D("42.17"), "reason": "Small balance write-off"},
    ]
    disputes = [{"invoice_number": "INV-1007", "opened_date": date(2026, 10, 15),
                 "reason": "Customer disputes onsite hours",
                 "status": "open", "resolved_date": None}]
    settings = {"company_name": "Northstar Managed IT, Inc.", "company_address": "400 Congress Ave, Austin, TX 78701",
                "remit_to": "Northstar Managed IT, PO Box 1200, Austin, TX 78767",
                "company_email": "billing@northstar-it.example.com", "company_phone": "+1 512 555 0100",
                "company_tax_id": "EIN 74-1234567",
                "bank_details": "ACH or wire to Lone Star Bank, routing 111000025, account 4400123987 "
                                "(Northstar Managed IT, Inc.)"}
    return {
        "Customers": customers, "Contracts": contracts, "ContractLines": lines, "RateCard": rates,
        "Timesheets": timesheets, "Charges": charges, "Milestones": milestones, "TaxRates": taxes,
        "Payments": payments, "Adjustments": adjustments, "Disputes": disputes, "Amendments": amendments,
    }, settings


def _timesheets(rng: random.Random, contracts: list[dict]) -> list[dict]:
    hourly = [c for c in contracts if c["type"] in ("time_and_materials", "block_hours", "managed_services", "project")
              and c["status"] == "active"]
    rows: list[dict] = []
    day = FIRST_MONTH
    ticket = 48000
    while day < CLOSE_DATE:
        if day.weekday() < 5:
            for tech in TECHNICIANS:
                for _ in range(rng.randint(2, 5)):
                    c = rng.choice(hourly)
                    ticket += 1
                    work = rng.choices(list(WORK), weights=[50, 20, 15, 5, 10])[0]
                    billable = c["type"] != "managed_services" or work in (
                        "Project Engineering", "After Hours Emergency")
                    rows.append({"entry_id": f"TE{len(rows) + 1:06d}", "date": day, "technician": tech,
                                 "customer_id": c["customer_id"], "contract_id": c["contract_id"],
                                 "ticket_id": str(ticket), "work_type": work,
                                 "hours": D(rng.choice([25, 50, 75, 100, 150, 200, 300])) / 100,
                                 "billable": billable, "approved": True, "notes": rng.choice(NOTES),
                                 "invoice_number": None})
        day += timedelta(days=1)
    october = [r for r in rows if r["date"].month == 10 and r["billable"]]
    october[5]["approved"] = False  # an entry nobody approved
    october[9]["approved"] = False
    dup = dict(october[20])
    dup["entry_id"] = f"TE{len(rows) + 1:06d}"  # the same work typed twice
    rows.append(dup)
    missing = dict(october[30])
    missing.update(entry_id=f"TE{len(rows) + 1:06d}", work_type="Training", hours=D("2.00"))  # no rate for Training
    rows.append(missing)
    return rows


def _charges(rng: random.Random, customers: list[dict], contracts: list[dict]) -> list[dict]:
    catalog = [("hardware", "Dell Latitude 5450 laptop", D("1089.00"), D("1299.00")),
               ("hardware", "Meraki MR46 access point", D("689.00"), D("849.99")),
               ("hardware", "APC Smart-UPS 1500", D("540.00"), D("649.00")),
               ("hardware", "Cat6 patch cables (pack of 10)", D("31.00"), D("49.95")),
               ("software", "Adobe Acrobat Pro (annual)", D("215.00"), D("239.88")),
               ("software", "Veeam backup licence", D("104.00"), D("129.50")),
               ("expense", "Mileage: onsite visit", None, D("38.50"))]
    rows = []
    for k in range(60):
        cust = customers[rng.randrange(len(customers))]
        kind, desc, cost, price = catalog[rng.randrange(len(catalog))]
        rows.append({"charge_id": f"CH-{k + 1:04d}", "date": date(2026, 10, 1) + timedelta(days=rng.randrange(31)),
                     "customer_id": cust["customer_id"], "contract_id": None, "kind": kind, "description": desc,
                     "quantity": D(rng.randint(1, 4)), "unit_cost": cost, "unit_price": price,
                     "po_number": "PO-77120" if cust["po_required"] else None, "tax_category": None,
                     "invoice_number": None})
    rows[7].update(kind="hardware", description="APC Smart-UPS 1500", unit_cost=D("540.00"),
                   unit_price=D("500.00"))  # sold below its unit cost by mistake
    return rows


def write_vendor_files(folder: Path, rows: dict[str, list[dict]]) -> dict[str, tuple[Path, dict[str, str]]]:
    """A Microsoft 365 (Partner Center) and a Pax8 subscription export for the sample book's customers, as
    those portals would show them at the end of October, with what a month brings: seats added in the
    portal and not billed, a customer name spelled as the portal has it, one offer in two subscriptions,
    a cancelled backup still billed, a deleted subscription, and a customer with seats nobody bills.
    Per vendor: the file, and the aliases its customer names need (portal name -> customer ID)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {c["customer_id"]: c["name"] for c in rows["Customers"]}
    customer_of = {c["contract_id"]: c["customer_id"] for c in rows["Contracts"]}
    billed: dict[str, dict[str, Decimal]] = {M365_SKU: {}, BACKUP_SKU: {}}
    for ln in rows["ContractLines"]:
        if ln.get("vendor_sku") in billed and ln.get("end_date") is None:
            billed[ln["vendor_sku"]][customer_of[ln["contract_id"]]] = ln["quantity"]
    m365 = [["Customer Name", "Customer Domain Name", "Subscription Id", "Offer Name", "Offer Id", "Quantity",
             "Status", "Billing Frequency"]]
    aliases: dict[str, str] = {}
    for k, (cid, qty) in enumerate(sorted(billed[M365_SKU].items())):
        name = names[cid] + (", Inc." if k == 1 else "")
        if k == 1:  # the portal's spelling: mapped by an alias
            aliases[name] = cid
        seats = [qty + 12] if k == 0 else [D(10), qty - 10] if k == 3 and qty > 10 else [qty]
        for n, q in enumerate(seats):
            m365.append([name, f"{cid.lower()}.onmicrosoft.com", f"5f1c{k:02d}{n}-sub",
                         "Microsoft 365 Business Premium", M365_SKU, str(q), "Active", "Annual"])
    m365.append(["Harbor Dental Studio", "harbordental.onmicrosoft.com", "5f1c99-sub", "Microsoft 365 Business Premium",
                 M365_SKU, "20", "Active", "Monthly"])
    first = sorted(billed[M365_SKU])[0]
    m365.append([names[first], f"{first.lower()}.onmicrosoft.com", "5f1c98-sub", "Exchange Online (Plan 1)",
                 "CFQ7TTC0LH16", "5", "Deleted", "Monthly"])
    unbilled = next(c for c in sorted(names) if c not in billed[M365_SKU])
    m365.append([names[unbilled], f"{unbilled.lower()}.onmicrosoft.com", "5f1c97-sub", "Microsoft 365 Business Premium",
                 M365_SKU, "8", "Active", "Monthly"])
    pax8 = [["Company Name", "Product Name", "SKU", "Quantity", "Status", "Billing Term"]]
    for k, (cid, qty) in enumerate(sorted(billed[BACKUP_SKU].items())):
        pax8.append([names[cid], "Backup & DR storage (1 TB)", BACKUP_SKU, str(qty),
                     "Cancelled" if k == 4 else "Active", "Monthly"])
    files = {"microsoft365": (folder / "microsoft365-subscriptions.csv", aliases),
             "pax8": (folder / "pax8-subscriptions.csv", {})}
    for key, table in (("microsoft365", m365), ("pax8", pax8)):
        with files[key][0].open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(table)
    return files
