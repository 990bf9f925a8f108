"""The `xlbilling` command line: thin wrappers over the same functions the Excel ribbon calls.

Exit codes: 0 success, 1 input errors (printed with their cells; nothing written), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from . import __version__
from .core.close import CloseResult, close
from .core.findings import Finding
from .core.register import lines_tab, register_tab
from .core.runlog import run_log_tab
from .io.progress import Progress
from .io.reader import ReadResult, read_book
from .io.safe_write import WorkbookBusy, replace_file
from .io.template import build_workbook
from .io.workbook import locked, previous_run_log, write_output_tabs
from .sample import CLOSE_DATE, build_sample

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
    """Write a new master workbook (the sample when asked); the rows written per sheet."""
    rows, settings = build_sample() if sample else ({}, {})
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, build_workbook(path, rows, settings))
    return rows


def _validate(path: Path, args) -> ReadResult:
    progress = Progress(enabled=not args.json and not getattr(args, "quiet", False))
    progress(f"Reading {path.name}")
    result = read_book(path, progress=lambda sheet: progress(f"Reading {sheet}"))
    progress.done()
    return result


def _log_run(path: Path, command: str, arguments: str, counts: str, result: str) -> None:
    write_output_tabs(path, [run_log_tab(previous_run_log(path), datetime.now(), command, arguments, counts, result)])


def _counts(result: ReadResult) -> str:
    return ", ".join(f"{k} {v}" for k, v in result.row_counts.items() if v)


def cmd_validate(args) -> int:
    path = Path(args.workbook)
    if not path.exists():
        raise UsageError(f"{path}: no such workbook")
    with locked(path):
        result = _validate(path, args)
        if result.ok:
            _log_run(path, "validate", "", _counts(result), "valid")
    if args.json:
        _emit_json({"result": "ok" if result.ok else "input_errors", "errors": [e.as_dict() for e in result.errors],
                    "rows": result.row_counts})
        return 0 if result.ok else 1
    if not result.ok:
        print(f"{path.name}: {len(result.errors)} input error(s); fix these cells and run again (nothing was written):")
        _print_findings(result.errors, False)
        return 1
    counts = result.row_counts
    print(f"{path.name} is valid: {counts.get('Customers', 0):,} customers, {counts.get('Contracts', 0):,} contracts, "
          f"{counts.get('Timesheets', 0):,} time entries, {counts.get('Charges', 0):,} charges, "
          f"{counts.get('Payments', 0):,} payments.")
    return 0


def _date_arg(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{name} must be a date YYYY-MM-DD, got {text!r}") from None


def close_summary(result: CloseResult, customers: dict[str, str]) -> list[str]:
    lines = [f"Closed for invoice date {result.invoice_date} (usage through {result.through}): "
             f"{len(result.drafts)} draft invoice(s), {result.total:,.2f} in total."]
    held = [d for d in result.drafts if d.holds]
    if held:
        lines.append(f"  {len(held)} draft(s) on hold; see Hold Reasons in InvoiceRegister.")
    by_customer: dict[str, Decimal] = {}
    for d in result.drafts:
        by_customer[d.customer_id] = by_customer.get(d.customer_id, Decimal(0)) + d.total
    for cid, total in sorted(by_customer.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"  {customers.get(cid, cid)[:34]:<34} {total:>14,.2f}")
    if len(by_customer) > 10:
        lines.append(f"  … and {len(by_customer) - 10} more customers")
    for cid, amount in result.capped.items():
        lines.append(f"  Contract {cid} reached its not-to-exceed cap: {amount:,.2f} of time left unbilled.")
    return lines


def run_close(path: Path, invoice_date: date, through: date | None, args) -> int:
    with locked(path):
        read = _validate(path, args)
        if read.ok and not args.json:
            print(f"Read {sum(read.row_counts.values()):,} rows on {len(read.row_counts)} sheets, no input errors.")
        if not read.ok:
            print(f"{path.name}: {len(read.errors)} input error(s); fix these cells and run again (nothing was written):")
            _print_findings(read.errors, args.json)
            if args.json:
                _emit_json({"result": "input_errors", "errors": [e.as_dict() for e in read.errors]})
            return 1
        result = close(read.book, invoice_date, through)
        summary = close_summary(result, {c.customer_id: c.name for c in read.book.customers})
        write_output_tabs(path, [register_tab(result.drafts), lines_tab(result.drafts)])
        args_text = f"--date {invoice_date} --through {result.through}"
        _log_run(path, "close", args_text, f"drafts {len(result.drafts)}, total {result.total}", summary[0])
    if args.json:
        _emit_json({"result": "ok", "drafts": len(result.drafts), "total": str(result.total)})
    else:
        print("\n".join(summary))
    return 0


def cmd_close(args) -> int:
    path = Path(args.workbook)
    if not path.exists():
        raise UsageError(f"{path}: no such workbook")
    invoice_date = _date_arg(args.date, "--date") or date.today()
    return run_close(path, invoice_date, _date_arg(args.through, "--through"), args)


def cmd_demo(args) -> int:
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    book = folder / "SampleBilling.xlsx"
    _write_new_book(book, sample=True)
    print(f"Sample book written: {book}")
    print(f"Closing {CLOSE_DATE:%B %Y} (invoice date {CLOSE_DATE}):")
    return run_close(book, CLOSE_DATE, None, args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xlbilling", description="Contract billing in an Excel master workbook.")
    p.add_argument("--version", action="version", version=f"xlbilling {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("new", help="create an empty master workbook (or the sample with --sample)",
                       description="Write a new master billing workbook with every input sheet as an Excel table.")
    s.add_argument("path", help="the new workbook, .xlsx or .xlsm")
    s.add_argument("--sample", action="store_true", help="fill it with the realistic sample book")
    s.add_argument("--force", action="store_true", help="replace an existing file (a backup is kept)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_new)

    s = sub.add_parser("validate", help="check a workbook and list every input error with its cell",
                       description="Read the whole workbook and report every input error with its Sheet!Cell.")
    s.add_argument("workbook")
    s.add_argument("--json", action="store_true", help="machine-readable findings")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("close", help="build draft invoices for everything due on the invoice date",
                       description="Build draft invoices for everything due on the invoice date and not yet billed; "
                                   "rewrites InvoiceRegister and InvoiceLines.")
    s.add_argument("workbook")
    s.add_argument("--date", help="invoice date YYYY-MM-DD (default: today)")
    s.add_argument("--through", help="usage cutoff YYYY-MM-DD (default: last day of the month before --date)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_close)

    s = sub.add_parser("demo", help="create the sample book in a folder and run the month on it",
                       description="Create the bundled sample book in FOLDER and run the monthly routine on it.")
    s.add_argument("folder", nargs="?", default="xlbilling-demo", help="where to put it (default: ./xlbilling-demo)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"xlbilling {args.command}: {exc}", file=sys.stderr)
        return 2
    except WorkbookBusy as exc:
        print(f"xlbilling {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
