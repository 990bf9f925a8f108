"""What `send` sends: each posted invoice not yet sent (or all, to resend), and the next collection
reminder of each past-due invoice not in dispute; to whom; and what the register records once sent."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from .aging import next_step, open_disputes
from .models import Book, Customer, RegisterRow, Settings, number
from .receivables import Receivables

LEVELS = ("Reminder 1", "Reminder 2", "Final notice", "Escalate")  # the collection ladder, in order


class Outgoing(NamedTuple):
    header: RegisterRow
    level: str | None  # the reminder's level; None: the invoice itself
    days_past_due: int
    customer: Customer | None
    recipient: str | None  # None: the customer has no billing email (not sent)


def sender(settings: Settings) -> str:
    return settings.email_from or settings.company_email or "billing@example.com"


def outgoing(book: Book, headers: list[RegisterRow], ar: Receivables, as_of: date, only: str | None = None,
             resend: bool = False, reminders: bool = False) -> list[Outgoing]:
    """The messages due, in invoice number order (an escalation goes to our own address)."""
    customers = {c.customer_id: c for c in book.customers}
    disputed = open_disputes(book, as_of)
    out = []
    for h in headers:
        if only and h.invoice_number != only:
            continue
        level, days = None, 0
        if not resend and h.sent_at:
            if not reminders:
                continue
            item = ar.invoices.get(number(h))
            days = (as_of - h.due_date).days
            level = next_step(days, book.settings) if item and item.balance > 0 else None
            done = LEVELS.index(h.last_reminder) if h.last_reminder in LEVELS else -1
            if not level or number(h) in disputed or LEVELS.index(level) <= done:
                continue
        c = customers.get(h.customer_id)
        recipient = sender(book.settings) if level == "Escalate" else (c.billing_email if c else None)
        out.append(Outgoing(h, level, days, c, recipient))
    return out


def marked_sent(header: RegisterRow, message: Outgoing, message_id: str, stamp: str) -> RegisterRow:
    """The register row once a message went out: a reminder's level, or the invoice's sending."""
    if message.level:
        return header._replace(last_reminder=message.level, reminder_sent_at=stamp)
    return header._replace(sent_at=stamp, sent_to=message.recipient, message_id=message_id)
