"""The jobs that hand invoices out: PDFs and statements, e-mail with reminders.

Each reads the book, asks the core what to produce, and lays it out through io/ (PDF, mail, report).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from datetime import date, datetime
from pathlib import Path

from .core.accounts import receivables, settled
from .core.dispatch import Outgoing, marked_sent, outgoing, sender
from .core.documents import credit_memo_documents, invoice_documents, statement_documents
from .core.findings import ERROR, Finding
from .core.ledger import ledger_tabs
from .core.memos import credit_memo_rows, credit_memos_tab
from .core.models import Book, CreditMemoRow, RegisterRow, number
from .core.posting import posted
from .core.receivables import Receivables
from .core.register import register_tab
from .io.mail import (Mailer, MailSetupError, SmtpConfig, credit_memo_message, invoice_message, reminder_message,
                      smtp_config, write_eml)
from .io.pdf import credit_memo_pdf, invoice_pdf, rendered, safe_filename, statement_pdf
from .io.workbook import as_workbook
from .runner import JobResult, Progress, Read, stage, with_book, write_run


def write_documents(path: Path, out: Path, only: str | None = None, statements: bool = False,
                    as_of: date | None = None, progress: Progress | None = None) -> JobResult:
    """Invoice PDFs (posted invoices, and DRAFT previews of drafts), and customer statements when asked."""
    as_of = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        _, ar = receivables(book, as_of)
        stage(progress, "Assembling invoices")
        logo, notes = _logo(path, book)
        docs = [d._replace(logo=logo) for d in invoice_documents(book, ar, only)]
        if only and not docs:
            return JobResult(False, [Finding("NOT_FOUND", ERROR, "InvoiceRegister", f"no invoice or draft {only}",
                                             only, "an invoice number or draft ID from InvoiceRegister")],
                             ["No documents written:"])
        out.mkdir(parents=True, exist_ok=True)
        names = {c.customer_id: c.name for c in book.customers}
        stage(progress, f"Rendering {len(docs):,} invoice PDF(s)")
        for doc, pdf in zip(docs, rendered(invoice_pdf, docs)):
            stem = safe_filename(("DRAFT " if doc.is_draft else "") + doc.number, names.get(doc.customer_id, ""))
            (out / f"{stem}.pdf").write_bytes(pdf)
        written = [f"Wrote {sum(not d.is_draft for d in docs)} invoice PDF(s) and {sum(d.is_draft for d in docs)} "
                   f"draft preview(s) to {out}.", *notes]
        memos = [] if only else [m._replace(logo=logo) for m in credit_memo_documents(book, ar)]
        if memos:
            folder = out / "credit memos"
            folder.mkdir(exist_ok=True)
            stage(progress, f"Rendering {len(memos):,} credit memo(s)")
            for memo, pdf in zip(memos, rendered(credit_memo_pdf, memos)):
                (folder / f"{safe_filename(memo.number, names.get(memo.customer_id, ''))}.pdf").write_bytes(pdf)
            written.append(f"  and {len(memos)} credit memo(s) to {folder}.")
        if statements:
            folder = out / "statements"
            folder.mkdir(exist_ok=True)
            stage(progress, "Rendering customer statements")
            stmts = [st._replace(logo=logo) for st in statement_documents(book, ar)]
            for st, pdf in zip(stmts, rendered(statement_pdf, stmts)):
                (folder / f"{safe_filename('Statement', st.bill_to.name, as_of.isoformat())}.pdf").write_bytes(pdf)
            written.append(f"  and {len(stmts)} customer statement(s) as of {as_of} to {folder}.")
        return JobResult(True, summary=written, data={"folder": str(out), "documents": len(docs)})

    return with_book(path, progress, work, pause_gc=False, writes=False)

LOGO_TYPES = (".png", ".jpg", ".jpeg")


def _logo(path, book: Book) -> tuple[str, list[str]]:
    """The logo file the `logo` setting names (from the workbook's folder unless absolute), and a note
    when it names none that can be printed (the documents are written without it)."""
    name = book.settings.logo.strip()
    if not name:
        return "", []
    file = Path(name) if Path(name).is_absolute() else as_workbook(path).with_name(name)
    if file.suffix.lower() not in LOGO_TYPES or not file.is_file():
        return "", [f"  Note: Settings logo {name!r} is not a PNG or JPEG file at {file}; printed without a logo."]
    return str(file), []


def send_invoices(path: Path, dry_run: bool = False, outbox: Path | None = None, only: str | None = None,
                  resend: bool = False, reminders: bool = False, as_of: date | None = None,
                  progress: Progress | None = None) -> JobResult:
    """E-mail each posted, unsent invoice (and, when asked, the next collection reminder) with its PDF."""
    as_of = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        stage(progress, "Working out what to send")
        current, ar = receivables(book, as_of)
        headers, current_lines = posted(current)  # the posted invoices, in number order
        due = outgoing(book, headers, ar, as_of, only, resend, reminders)
        try:
            config = None if dry_run else smtp_config(book.settings)
        except MailSetupError as exc:
            return JobResult(False, [Finding("NOT_SENT", ERROR, "Settings", str(exc))], ["Nothing was sent:"])
        stage(progress, f"Rendering {len(due):,} message(s) with their PDFs")
        logo = _logo(path, book)[0]
        messages = _messages(current, ar, due, sender(book.settings), logo)
        skipped = [f"{m.header.invoice_number}: customer {m.header.customer_id} has no billing email"
                   for m in due if not m.recipient]
        memo_rows = credit_memo_rows(current, ar)
        memos, memo_skipped = _memo_messages(current, ar, memo_rows, only, resend, sender(book.settings), logo)
        skipped += memo_skipped
        every = [(number(m.header), msg) for m, msg in messages] + [(r.credit_memo, msg) for r, msg in memos]
        if config is None:
            folder = outbox or path.with_name("Outbox")
            for m, msg in messages:
                write_eml(folder, safe_filename(number(m.header), m.level or "invoice"), msg)
            for r, msg in memos:
                write_eml(folder, safe_filename(r.credit_memo, "credit memo"), msg)
            summary = [f"Dry run: wrote {len(every)} message(s) to {folder}; nothing was sent."]
            summary += [f"  Not sent: {x}" for x in skipped]
            return JobResult(True, summary=summary, data={"outbox": str(folder), "messages": len(every),
                                                          "not_sent": skipped})
        stage(progress, f"Sending {len(every):,} message(s) through {config.host}")
        done, failed, stamp = _send(config, every)
        went = set(done)
        sent: dict[str, RegisterRow] = {}
        for m, msg in (x for k, x in enumerate(messages) if k in went):
            sent[number(m.header)] = marked_sent(sent.get(number(m.header), m.header), m, msg["Message-ID"], stamp)
        mailed = {r.adjustment_id: msg for k, (r, msg) in enumerate(memos, start=len(messages)) if k in went}
        memo_rows = [r._replace(sent_at=stamp, sent_to=mailed[r.adjustment_id]["To"],
                                message_id=mailed[r.adjustment_id]["Message-ID"]) if r.adjustment_id in mailed else r
                     for r in memo_rows]
        reminders_sent = sum(1 for h in sent.values() if h.reminder_sent_at == stamp)
        summary = [f"Sent {len(done)} of {len(every)} message(s) by e-mail"
                   + (f", {reminders_sent} of them collection reminders" if reminders else "")
                   + (f", {len(mailed)} of them credit memos" if mailed else "") + "."]
        summary += [f"  Not sent, will retry next run: {x}" for x in failed]
        summary += [f"  Not sent: {x}" for x in skipped]
        updated = [sent.get(number(h), h) for h in headers]
        drafts = [r for r in book.register if not r.invoice_number]
        posted_lines = [ln for h in headers for ln in sorted(current_lines.get(number(h), ()),
                                                                 key=lambda ln: ln.line_no)]
        tabs = [register_tab([*(settled(h, ar) for h in updated), *drafts]), *ledger_tabs(updated, posted_lines),
                credit_memos_tab(memo_rows)]
        write_run(path, book, "send", "", tabs, summary, f"sent {len(done)}, failed {len(failed)}", progress=progress)
        return JobResult(not failed, summary=summary,
                         errors=[Finding("NOT_SENT", ERROR, "InvoiceRegister", x) for x in failed],
                         data={"sent": sorted(sent), "credit_memos_sent": sorted(r.credit_memo for r, _ in memos
                                                                                 if r.adjustment_id in mailed),
                               "failed": failed, "not_sent": skipped})

    return with_book(path, progress, work, pause_gc=False, writes=not dry_run)


def _messages(book: Book, ar: Receivables, due: list[Outgoing], from_address: str,
              logo: str = "") -> list[tuple[Outgoing, EmailMessage]]:
    """Each message due with a recipient, its invoice PDF attached."""
    docs = {d.number: d._replace(logo=logo) for d in invoice_documents(book, ar) if not d.is_draft}
    to_send = [(m, m.recipient) for m in due if m.recipient]
    pdfs = rendered(invoice_pdf, [docs[number(m.header)] for m, _ in to_send])
    out = []
    for (m, recipient), pdf in zip(to_send, pdfs):
        doc = docs[number(m.header)]
        filename = f"{safe_filename(doc.number, m.customer.name if m.customer else '')}.pdf"
        msg = (reminder_message(doc, m.level, m.days_past_due, pdf, from_address, recipient, filename) if m.level
               else invoice_message(doc, pdf, from_address, recipient, filename))
        out.append((m, msg))
    return out


def _memo_messages(book: Book, ar: Receivables, rows: list[CreditMemoRow], only: str | None, resend: bool,
                   from_address: str, logo: str) -> tuple[list[tuple[CreditMemoRow, EmailMessage]], list[str]]:
    """Each credit memo not e-mailed yet (or the one asked for) with its PDF, to the customer's billing email;
    and those that have no address."""
    wanted = [r for r in rows if (r.credit_memo == only if only else (resend or not r.sent_at))]
    docs = {d.adjustment_id: d._replace(logo=logo) for d in credit_memo_documents(book, ar)}
    emails = {c.customer_id: c.billing_email for c in book.customers}
    ready = [(r, emails.get(r.customer_id)) for r in wanted if r.adjustment_id in docs]
    skipped = [f"{r.credit_memo}: customer {r.customer_id} has no billing email" for r, to in ready if not to]
    ready = [(r, to) for r, to in ready if to]
    pdfs = rendered(credit_memo_pdf, [docs[r.adjustment_id] for r, _ in ready])
    out = []
    for (r, to), pdf in zip(ready, pdfs):
        doc = docs[r.adjustment_id]
        out.append((r, credit_memo_message(doc, pdf, from_address, to or "",
                                           f"{safe_filename(doc.number, doc.bill_to.name)}.pdf")))
    return out, skipped


def _send(config: SmtpConfig, messages: list[tuple[str, EmailMessage]]) -> tuple[list[int], list[str], str]:
    """Send through one SMTP session: which messages went (their places in `messages`), what failed (by the
    document it carries), and the time stamp."""
    done: list[int] = []
    failed: list[str] = []
    stamp = datetime.now().replace(microsecond=0).isoformat(sep=" ")
    try:
        with Mailer(config) as mailer:
            for k, (key, msg) in enumerate(messages):
                try:
                    mailer.send(msg)
                except (smtplib.SMTPException, OSError) as exc:
                    failed.append(f"{key}: {exc}")
                    continue
                done.append(k)
    except (smtplib.SMTPException, OSError) as exc:
        went = set(done)
        failed += [f"{key}: could not reach {config.host}:{config.port} ({exc})"
                   for k, (key, _) in enumerate(messages) if k not in went]
    return done, failed, stamp
