"""ConnectWise PSA in (issue 14): files shaped like the Manage REST API's JSON and its exports, and
a direct pull from a real HTTP server on loopback."""

from __future__ import annotations

import base64
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import python_calamine
import pytest

from xlbilling.cli import main

from .books import write_book

COMPANY = {"id": 19, "identifier": "AcmeDental", "name": "Acme Dental"}
AGREEMENTS = [
    {"id": 501, "name": "Managed IT", "type": {"name": "Managed Services"}, "company": COMPANY,
     "startDate": "2026-01-01T00:00:00Z", "noEndingDateFlag": True, "agreementStatus": "Active",
     "billingCycle": {"name": "Monthly"}, "billAmount": 1500, "prorateFlag": True, "applicationUnits": "Hours",
     "applicationLimit": 10, "applicationCycle": "Monthly", "customerPO": "PO-77",
     "nextInvoiceDate": "2026-10-01T00:00:00Z"},
    {"id": 502, "name": "Weekly patching", "company": COMPANY, "startDate": "2026-01-01T00:00:00Z",
     "agreementStatus": "Active", "billingCycle": {"name": "Weekly"}, "billAmount": 100},
    {"id": 503, "name": "Old backup", "company": COMPANY, "startDate": "2024-01-01T00:00:00Z",
     "agreementStatus": "Expired", "billingCycle": {"name": "Monthly"}, "billAmount": 90},
]
ADDITIONS = [
    {"id": 77, "agreement": {"id": 501}, "product": {"identifier": "M365-BP"},
     "description": "Microsoft 365 Business Premium", "quantity": 25, "lessIncluded": 0, "unitPrice": 22,
     "unitCost": 18.5, "effectiveDate": "2026-01-01T00:00:00Z", "billCustomer": "Billable", "taxableFlag": True},
    {"id": 78, "agreement": {"id": 501}, "product": {"identifier": "AV"}, "quantity": 25, "unitPrice": 3,
     "billCustomer": "DoNotBill"},
]
WORKTYPES = [{"id": 1, "agreementId": 501, "workType": {"name": "Remote Support"}, "rate": 150}]
TIME = [
    {"id": 9001, "company": COMPANY, "agreement": {"id": 501}, "member": {"identifier": "jsmith"},
     "chargeToType": "ServiceTicket", "chargeToId": 48001, "workType": {"name": "Remote Support"},
     "timeStart": "2026-10-02T03:30:00Z", "actualHours": 6, "billableOption": "Billable",
     "status": "ApprovedByTierTwo"},
    {"id": 9002, "company": COMPANY, "agreement": {"id": 501}, "member": {"identifier": "jsmith"},
     "chargeToType": "ServiceTicket", "chargeToId": 48002, "workType": {"name": "Remote Support"},
     "timeStart": "2026-10-20T15:00:00Z", "hoursBilled": 7.5, "actualHours": 8, "billableOption": "Billable",
     "status": "ReadyToBill"},
    {"id": 9003, "company": COMPANY, "agreement": {"id": 501}, "timeStart": "2026-10-21T15:00:00Z",
     "actualHours": 1, "billableOption": "NoDefault", "status": "ReadyToBill"},
    {"id": 9004, "company": COMPANY, "agreement": {"id": 501}, "member": {"identifier": "jsmith"},
     "workType": {"name": "Remote Support"}, "timeStart": "2026-09-20T15:00:00Z", "actualHours": 2,
     "billableOption": "Billable", "status": "Billed", "invoice": {"identifier": "CW-INV-55"}},
]


def typed_book(tmp_path):
    """A workbook as staff keep it: their customer typed (with its tax jurisdiction), nothing else yet."""
    return write_book(tmp_path / "Book.xlsx", {
        "Customers": [["Customer ID", "Name", "Billing Email", "Tax Jurisdiction"],
                      ["AcmeDental", "Acme Dental", "ap@acme.example", "TX"]],
        "Contracts": [["Contract ID", "Customer ID", "Start Date"]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]],
        "Settings": [["Setting", "Value"], ["time_zone", "America/Chicago"]]}, base=False)


def files(tmp_path, **changes):
    out = []
    for kind, records in {"agreements": AGREEMENTS, "additions": ADDITIONS, "worktypes": WORKTYPES,
                          "time": TIME, **changes}.items():
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(records))
        out += [f"--{kind}", str(path)]
    return out


def rows(path, sheet):
    data = python_calamine.load_workbook(path).get_sheet_by_name(sheet).to_python()
    return [dict(zip(data[0], r)) for r in data[1:]]


def test_import_maps_every_record_and_reports_what_it_left_out(tmp_path, capsys):
    path = typed_book(tmp_path)
    assert main(["import", "connectwise", str(path), *files(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Weekly" in out and "Expired" in out and "Do Not Bill" in out and "No Default" in out
    [contract] = rows(path, "Contracts")
    assert (contract["Contract ID"], contract["Customer ID"], contract["Included Hours"], contract["PO Number"],
            contract["Billed Through"], contract["Proration"], contract["Source Ref"]) == (
        "CW-501", "AcmeDental", 10, "PO-77", date(2026, 9, 30), "daily", "connectwise:agreement:501")  # a date cell
    lines = {r["Line ID"]: r for r in rows(path, "ContractLines")}
    assert set(lines) == {"CW-501-FEE", "CW-ADD-77"}
    assert (lines["CW-ADD-77"]["Quantity"], lines["CW-ADD-77"]["Unit Price"], lines["CW-ADD-77"]["Unit Cost"],
            lines["CW-ADD-77"]["Vendor SKU"]) == (25, 22, 18.5, "M365-BP")
    [rate] = rows(path, "RateCard")
    assert (rate["Contract ID"], rate["Work Type"], rate["Rate"]) == ("CW-501", "Remote Support", 150)
    time = {r["Entry ID"]: r for r in rows(path, "Timesheets")}
    assert time["CW-9001"]["Date"] == date(2026, 10, 1)  # 03:30 UTC is the evening before in Chicago
    assert time["CW-9001"]["Ticket ID"] == "48001" and time["CW-9002"]["Hours"] == 7.5
    assert time["CW-9004"]["Invoice Number"] == "CW-INV-55" and "CW-9003" not in time
    assert [r["Name"] for r in rows(path, "Customers")] == ["Acme Dental"]  # the typed row is left as it was


def test_importing_again_adds_nothing_and_a_changed_record_updates_its_row(tmp_path, capsys):
    path = typed_book(tmp_path)
    assert main(["import", "connectwise", str(path), *files(tmp_path)]) == 0
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["import", "connectwise", str(path), *files(tmp_path), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert all(c.get("added", 0) == 0 and c.get("updated", 0) == 0 for c in counts.values()), counts
    changed = [dict(TIME[1], hoursBilled=8)] + TIME[2:]
    assert main(["import", "connectwise", str(path), "--time", str(_json(tmp_path, "t2", changed)), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["Timesheets"]["updated"] == 1
    assert {r["Entry ID"]: r["Hours"] for r in rows(path, "Timesheets")}["CW-9002"] == 8
    assert len(rows(path, "Timesheets")) == 3 and path.read_bytes() != before


def _json(tmp_path, name, records):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(records))
    return path


def test_a_dry_run_writes_nothing(tmp_path, capsys):
    path = typed_book(tmp_path)
    before = path.read_bytes()
    assert main(["import", "connectwise", str(path), *files(tmp_path), "--dry-run"]) == 0
    assert "Dry run, nothing written" in capsys.readouterr().out and path.read_bytes() == before


def test_close_bills_the_imported_agreement_as_if_typed(tmp_path, capsys):
    path = typed_book(tmp_path)
    assert main(["import", "connectwise", str(path), *files(tmp_path)]) == 0
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    # October and November in advance: 2 x 1,500 + 2 x 25 x 22; October's time: 13.5 h, 10 included,
    # 3.5 h over at the agreement's 150.00
    lines = rows(path, "InvoiceLines")
    assert sum(r["Amount"] for r in lines) == 3000 + 1100 + 525
    [over] = [r for r in lines if r["Source Type"] == "overage"]
    assert (over["Quantity"], over["Amount"]) == (3.5, 525)
    # the same rows typed by hand bill the same, to the cent
    typed = {s: [list(rows(path, s)[0].keys())] + [list(r.values()) for r in rows(path, s)]
             for s in ("Customers", "Contracts", "ContractLines", "RateCard", "Timesheets", "TaxRates", "Settings")}
    twin = write_book(tmp_path / "Typed.xlsx", typed, base=False)
    assert main(["close", str(twin), "--date", "2026-11-01"]) == 0
    assert [(r["Source ID"], r["Amount"]) for r in rows(twin, "InvoiceLines")] == [
        (r["Source ID"], r["Amount"]) for r in lines]


def test_an_import_that_would_leave_the_book_invalid_writes_nothing(tmp_path, capsys):
    path = typed_book(tmp_path)
    before = path.read_bytes()
    stray = [dict(TIME[0], id=9100, company={"id": 99, "identifier": "Nobody"})]
    assert main(["import", "connectwise", str(path), "--time", str(_json(tmp_path, "t", stray))]) == 1
    out = capsys.readouterr().out
    assert "nothing was" in out and "Timesheets!" in out and "unknown customer_id" in out
    assert path.read_bytes() == before


def test_an_export_matches_its_headers_and_names_the_ones_it_does_not_know(tmp_path, capsys):
    path = typed_book(tmp_path)
    export = tmp_path / "agreements.csv"
    export.write_text("Agreement ID,Agreement,Company,Start Date,No Ending Date,Status,Billing Cycle,Bill Amount,"
                      "Account Manager\n601,Backup,AcmeDental,2026-01-01,Y,Active,Quarterly,900,Jo\n")
    assert main(["import", "connectwise", str(path), "--agreements", str(export)]) == 0
    assert "column 'Account Manager' was not recognised" in capsys.readouterr().out
    [contract] = rows(path, "Contracts")
    assert (contract["Contract ID"], contract["Billing Frequency"]) == ("CW-601", "quarterly")


# --- The direct pull, against a real HTTP server on loopback -----------------------------------------

class FakeManage(BaseHTTPRequestHandler):
    pages: dict[str, list[list]] = {}
    seen: list[tuple[str, dict, dict]] = []
    fail_first: list[int] = []

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        FakeManage.seen.append((url.path, {k.lower(): v for k, v in self.headers.items()}, query))
        if FakeManage.fail_first:
            code = FakeManage.fail_first.pop(0)
            self.send_response(code)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        if "Basic " + base64.b64encode(b"northstar+pub:priv").decode() != self.headers.get("Authorization"):
            self.send_response(401)
            self.end_headers()
            return
        pages = FakeManage.pages.get(url.path.split("/apis/3.0", 1)[1], [[]])
        page = int(query.get("page", ["1"])[0])
        self.send_response(200)
        if page < len(pages):
            base = f"http://127.0.0.1:{self.server.server_port}{url.path}"
            self.send_header("Link", f'<{base}?pageSize=1000&page={page + 1}>; rel="next", <{base}>; rel="first"')
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(pages[page - 1]).encode())

    def log_message(self, *args):
        pass


@pytest.fixture()
def manage(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), FakeManage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeManage.seen, FakeManage.fail_first = [], []
    FakeManage.pages = {"/finance/agreements": [[AGREEMENTS[0]]],
                        "/finance/agreements/501/additions": [[ADDITIONS[0]]],
                        "/finance/agreements/501/worktypes": [WORKTYPES],
                        "/time/entries": [[TIME[0]], [TIME[1]], [TIME[3]]]}  # three pages
    for name, value in (("PUBLIC_KEY", "pub"), ("PRIVATE_KEY", "priv"), ("CLIENT_ID", "client-123")):
        monkeypatch.setenv(f"XLBILLING_CW_{name}", value)
    yield f"http://127.0.0.1:{server.server_port}/v4_6_release/apis/3.0"
    server.shutdown()


def test_the_pull_signs_in_pages_filters_and_retries(tmp_path, manage, monkeypatch):
    from xlbilling.connectwise import api
    monkeypatch.setattr(api.time, "sleep", lambda s: None)
    FakeManage.fail_first = [429]  # the first request is throttled, then answered
    path = typed_book(tmp_path)
    assert main(["import", "connectwise", str(path), "--api", manage, "--company", "northstar",
                 "--from", "2026-10-01", "--to", "2026-11-01"]) == 0
    assert {r["Entry ID"] for r in rows(path, "Timesheets")} == {"CW-9001", "CW-9002", "CW-9004"}  # all 3 pages
    time_calls = [(h, q) for p, h, q in FakeManage.seen if p.endswith("/time/entries")]
    assert len(time_calls) == 3
    headers, query = time_calls[0]
    assert headers["clientid"] == "client-123" and query["pageSize"] == ["1000"]
    assert query["conditions"] == ["timeStart >= [2026-10-01] and timeStart < [2026-11-01]"]
    assert FakeManage.seen[0][0].endswith("/finance/agreements")  # the throttled request was made again


def test_wrong_keys_get_a_plain_message(tmp_path, manage, monkeypatch, capsys):
    monkeypatch.setenv("XLBILLING_CW_PRIVATE_KEY", "wrong")
    path = typed_book(tmp_path)
    before = path.read_bytes()
    assert main(["import", "connectwise", str(path), "--api", manage, "--company", "northstar"]) == 1
    assert "refused the API member (401)" in capsys.readouterr().out and path.read_bytes() == before


def test_a_bad_row_is_skipped_with_its_reason_and_the_rest_imported(tmp_path, capsys):
    path = typed_book(tmp_path)
    bad = [dict(TIME[0], id=9200, actualHours="two"), TIME[1]]
    assert main(["import", "connectwise", str(path), *files(tmp_path, time=bad)]) == 0
    out = capsys.readouterr().out
    assert "time.json #1 (time entry 9200): a value ConnectWise does not send" in out
    assert {r["Entry ID"] for r in rows(path, "Timesheets")} == {"CW-9002"}


def imported_and_posted(tmp_path):
    """The typed book with the sample ConnectWise files imported, closed and posted for November."""
    path = typed_book(tmp_path)
    assert main(["import", "connectwise", str(path), *files(tmp_path)]) == 0
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert main(["post", str(path), "--date", "2026-11-01"]) == 0
    return path


def test_a_billed_entry_changed_in_connectwise_is_reported_not_edited(tmp_path, capsys):
    path = imported_and_posted(tmp_path)
    capsys.readouterr()
    changed = [dict(TIME[0], actualHours=9)]
    assert main(["import", "connectwise", str(path), "--time", str(_json(tmp_path, "t3", changed))]) == 0
    assert "already on posted invoice INV-1001: not changed here" in capsys.readouterr().out
    assert {r["Entry ID"]: r["Hours"] for r in rows(path, "Timesheets")}["CW-9001"] == 6


def test_the_agreements_terms_tax_code_and_overage_rate_are_carried(tmp_path):
    path = write_book(tmp_path / "Book.xlsx", {
        "Customers": [["Customer ID", "Name", "Payment Terms", "Tax Jurisdiction"], ["AcmeDental", "Acme Dental", None,
                                                                                  "TX"]],
        "Contracts": [["Contract ID", "Customer ID", "Start Date"]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]]}, base=False)
    agreement = dict(AGREEMENTS[0], billingTerms={"name": "Net 15 Days"}, taxCode={"name": "WA"})
    worktypes = [dict(WORKTYPES[0], overageRate=175)]
    assert main(["import", "connectwise", str(path), *files(tmp_path, agreements=[agreement], worktypes=worktypes)]) == 0
    [customer] = rows(path, "Customers")
    assert (customer["Payment Terms"], customer["Tax Jurisdiction"]) == ("NET15", "TX")  # only the blank filled
    [contract] = rows(path, "Contracts")
    assert contract["Overage Rate"] == 175


def test_each_mapping_rule_on_its_own():
    from decimal import Decimal as D
    from xlbilling.connectwise import mapping
    out = mapping.Mapped()
    base = dict(AGREEMENTS[0], nextInvoiceDate=None, applicationUnits=None)
    mapping.agreements([
        dict(base, id=1, agreementStatus="Cancelled", dateCancelled="2026-06-30T00:00:00Z", noEndingDateFlag=False,
             endDate="2027-12-31T00:00:00Z"),
        dict(base, id=2, applicationUnits="Amount", applicationLimit=5000, billingCycle={"name": "SemiAnnual"}),
        dict(base, id=3, applicationUnits="Incidents", applicationLimit=4, prorateFlag=False),
        dict(base, id=4, billingCycle={"name": "BiMonthly"})], "a.json", out)
    contracts = {r["contract_id"]: r for r in out.rows["Contracts"]}
    assert contracts["CW-1"]["end_date"].isoformat() == "2026-06-30"
    assert (contracts["CW-2"]["not_to_exceed"], contracts["CW-2"]["billing_frequency"]) == (D(5000), "semiannual")
    assert contracts["CW-3"]["included_hours"] is None and contracts["CW-3"]["proration"] == "none"
    assert any("Incidents" in n for n in out.notes) and "CW-4" not in contracts
    mapping.additions([
        dict(ADDITIONS[0], id=10, billedQuantity=None, quantity=12, lessIncluded=2, taxableFlag=False),
        dict(ADDITIONS[0], id=11, billedQuantity=7, billCustomer="NoCharge")], "b.json", out)
    adds = {r["line_id"]: r for r in out.rows["ContractLines"] if r["line_id"].startswith("CW-ADD")}
    assert (adds["CW-ADD-10"]["quantity"], adds["CW-ADD-10"]["tax_category"]) == (D(10), "nontaxable")
    assert (adds["CW-ADD-11"]["quantity"], adds["CW-ADD-11"]["unit_price"]) == (D(7), D(0))
    mapping.time_entries([dict(TIME[0], id=20, billableOption="DoNotBill"), dict(TIME[0], id=21, status="Open"),
                          dict(TIME[0], id=22, billableOption="NoCharge", status="Rejected")], "t.json", out)
    entries = {r["entry_id"]: r for r in out.rows["Timesheets"]}
    assert (entries["CW-20"]["billable"], entries["CW-21"]["approved"]) == (False, False)
    assert (entries["CW-22"]["billable"], entries["CW-22"]["approved"]) == (False, False)


def test_an_xlsx_export_imports_like_the_csv(tmp_path):
    import openpyxl
    path = typed_book(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Time Entry ID", "Company", "Agreement ID", "Member", "Work Type", "Time Start", "Hours Billed",
               "Billable Option", "Status"])
    ws.append([9300, "AcmeDental", 501, "jsmith", "Remote Support", "2026-10-05T16:00:00Z", 2, "Billable",
               "ReadyToBill"])
    export = tmp_path / "time.xlsx"
    wb.save(export)
    assert main(["import", "connectwise", str(path), *files(tmp_path, time=[]), "--time", str(export)]) == 0
    [entry] = rows(path, "Timesheets")
    assert (entry["Entry ID"], entry["Date"], entry["Hours"], entry["Approved"]) == ("CW-9300", date(2026, 10, 5), 2, "Y")


def test_importing_again_after_posting_leaves_billed_entries_alone_quietly(tmp_path, capsys):
    path = imported_and_posted(tmp_path)
    capsys.readouterr()
    assert main(["import", "connectwise", str(path), *files(tmp_path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["counts"]["Timesheets"].get("updated", 0) == 0
    assert not [s for s in payload["skipped"] if "already on posted invoice" in s["reason"]]
    assert {r["Entry ID"]: r["Invoice Number"] for r in rows(path, "Timesheets")}["CW-9001"] == "INV-1001"
