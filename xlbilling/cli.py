"""The `xlbilling` command line: thin wrappers over the same functions the Excel ribbon calls.

Exit codes: 0 success, 1 input errors (printed with their cells; nothing written), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from collections.abc import Callable
from pathlib import Path

from . import __version__
from . import export_jobs, jobs
from .core.findings import Finding
from .core.vendor_files import shapes_help
from .io.convert import Bad, to_date
from .io.gl_export import LAYOUTS
from .io.progress import Progress
from .io.safe_write import BACKUP_DIR, WorkbookBusy, WriteRefused, replace_file
from .runner import JobResult
from .sample import DEMO_AS_OF, DEMO_MONTHS, build_sample

MAX_PRINTED = 200


class UsageError(Exception):
    pass


def _print_findings(findings: list[Finding], as_json: bool) -> None:
    if as_json:
        return
    for f in findings[:MAX_PRINTED]:
        print(f"  {f}")
    if len(findings) > MAX_PRINTED:
        print(f"  … and {len(findings) - MAX_PRINTED} more (use --json for the full list)")


def _emit_json(payload: dict) -> None:
    print(json.dumps(payload, indent=2, default=str))


def cmd_new(args) -> int:
    path = Path(args.path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UsageError(f"{path.name}: the workbook must end in .xlsx or .xlsm")
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists; pass --force to replace it (a backup is kept)")
    rows = _write_new_book(path, args.sample)
    what = "sample billing workbook" if args.sample else "empty master billing workbook"
    counts = ", ".join(f"{len(v):,} {k}" for k, v in rows.items() if v) if args.sample else ""
    if args.json:
        _emit_json({"result": "ok", "path": str(path), "rows": {k: len(v) for k, v in rows.items()}})
    else:
        print(f"Created {what}: {path}" + (f"\n  {counts}" if counts else ""))
    return 0


def _write_new_book(path: Path, sample: bool) -> dict[str, list[dict]]:
    """Write a new master workbook (the sample when asked) into an existing folder; the rows written per sheet."""
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such folder; create it first, or give another path for the workbook")
    from .io.template import build_workbook  # xlsxwriter: imported by the commands that make a workbook only
    rows, settings = build_sample() if sample else ({}, {})
    replace_file(path, build_workbook(path, rows, settings))
    return rows


def _document_jobs():
    """PDFs and mail: imported by the commands that make them only (fpdf alone costs the other commands
    a quarter of a second of start-up)."""
    from . import document_jobs
    return document_jobs


def _progress(args) -> Progress | None:
    args.progress = None if args.json else Progress()
    return args.progress


def _report(result: JobResult, args) -> int:
    """Print a job's outcome (or emit it as JSON); the exit code: 0 done, 1 stopped by input errors."""
    _stop_progress(args)
    if args.json:
        _emit_json({"result": "ok" if result.ok else "input_errors", **result.data,
                    "errors": [e.as_dict() for e in result.errors],
                    "warnings": [w.as_dict() for w in result.warnings]})
        return 0 if result.ok else 1
    print("\n".join(result.summary))
    _print_findings(result.errors, False)
    for warning in result.warnings:
        print(f"  Warning: {warning}")
    return 0 if result.ok else 1


def _existing(path_text: str) -> Path:
    path = Path(path_text)
    if not path.exists():
        raise UsageError(f"{path}: no such workbook")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a workbook; name the .xlsx or .xlsm file")
    return path


def _output(workbook: Path, text: str | None, default: Path) -> Path:
    """Where a command writes its file or folder: never the workbook itself nor its backups."""
    out = Path(text) if text else default
    target = out.resolve()
    if target == workbook.resolve() or BACKUP_DIR in target.parts:
        raise UsageError(f"--out {out} would overwrite the workbook or its backups; name another file or folder")
    return out


def cmd_validate(args) -> int:
    return _report(jobs.validate(_existing(args.workbook), _progress(args)), args)


def _date_arg(text: str | None, name: str) -> date | None:
    """A date given on the command line, within the same bounds as a date in a cell."""
    if text is None:
        return None
    try:
        return to_date(text)
    except Bad as exc:
        why = exc.expected if exc.expected.startswith("a real calendar date") else \
            "a date YYYY-MM-DD from 1990-01-01 to 2199-12-31"
        raise UsageError(f"{name} must be {why}, got {text!r}") from None


def cmd_close(args) -> int:
    path = _existing(args.workbook)
    invoice_date = _date_arg(args.date, "--date") or date.today()
    through = _date_arg(args.through, "--through")
    return _report(jobs.close_workbook(path, invoice_date, through, _progress(args)), args)


def cmd_refresh(args) -> int:
    path = _existing(args.workbook)
    return _report(jobs.refresh_workbook(path, _date_arg(args.as_of, "--as-of"), _progress(args)), args)


def _export_args(args, what: str):
    path = _existing(args.workbook)
    start, end = _date_arg(args.from_, "--from"), _date_arg(args.to, "--to")
    if start and end and start > end:
        raise UsageError("--from must not be after --to")
    if args.out and Path(args.out).suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"--out {args.out}: name a .csv file, or an .xlsx workbook")
    out = _output(path, args.out, path.with_name(f"{what}-{start}-{end}-{args.format}.csv"))
    return path, start, end, out


def cmd_export_gl(args) -> int:
    path, start, end, out = _export_args(args, "GL")
    if args.without_documents and args.format not in export_jobs.DOCUMENT_FORMATS:
        raise UsageError("--without-documents goes with --format qbo or bc, whose invoices and payments "
                         "export-invoices and export-payments write")
    return _report(export_jobs.export_gl(path, start, end, args.format, out, _progress(args), args.again,
                                         args.without_documents), args)


def cmd_export_invoices(args) -> int:
    path, start, end, out = _export_args(args, "Invoices")
    return _report(export_jobs.export_invoices(path, start, end, args.format, out, _progress(args), args.again), args)


def cmd_export_payments(args) -> int:
    path, start, end, out = _export_args(args, "Payments")
    return _report(export_jobs.export_payments(path, start, end, args.format, out, _progress(args), args.again), args)


def _range_arguments(s, what: str, formats: list[str], default: str | None) -> None:
    s.add_argument("--from", dest="from_", required=True, help="first date YYYY-MM-DD")
    s.add_argument("--to", required=True, help="last date YYYY-MM-DD")
    s.add_argument("--format", choices=formats, default=default, required=default is None,
                   help="import layout" + (f" (default: {default})" if default else ""))
    s.add_argument("--out", help=f"the file, .csv or .xlsx (default: {what}-<from>-<to>-<format>.csv beside the "
                   "workbook)")
    s.add_argument("--again", action="store_true", help="export even what was exported before")


def cmd_invoices(args) -> int:
    document_jobs = _document_jobs()

    path = _existing(args.workbook)
    out = _output(path, args.out, path.with_name("Invoices"))
    as_of = _date_arg(args.as_of, "--as-of")
    job = document_jobs.write_documents(path, out, args.invoice, args.statements, as_of, _progress(args))
    return _report(job, args)


def cmd_send(args) -> int:
    document_jobs = _document_jobs()

    path = _existing(args.workbook)
    outbox = _output(path, args.outbox, path.with_name("Outbox")) if args.outbox else None
    return _report(document_jobs.send_invoices(path, args.dry_run, outbox, args.invoice,
                                      args.resend, args.reminders, _date_arg(args.as_of, "--as-of"), _progress(args)),
                   args)


def cmd_report(args) -> int:
    from .report_job import write_manager_report

    path = _existing(args.workbook)
    as_of = _date_arg(args.as_of, "--as-of") or date.today()
    out = _output(path, args.out, path.with_name(f"ManagerReport-{as_of}.xlsx"))
    return _report(write_manager_report(path, out, as_of, _progress(args)), args)


def cmd_post(args) -> int:
    path = _existing(args.workbook)
    return _report(jobs.post_workbook(path, _date_arg(args.date, "--date"), _progress(args)), args)


def cmd_import_connectwise(args) -> int:
    from .connectwise.job import KINDS, import_connectwise

    path = _existing(args.workbook)
    files = {kind: Path(getattr(args, kind)) for kind in KINDS if getattr(args, kind)}
    for kind, file in files.items():
        if not file.is_file():
            raise UsageError(f"--{kind} {file}: no such file")
    if not files and not args.api:
        raise UsageError("give files (--agreements, --additions, --worktypes, --time, --companies) or --api URL")
    if args.api and not args.company:
        raise UsageError("--api needs --company, the ConnectWise company ID you sign in with")
    api = (args.api, args.company) if args.api else None
    return _report(import_connectwise(path, files, api, _date_arg(args.from_, "--from"), _date_arg(args.to, "--to"),
                                      args.dry_run, _progress(args)), args)


def cmd_import_counts(args) -> int:
    from .import_counts import import_counts, parse_aliases, parse_columns

    path = _existing(args.workbook)
    file = Path(args.file)
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    try:
        columns, aliases = parse_columns(args.columns), parse_aliases(args.alias)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return _report(import_counts(path, file, args.vendor, columns, aliases, _date_arg(args.as_of, "--as-of"),
                                 args.complete, args.dry_run, _progress(args)), args)


def cmd_demo(args) -> int:
    document_jobs = _document_jobs()
    from .report_job import write_manager_report

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    book = folder / "SampleBilling.xlsx"
    _write_new_book(book, sample=True)
    print(f"Sample book written: {book}")
    from .connectwise.job import import_connectwise
    from .connectwise.sample import write_sample_files

    cw = write_sample_files(folder / "ConnectWise")
    from .import_counts import import_counts
    from .sample import COUNTS_AS_OF, write_vendor_files

    vendor_files = write_vendor_files(folder / "Vendors", build_sample()[0])
    steps: list[tuple[str | None, Callable]] = [
        (f"Importing from ConnectWise (sample files in {folder / 'ConnectWise'}):",
         lambda p: import_connectwise(book, cw, progress=p))]
    for vendor, (file, aliases) in vendor_files.items():
        steps.append((f"Importing vendors' seat counts (sample exports in {file.parent}):" if not steps[1:] else None,
                      lambda p, v=vendor, f=file, a=aliases: import_counts(book, f, v, aliases=a, as_of=COUNTS_AS_OF,
                                                                           progress=p)))
    for invoice_date in DEMO_MONTHS:
        steps.append((f"Closing {invoice_date:%B %Y}:",
                      lambda p, d=invoice_date: jobs.close_workbook(book, d, None, p)))
        steps.append((None, lambda p, d=invoice_date: jobs.post_workbook(book, d, p)))
    steps += [
        (f"Receivables at the end of {DEMO_AS_OF:%B %Y}:", lambda p: jobs.refresh_workbook(book, DEMO_AS_OF, p)),
        ("Documents:", lambda p: document_jobs.write_documents(book, folder / "Invoices", statements=True,
                                                               as_of=DEMO_AS_OF, progress=p)),
        (None, lambda p: write_manager_report(book, folder / "ManagerReport.xlsx", DEMO_AS_OF, p)),
        (None, lambda p: document_jobs.send_invoices(book, dry_run=True, outbox=folder / "Outbox", reminders=True,
                                            as_of=DEMO_AS_OF, progress=p)),
    ]
    for title, step in steps:  # one after the other, each with its own progress line
        if title:
            print(f"\n{title}")
        if _report(step(_progress(args)), args):
            return 1
    print(f"\nDone. The sample book with three months of posted invoices: {book}")
    print(f"  invoice PDFs and statements: {folder / 'Invoices'}; manager report: {folder / 'ManagerReport.xlsx'}; "
          f"e-mails not sent, in: {folder / 'Outbox'}")
    return 0


def _command(sub, name: str, func, summary: str, description: str, target: str | None = "workbook"):
    """A subcommand with its positional target and --json; the caller adds the rest."""
    s = sub.add_parser(name, help=summary, description=description)
    if target:
        s.add_argument(target)
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=func)
    return s


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xlbilling", description="Contract billing in an Excel master workbook.")
    p.add_argument("--version", action="version", version=f"xlbilling {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = _command(sub, "new", cmd_new, "create an empty master workbook (or the sample with --sample)",
                 "Write a new master billing workbook with every input sheet as an Excel table.", target=None)
    s.add_argument("path", help="the new workbook, .xlsx or .xlsm")
    s.add_argument("--sample", action="store_true", help="fill it with the realistic sample book")
    s.add_argument("--force", action="store_true", help="replace an existing file (a backup is kept)")

    _command(sub, "validate", cmd_validate, "check a workbook and list every input error with its cell",
             "Read the whole workbook and report every input error with its Sheet!Cell.")

    s = _command(sub, "close", cmd_close, "build draft invoices for everything due on the invoice date",
                 "Build draft invoices for everything due on the invoice date and not yet billed, audit them, and "
                 "rewrite the billing, discrepancy and receivables tabs.")
    s.add_argument("--date", help="invoice date YYYY-MM-DD (default: today)")
    s.add_argument("--through", help="usage cutoff YYYY-MM-DD (default: last day of the month before --date)")

    s = _command(sub, "post", cmd_post,
                 "post every draft that is not on hold (numbers them; posted invoices never change)",
                 "Turn every draft not on hold into a posted invoice with the next gapless number, and write its "
                 "number into the billed time entries and charges.")
    s.add_argument("--date", help="posting date YYYY-MM-DD (default: today)")

    s = _command(sub, "refresh", cmd_refresh,
                 "apply payments and credits; rewrite aging, collections, journals and KPIs",
                 "Apply payments, credits and write-offs and rewrite ARAging, ARDetail, Collections, GLJournal, "
                 "RevenueSchedule, DeferredRevenue and KPIs, without billing.")
    s.add_argument("--as-of", help="the date to age receivables at, YYYY-MM-DD (default: today)")

    s = _command(sub, "export-gl", cmd_export_gl,
                 "export journal entries for a date range to an accounting import format",
                 "Write the GL journal entries dated in a range in the import layout of an accounting system: "
                 "generic, bc (Business Central general journal), gp (Dynamics GP Integration Manager GL "
                 "transactions) or qbo (QuickBooks Online journal entries). It remembers what it exported "
                 "(<workbook>.exports.csv) and stops before exporting a journal a second time.")
    _range_arguments(s, "GL", sorted(LAYOUTS), "generic")
    s.add_argument("--without-documents", action="store_true",
                   help="leave out the journals that export-invoices and export-payments carry (qbo, bc)")

    s = _command(sub, "export-invoices", cmd_export_invoices, "export posted invoices for QuickBooks Online or "
                 "Business Central", "Write the posted invoices dated in a range as the accounting system imports "
                 "them: qbo (QuickBooks Online invoice import, one row per item line) or bc (Business Central "
                 "sales journal: invoices and credit memos). Use export-gl --without-documents for the rest.")
    _range_arguments(s, "Invoices", list(export_jobs.DOCUMENT_FORMATS), None)

    s = _command(sub, "export-payments", cmd_export_payments, "export payments, applied to their invoices, for "
                 "QuickBooks Online or Business Central", "Write the payments dated in a range, each applied to "
                 "the invoices it pays: qbo (QuickBooks Online receive payments) or bc (Business Central cash "
                 "receipt journal).")
    _range_arguments(s, "Payments", list(export_jobs.DOCUMENT_FORMATS), None)

    s = _command(sub, "invoices", cmd_invoices, "write invoice PDFs (and DRAFT previews, and customer statements)",
                 "Write a PDF for every posted invoice and a DRAFT preview for every draft; with --statements, a "
                 "statement of open items and aging for every customer with a balance.")
    s.add_argument("--out", help="the folder (default: Invoices beside the workbook)")
    s.add_argument("--invoice", help="only this invoice number or draft ID")
    s.add_argument("--statements", action="store_true", help="also write customer statements")
    s.add_argument("--as-of", help="the date for payments and statements, YYYY-MM-DD (default: today)")

    s = _command(sub, "send", cmd_send, "e-mail posted invoices (and collection reminders) with their PDFs",
                 "E-mail each posted invoice not sent yet to the customer's billing email with its PDF, over SMTP "
                 "(smtp_* settings or XLBILLING_SMTP_* environment; the password only from XLBILLING_SMTP_PASSWORD "
                 "or the OS keyring). A failed send is reported and retried next run.")
    s.add_argument("--dry-run", action="store_true", help="write .eml files to an outbox folder instead of sending")
    s.add_argument("--outbox", help="the outbox folder for --dry-run (default: Outbox beside the workbook)")
    s.add_argument("--invoice", help="only this invoice number")
    s.add_argument("--resend", action="store_true", help="send again invoices already sent")
    s.add_argument("--reminders", action="store_true", help="also send the next collection reminder that is due")
    s.add_argument("--as-of", help="the date for reminders and balances, YYYY-MM-DD (default: today)")

    s = _command(sub, "report", cmd_report, "write the manager report workbook (KPIs, aging, revenue, charts)",
                 "Write a separate workbook for managers: KPIs and their 12-month trend, AR aging by customer, "
                 "revenue billed vs recognised, billings by contract type and top customers, deferred revenue, "
                 "discrepancies, unbilled work in progress and renewals due, with charts.")
    s.add_argument("--out", help="the report file (default: ManagerReport-<date>.xlsx beside the workbook)")
    s.add_argument("--as-of", help="the report date, YYYY-MM-DD (default: today)")

    imports = sub.add_parser("import", help="bring records in from another system (import connectwise, import "
                             "counts)",
                             description="Bring records in from another system.")
    kinds = imports.add_subparsers(dest="source", metavar="SOURCE")
    s = _command(kinds, "connectwise", cmd_import_connectwise,
                 "agreements, additions, work-type rates, time and companies from ConnectWise PSA",
                 "Import ConnectWise PSA (Manage) records into the workbook: from JSON files as the REST API returns "
                 "them or CSV/XLSX list-view exports, or pulled from the API. A record imported before is updated in "
                 "place (by Source Ref); rows typed in the workbook are never touched. docs/connectwise.md maps "
                 "every field.")
    for kind in ("agreements", "additions", "worktypes", "time", "companies"):
        s.add_argument(f"--{kind}", help=f"a file of {kind} (.json, .csv or .xlsx)")
    s.add_argument("--api", help="the API URL, ending in /v4_6_release/apis/3.0 (keys: XLBILLING_CW_* or the keyring)")
    s.add_argument("--company", help="the ConnectWise company ID to sign in as (with --api)")
    s.add_argument("--from", dest="from_", help="time entries from this date, YYYY-MM-DD (with --api)")
    s.add_argument("--to", help="time entries before this date, YYYY-MM-DD (with --api)")
    s.add_argument("--dry-run", action="store_true", help="show what would change and write nothing")

    s = _command(kinds, "counts", cmd_import_counts, "a vendor's licence or seat counts (CSV/XLSX) into VendorCounts",
                 "Read a vendor's licence/seat export into VendorCounts, for close to reconcile with what the "
                 f"contract lines bill. Shapes we know: {shapes_help()}. The columns used and the aliases given are "
                 "remembered per vendor in the VendorMappings sheet. docs/seats.md has the details.")
    s.add_argument("file", help="the vendor's export, .csv or .xlsx")
    s.add_argument("--vendor", help="the vendor's name (microsoft365, pax8, or any name: its columns are remembered)")
    s.add_argument("--columns", help="which column holds what, e.g. customer=Client,sku=Product,quantity=Seats,"
                   "date=Report Date,status=State")
    s.add_argument("--alias", action="append", metavar="NAME=CUSTOMER_ID",
                   help="a customer name in the file and its customer ID (repeat it; remembered)")
    s.add_argument("--as-of", help="the date the counts hold on, when the file has no date column (default: today)")
    s.add_argument("--complete", action="store_true",
                   help="the file lists everything the vendor has: earlier counts it leaves out become none")
    s.add_argument("--dry-run", action="store_true", help="show what would change and write nothing")

    s = _command(sub, "demo", cmd_demo, "create the sample book in a folder and run three months on it",
                 "Create the bundled sample book in FOLDER and run the monthly routine on it.", target=None)
    s.add_argument("folder", nargs="?", default="xlbilling-demo", help="where to put it (default: ./xlbilling-demo)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader of our output went away (`| head`): end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UsageError as exc:
        print(f"xlbilling {args.command}: {exc}", file=sys.stderr)
        return 2
    except (WorkbookBusy, WriteRefused) as exc:
        _stop_progress(args)
        print(f"xlbilling {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the disk or the folder said no (full, read-only, gone): the workbook is as it was
        _stop_progress(args)
        where = f" {exc.filename}" if exc.filename else ""
        print(f"xlbilling {args.command}: could not read or write{where}: {exc.strerror or exc}; the workbook "
              "was not changed", file=sys.stderr)
        return 1
    finally:
        _stop_progress(args)


def _stop_progress(args) -> None:
    if getattr(args, "progress", None):
        args.progress.done()


if __name__ == "__main__":
    sys.exit(main())
