"""What an invoice or a customer statement says, assembled from the workbook (rendering is elsewhere)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from .aging import bucket_index, bucket_labels, open_disputes
from .models import Book, Contract, ContractLine, Customer, InvoiceLineRow, RegisterRow, number
from .money import ZERO, round_cents
from .periods import period_of
from .posting import posted
from .receivables import Receivables


class DocLine(NamedTuple):
    contract_id: str | None
    contract_name: str | None
    description: str
    start: date  # the service period (the renderer writes its dates)
    end: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    time_entries: tuple[str, ...]
    note: str = ""  # why the amount is what it is: "17 of 31 days", an escalated price


class TaxLine(NamedTuple):
    rate: Decimal
    base: Decimal
    tax: Decimal


class TimeDetail(NamedTuple):
    date: date
    technician: str
    ticket: str | None
    work_type: str
    hours: Decimal
    notes: str | None
    billed_as: str  # "included" (covered by the included hours), "overage" or "time"


class Party(NamedTuple):
    name: str
    address: str
    email: str
    phone: str = ""
    tax_id: str = ""


class InvoiceDocument(NamedTuple):
    number: str  # the invoice number, or the draft ID of a draft
    is_draft: bool
    customer_id: str
    invoice_date: date
    due_date: date
    terms: str
    discount: tuple[date, Decimal] | None
    po_number: str | None
    company: Party
    remit_to: str
    bill_to: Party
    lines: tuple[DocLine, ...]
    taxes: tuple[TaxLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    credited: Decimal
    discount_taken: Decimal
    balance: Decimal
    currency: str
    time_details: tuple[TimeDetail, ...]
    days_past_due: int  # as of the day it is rendered; 0 when not past due (or paid)
    bank_details: str = ""
    logo: str = ""  # the logo file to print (resolved by the job that renders), or none
    locale: str = ""  # how amounts and dates are written (the locale setting; blank: 1,234.56 and YYYY-MM-DD)


def _company(book: Book) -> Party:
    s = book.settings
    return Party(s.company_name or "Your company", s.company_address, s.company_email, s.company_phone,
                 s.company_tax_id)


def line_notes(ln: InvoiceLineRow, contract: Contract | None, base: ContractLine | None) -> tuple[str, str]:
    """What a recurring line's amount needs said: the days a prorated period covers, and an escalated price."""
    if ln.source_type != "recurring" or contract is None:
        return "", ""
    full = period_of(contract.start_date, contract.billing_frequency, ln.service_start)
    covered = (ln.service_end - ln.service_start).days + 1
    days = f"{covered} of {full.days} days" if contract.proration == "daily" and covered < full.days else ""
    escalation = ""
    if base is not None and ln.unit_price != base.unit_price and contract.escalation_pct:
        escalation = (f"price {base.unit_price:,.2f} escalated {(contract.escalation_pct * 100).normalize():f}% a "
                      f"year from {contract.start_date.isoformat()}")
    return days, escalation


def _bill_to(customer: Customer | None, customer_id: str) -> Party:
    if customer is None:
        return Party(customer_id, "", "")
    return Party(customer.name, customer.billing_address or "", customer.billing_email or "")


def invoice_document(book: Book, header: RegisterRow, lines: list[InvoiceLineRow], ar: Receivables | None,
                     customers: Mapping[str, Customer], contracts: Mapping[str, Contract],
                     contract_lines: Mapping[str, ContractLine]) -> InvoiceDocument:
    """One invoice as the customer sees it (`customers`, `contracts`, `contract_lines`: the book's, by ID,
    looked up once)."""
    entries_wanted = {e for ln in lines if ln.entry_ids for e in ln.entry_ids.split()}
    table = book.time_entries
    # in the Timesheets' order (a set of IDs has none that lasts from one run to the next)
    entries = {e: table.entry(table.positions[e]) for e in sorted(entries_wanted & table.positions.keys(),
                                                                  key=table.positions.__getitem__)}
    ordered = sorted(lines, key=lambda ln: (ln.contract_id or "", ln.line_no))
    doc_lines, escalation_told = [], set()
    for ln in ordered:
        contract = contracts.get(ln.contract_id or "")
        days, escalation = line_notes(ln, contract, contract_lines.get(ln.source_id))
        if escalation and ln.source_id not in escalation_told:  # an escalated price is told once a line
            escalation_told.add(ln.source_id)
        else:
            escalation = ""
        doc_lines.append(DocLine(ln.contract_id, contract.name if contract else None, ln.description or ln.source_type,
                                 ln.service_start, ln.service_end, ln.quantity, ln.unit_price, ln.amount,
                                 tuple((ln.entry_ids or "").split()), "; ".join(n for n in (days, escalation) if n)))
    by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for ln in lines:
        if ln.tax_rate:
            by_rate[ln.tax_rate] += ln.amount
    taxes = tuple(TaxLine(rate, base, round_cents(base * rate)) for rate, base in sorted(by_rate.items()))
    item = ar.invoices.get(header.invoice_number) if ar and header.invoice_number else None
    paid = item.paid if item else ZERO
    credited = (item.credited + item.written_off) if item else ZERO
    taken = item.discount if item else ZERO
    balance = header.total - paid - credited - taken
    past_due = max((ar.as_of - header.due_date).days, 0) if ar and item and balance > 0 else 0
    billed_as = {e: ln.source_type for ln in lines if ln.entry_ids for e in ln.entry_ids.split()}
    details = tuple(sorted((TimeDetail(e.date, e.technician, e.ticket_id, e.work_type, e.hours, e.notes,
                                       billed_as.get(e.entry_id, "time"))
                            for e in entries.values()), key=lambda d: (d.date, d.technician)))
    # the discount is offered only while its window is open and nothing has settled the invoice
    window_open = ar is None or (header.discount_date is not None and ar.as_of <= header.discount_date)
    discount = ((header.discount_date, header.discount_amount)
                if header.discount_date and header.discount_amount and window_open and balance > 0 and not taken
                else None)
    return InvoiceDocument(
        header.invoice_number or header.draft_id or "", not header.invoice_number, header.customer_id,
        header.invoice_date,
        header.due_date, str(header.terms), discount, header.po_number, _company(book), book.settings.remit_to,
        _bill_to(customers.get(header.customer_id), header.customer_id), tuple(doc_lines), taxes, header.subtotal,
        header.tax, header.total, paid, credited, taken, balance, book.settings.currency, details, past_due,
        book.settings.bank_details, locale=book.settings.locale)


def invoice_documents(book: Book, ar: Receivables | None, only: str | None = None) -> list[InvoiceDocument]:
    """Every posted invoice (as the ledger holds it, in number order), then every draft of the register
    (or the one named)."""
    headers, posted_lines = posted(book)
    draft_lines: dict[str, list[InvoiceLineRow]] = defaultdict(list)
    for ln in book.invoice_lines:
        if not ln.invoice_number:
            draft_lines[ln.draft_id or ""].append(ln)
    wanted = [(h, posted_lines.get(number(h), [])) for h in headers]
    wanted += [(h, draft_lines.get(h.draft_id or "", [])) for h in book.register if not h.invoice_number]
    customers = {c.customer_id: c for c in book.customers}
    contracts = {c.contract_id: c for c in book.contracts}
    contract_lines = {ln.line_id: ln for ln in book.lines}
    return [invoice_document(book, h, lines, ar, customers, contracts, contract_lines) for h, lines in wanted
            if not only or only in (h.invoice_number, h.draft_id)]


class OpenInvoice(NamedTuple):
    number: str
    invoice_date: date
    due_date: date
    total: Decimal
    balance: Decimal
    days_past_due: int
    disputed: bool = False


class Activity(NamedTuple):
    """One event of a customer's account on a statement, with the balance after it."""

    day: date
    what: str  # Invoice, Payment, Credit memo, Written off, Discount taken
    reference: str
    amount: Decimal  # what it adds to the balance (payments and credits are negative)
    balance: Decimal


STATEMENT_DAYS = 90  # a statement's account activity covers this many days up to its date


class StatementDocument(NamedTuple):
    customer_id: str
    as_of: date
    company: Party
    remit_to: str
    bill_to: Party
    items: tuple[OpenInvoice, ...]
    buckets: tuple[tuple[str, Decimal], ...]
    unapplied: Decimal
    total_due: Decimal
    currency: str
    logo: str = ""
    since: date | None = None  # the activity's first day; the opening balance is the balance before it
    opening: Decimal = ZERO
    activity: tuple[Activity, ...] = ()
    locale: str = ""


def _events(ar: Receivables) -> dict[str, list[tuple[date, int, str, str, Decimal]]]:
    """Per customer, every event that moved their balance up to the as-of day, in the order applied."""
    events: dict[str, list[tuple[date, int, str, str, Decimal]]] = defaultdict(list)
    for item in ar.invoices.values():
        h = item.header
        events[h.customer_id].append((h.invoice_date, 0, "Invoice", number(h), h.total))
    for memo in ar.credit_memos:
        target = ar.invoices[memo.adjustment.invoice_number]
        events[target.header.customer_id].append((memo.adjustment.date, 1, "Credit memo",
                                                  f"{memo.number} on {memo.adjustment.invoice_number}",
                                                  -memo.adjustment.amount))
    for adjustment, applied in ar.write_offs:
        target = ar.invoices[adjustment.invoice_number]
        events[target.header.customer_id].append((adjustment.date, 1, "Written off", adjustment.invoice_number,
                                                  -applied))
    for p in ar.payments:
        events[p.customer_id].append((p.date, 2, "Payment", p.reference or p.payment_id, -p.amount))
    for item, day in ar.discounts:
        events[item.header.customer_id].append((day, 3, "Discount taken", number(item.header), -item.discount))
    for rows in events.values():
        rows.sort(key=lambda e: e[:2])
    return events


def statement_documents(book: Book, ar: Receivables) -> list[StatementDocument]:
    """One statement per customer with open items or unapplied credit: open invoices and their aging."""
    customers = {c.customer_id: c for c in book.customers}
    bounds = book.settings.aging_buckets
    labels = bucket_labels(bounds)
    open_by: dict[str, list] = defaultdict(list)
    for item in ar.open_items():
        open_by[item.header.customer_id].append(item)
    disputed = open_disputes(book, ar.as_of)
    events = _events(ar)
    since = ar.as_of - timedelta(days=STATEMENT_DAYS - 1)
    out = []
    for cust in sorted(set(open_by) | {c for c, v in ar.unapplied.items() if v}):
        items = tuple(OpenInvoice(i.header.invoice_number, i.header.invoice_date, i.header.due_date, i.header.total,
                                  i.balance, max((ar.as_of - i.header.due_date).days, 0),
                                  i.header.invoice_number in disputed)
                      for i in open_by.get(cust, []))
        opening = sum((e[4] for e in events.get(cust, []) if e[0] < since), ZERO)
        running, activity = opening, []
        for day, _, what, reference, amount in (e for e in events.get(cust, []) if e[0] >= since):
            running += amount
            activity.append(Activity(day, what, reference, amount, running))
        buckets = [ZERO] * len(labels)
        for i in open_by.get(cust, []):
            buckets[bucket_index((ar.as_of - i.header.due_date).days, bounds)] += i.balance
        unapplied = ar.unapplied.get(cust, ZERO)
        out.append(StatementDocument(cust, ar.as_of, _company(book), book.settings.remit_to,
                                     _bill_to(customers.get(cust), cust), items, tuple(zip(labels, buckets)),
                                     unapplied, sum(buckets, ZERO) - unapplied, book.settings.currency,
                                     since=since, opening=opening, activity=tuple(activity),
                                     locale=book.settings.locale))
    return out


class CreditMemoDocument(NamedTuple):
    """A credit memo as the customer sees it: what it credits, on which invoice, and what is left to pay."""

    number: str
    memo_date: date
    customer_id: str
    company: Party
    remit_to: str
    bill_to: Party
    invoice_number: str
    invoice_date: date
    invoice_total: Decimal
    amount: Decimal  # tax included, as entered on Adjustments
    reason: str
    balance_after: Decimal  # the invoice's open balance once the memo and everything before it applied
    currency: str
    adjustment_id: str
    logo: str = ""
    locale: str = ""


def credit_memo_documents(book: Book, ar: Receivables) -> list[CreditMemoDocument]:
    """One document per credit memo (credit adjustments, numbered in date order), with the invoice it
    credits and its balance once the memo applied (what was paid and credited before it counted)."""
    customers = {c.customer_id: c for c in book.customers}
    out = []
    for memo in ar.credit_memos:
        a = memo.adjustment
        item = ar.invoices.get(a.invoice_number)
        if item is None:
            continue
        h = item.header
        out.append(CreditMemoDocument(memo.number, a.date, h.customer_id, _company(book), book.settings.remit_to,
                                      _bill_to(customers.get(h.customer_id), h.customer_id), a.invoice_number,
                                      h.invoice_date, h.total, a.amount, a.reason, memo.balance_after,
                                      book.settings.currency, a.adjustment_id, locale=book.settings.locale))
    return out
