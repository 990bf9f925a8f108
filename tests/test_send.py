"""Dispatch against a real SMTP server on loopback (aiosmtpd): what arrives, what is recorded, what fails."""

import email
import socket
from datetime import date
from email import policy
from io import BytesIO

import pypdf
import pytest
import python_calamine
from aiosmtpd.controller import Controller

from xlbilling.cli import main
from xlbilling.document_jobs import send_invoices
from xlbilling.jobs import close_workbook, post_workbook

from .books import write_book
from .test_post import CHARGES, LINES, SETTINGS, TAXES, TIME


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp(monkeypatch):
    inbox = Inbox()
    port = free_port()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("XLBILLING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XLBILLING_SMTP_PORT", str(port))
    monkeypatch.setenv("XLBILLING_SMTP_SECURITY", "none")
    yield inbox
    controller.stop()


@pytest.fixture()
def posted(tmp_path):
    settings = [*SETTINGS, ["company_name", "Northstar IT"], ["company_email", "billing@northstar.example"]]
    path = write_book(tmp_path / "b.xlsx", {"ContractLines": LINES, "Timesheets": TIME, "Charges": CHARGES,
                                            "RateCard": [["Work Type", "Rate"], ["Remote", 150]],
                                            "Settings": settings, "TaxRates": TAXES})
    close_workbook(path, date(2026, 4, 1))
    post_workbook(path, date(2026, 4, 1))
    return path


def register(path):
    rows = python_calamine.load_workbook(path).get_sheet_by_name("InvoiceRegister").to_python()
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def test_each_posted_invoice_arrives_once_with_its_pdf(smtp, posted):
    result = send_invoices(posted)
    assert result.ok and result.data["sent"] == ["NS-500", "NS-501"]
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == ["ap@acme.example.com", "ap@birch.example.com"]
    rcpts, msg = next(m for m in smtp.messages if m[0] == ["ap@acme.example.com"])
    assert msg["Subject"].startswith("Invoice NS-500 from") and "billing@northstar.example" in msg["From"]
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "NS-500" in body and "due on 2026-05-01" in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == "NS-500 - Acme Dental.pdf"
    text = pypdf.PdfReader(BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "NS-500" in text
    rows = {r["Invoice Number"]: r for r in register(posted)}
    assert rows["NS-500"]["Sent To"] == "ap@acme.example.com" and rows["NS-500"]["Message ID"] == msg["Message-ID"]
    assert rows["NS-500"]["Sent At"]
    assert send_invoices(posted).data["sent"] == [] and len(smtp.messages) == 2  # never twice unless asked
    assert send_invoices(posted, resend=True, only="NS-501").data["sent"] == ["NS-501"]


def test_a_refused_connection_leaves_invoices_unsent_and_reported(monkeypatch, posted, capsys):
    monkeypatch.setenv("XLBILLING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XLBILLING_SMTP_PORT", str(free_port()))  # nobody listens there
    monkeypatch.setenv("XLBILLING_SMTP_SECURITY", "none")
    assert main(["send", str(posted)]) == 1
    out = capsys.readouterr().out
    assert "Sent 0 of 2" in out and "will retry next run: NS-500" in out
    assert all(not r["Sent At"] for r in register(posted) if r["Invoice Number"])


def test_a_failed_send_is_retried_on_the_next_run(monkeypatch, smtp, posted):
    monkeypatch.setenv("XLBILLING_SMTP_PORT", str(free_port()))  # the server is down
    assert not send_invoices(posted).ok and smtp.messages == []
    monkeypatch.setenv("XLBILLING_SMTP_PORT", str(smtp.port))  # and back
    assert send_invoices(posted).data["sent"] == ["NS-500", "NS-501"]


def test_dry_run_writes_eml_files_and_sends_nothing(posted, tmp_path):
    outbox = tmp_path / "outbox"
    result = send_invoices(posted, dry_run=True, outbox=outbox)
    assert result.ok and sorted(p.name for p in outbox.iterdir()) == ["NS-500 - invoice.eml", "NS-501 - invoice.eml"]
    msg = email.message_from_bytes((outbox / "NS-500 - invoice.eml").read_bytes(), policy=policy.default)
    assert msg["To"] == "ap@acme.example.com" and next(msg.iter_attachments()).get_content_type() == "application/pdf"
    assert all(not r["Sent At"] for r in register(posted) if r["Invoice Number"])


def test_collection_reminders_go_out_once_per_level(smtp, posted):
    send_invoices(posted)
    smtp.messages.clear()
    result = send_invoices(posted, reminders=True, as_of=date(2026, 5, 20))  # 19 days past due
    assert result.ok and len(smtp.messages) == 2
    assert {m["Subject"].split(":")[0] for _, m in smtp.messages} == {"Second reminder"}
    assert send_invoices(posted, reminders=True, as_of=date(2026, 5, 21)).data["sent"] == []
    result = send_invoices(posted, reminders=True, as_of=date(2026, 6, 1))  # 31 days: final notice
    assert {m["Subject"].split(":")[0] for _, m in smtp.messages[2:]} == {"Final notice"}
    assert {r["Last Reminder"] for r in register(posted) if r["Invoice Number"]} == {"Final notice"}


def test_without_a_server_nothing_is_sent_and_the_setting_is_named(posted, monkeypatch):
    for name in ("XLBILLING_SMTP_HOST", "XLBILLING_SMTP_PORT", "XLBILLING_SMTP_SECURITY"):
        monkeypatch.delenv(name, raising=False)
    result = send_invoices(posted)
    assert not result.ok and "smtp_host" in result.errors[0].message


def test_a_credit_memo_is_mailed_once_with_its_pdf_and_remembered(smtp, tmp_path):
    settings = [*SETTINGS, ["company_name", "Northstar IT"], ["company_email", "billing@northstar.example"]]
    path = write_book(tmp_path / "b.xlsx", {
        "ContractLines": LINES, "Timesheets": TIME, "Charges": CHARGES, "Settings": settings, "TaxRates": TAXES,
        "RateCard": [["Work Type", "Rate"], ["Remote", 150]],
        "Adjustments": [["Adjustment ID", "Date", "Invoice Number", "Type", "Amount", "Reason"],
                        ["A1", "2026-04-10", "NS-500", "credit", 125, "Outage credit"]]})
    assert close_workbook(path, date(2026, 4, 1)).ok and post_workbook(path, date(2026, 4, 1)).ok
    first = send_invoices(path, as_of=date(2026, 4, 30))
    assert first.ok and first.data["credit_memos_sent"] == ["CM-1"] and "1 of them credit memos" in first.summary[0]
    rcpts, msg = next(m for m in smtp.messages if "Credit memo" in m[1]["Subject"])
    assert rcpts == ["ap@acme.example.com"] and msg["Subject"].startswith("Credit memo CM-1 for invoice NS-500")
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "125.00" in body and "Outage credit" in body
    (pdf,) = list(msg.iter_attachments())
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(BytesIO(pdf.get_content())).pages)
    assert "CREDIT MEMO" in text and "NS-500" in text
    memos = python_calamine.load_workbook(path).get_sheet_by_name("CreditMemos").to_python()
    assert memos[1][0] == "CM-1" and memos[1][7] and memos[1][8] == "ap@acme.example.com"
    count = len(smtp.messages)
    again = send_invoices(path, as_of=date(2026, 4, 30))  # nothing new: the memo is not mailed twice
    assert again.ok and again.data["credit_memos_sent"] == [] and len(smtp.messages) == count
    from xlbilling.jobs import refresh_workbook
    assert refresh_workbook(path, date(2026, 5, 15)).ok  # a later run keeps the memo's sent marks
    memos = python_calamine.load_workbook(path).get_sheet_by_name("CreditMemos").to_python()
    assert memos[1][8] == "ap@acme.example.com"
