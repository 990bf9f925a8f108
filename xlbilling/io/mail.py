"""E-mail: invoice and collection-reminder messages, sent over SMTP or written to an outbox as .eml.

Host, port, security and user come from Settings (smtp_*) or the environment (XLBILLING_SMTP_HOST,
_PORT, _SECURITY, _USER); the password only from XLBILLING_SMTP_PASSWORD or the OS keyring
(service "xlbilling", the SMTP user), never from the workbook.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from ..core.documents import CreditMemoDocument, InvoiceDocument
from ..core.models import Settings

_REMINDER_WORDS = {
    "Reminder 1": ("Friendly reminder: invoice {number} is past due",
                   "This is a friendly reminder that invoice {number} was due on {due} and {balance} of it is "
                   "still open. If you have already paid, thank you, and please ignore this message."),
    "Reminder 2": ("Second reminder: invoice {number} is {days} days past due",
                   "Invoice {number} was due on {due} and is now {days} days past due. Please arrange payment of "
                   "the open balance of {balance} or let us know if there is a problem."),
    "Final notice": ("Final notice: invoice {number} is {days} days past due",
                     "Despite our reminders, invoice {number} ({balance} open) is {days} days past due. Please pay "
                     "within 7 days to avoid any interruption of service."),
    "Escalate": ("Escalation: invoice {number} ({customer}) is {days} days past due",
                 "Invoice {number} for {customer} has {balance} open and is {days} days past due after the final "
                 "notice. Please follow up with the customer's account manager."),
}


class MailSetupError(Exception):
    """Sending is not set up; the message says what to set."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    user: str
    password: str | None
    sender: str


def smtp_config(settings: Settings, env: Mapping[str, str] | None = None) -> SmtpConfig:
    env = os.environ if env is None else env
    host = env.get("XLBILLING_SMTP_HOST", settings.smtp_host)
    sender = settings.email_from or settings.company_email
    if not host:
        raise MailSetupError("no SMTP server: set smtp_host on the Settings sheet (or XLBILLING_SMTP_HOST), "
                             "or use --dry-run to write the messages to an outbox")
    if not sender:
        raise MailSetupError("no sender address: set company_email (or email_from) on the Settings sheet")
    security = env.get("XLBILLING_SMTP_SECURITY", settings.smtp_security).strip().lower()
    if security not in ("starttls", "ssl", "none"):
        raise MailSetupError(f"smtp_security must be starttls, ssl or none, not {security!r}")
    user = env.get("XLBILLING_SMTP_USER", settings.smtp_user)
    password = env.get("XLBILLING_SMTP_PASSWORD")
    if password is None and user:
        try:
            import keyring

            password = keyring.get_password("xlbilling", user)
        except Exception:  # no keyring back end on this machine: the environment is the way
            password = None
    port = int(env.get("XLBILLING_SMTP_PORT", settings.smtp_port))
    return SmtpConfig(host, port, security, user, password, sender)


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "xlbilling.local"


def _message(company: str, sender: str, recipient: str, subject: str, body: list[str], pdf: bytes,
             filename: str) -> EmailMessage:
    """A message from the company to a customer, its document's PDF attached."""
    msg = EmailMessage()
    msg["From"] = f"{company} <{sender}>"
    msg["To"] = recipient.replace(";", ",")
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=_domain(sender))
    msg.set_content("\n".join(body))
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return msg


def invoice_message(doc: InvoiceDocument, pdf: bytes, sender: str, recipient: str, filename: str) -> EmailMessage:
    lines = [f"Dear {doc.bill_to.name},", "",
             f"Please find attached invoice {doc.number} dated {doc.invoice_date} for {doc.total:,.2f} {doc.currency}, "
             f"due on {doc.due_date}."]
    if doc.discount:
        lines.append(f"Pay by {doc.discount[0]} and you may deduct {doc.discount[1]:,.2f} (early-payment discount).")
    if doc.remit_to:
        lines += ["", f"Remit to: {doc.remit_to}"]
    lines += ["", "Thank you for your business.", "", doc.company.name]
    return _message(doc.company.name, sender, recipient, f"Invoice {doc.number} from {doc.company.name}", lines,
                    pdf, filename)


def credit_memo_message(doc: CreditMemoDocument, pdf: bytes, sender: str, recipient: str,
                        filename: str) -> EmailMessage:
    left = (f"The balance of {doc.invoice_number} is now {doc.balance_after:,.2f} {doc.currency}." if doc.balance_after
            else f"Nothing is left to pay on {doc.invoice_number}.")
    lines = [f"Dear {doc.bill_to.name},", "",
             f"Please find attached credit memo {doc.number} of {doc.memo_date}: {doc.amount:,.2f} {doc.currency} "
             f"credited to invoice {doc.invoice_number} ({doc.reason}).", left, "", doc.company.name]
    return _message(doc.company.name, sender, recipient,
                    f"Credit memo {doc.number} for invoice {doc.invoice_number} from {doc.company.name}", lines,
                    pdf, filename)


def reminder_message(doc: InvoiceDocument, level: str, days: int, pdf: bytes, sender: str, recipient: str,
                     filename: str) -> EmailMessage:
    subject, body = _REMINDER_WORDS[level]
    values = {"number": doc.number, "total": f"{doc.total:,.2f} {doc.currency}", "due": doc.due_date,
              "days": days, "balance": f"{doc.balance:,.2f} {doc.currency}", "customer": doc.bill_to.name}
    greeting = "Hello," if level == "Escalate" else f"Dear {doc.bill_to.name},"
    return _message(doc.company.name, sender, recipient, subject.format(**values),
                    [greeting, "", body.format(**values), "", doc.company.name], pdf, filename)


class Mailer:
    """One SMTP session for a run."""

    def __init__(self, config: SmtpConfig, timeout: float = 30):
        self.config, self.timeout = config, timeout
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        c = self.config
        smtp: smtplib.SMTP
        if c.security == "ssl":
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
            if c.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if c.user:
            smtp.login(c.user, c.password or "")
        self.smtp = smtp
        return self

    def send(self, msg: EmailMessage) -> None:
        if self.smtp is None:
            raise RuntimeError("send outside the session")
        self.smtp.send_message(msg)

    def __exit__(self, *exc) -> None:
        try:
            if self.smtp is not None:
                self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


def write_eml(folder: Path, name: str, msg: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.eml"
    path.write_bytes(bytes(msg))
    return path
