"""`xlbilling import connectwise`: read ConnectWise records (files or the API), map them, merge them
into the workbook by source_ref, and write through the safe writer, or refuse when the result would
not validate (nothing written, and why)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..core.findings import ERROR, Finding
from ..runner import JobResult, Progress, stage, with_book, would_be_valid, write_run
from . import mapping
from .api import ApiError, Client, keys, pull
from .merge import merge
from .sources import read_records

KINDS = ("companies", "agreements", "additions", "worktypes", "time")
SHEETS = ("Customers", "Contracts", "ContractLines", "RateCard", "Timesheets")


def _map(kind: str, records: list[dict], source: str, out: mapping.Mapped, time_zone: str) -> None:
    if kind == "time":
        mapping.time_entries(records, source, out, time_zone)
    else:
        getattr(mapping, kind)(records, source, out)


def _refused(message: str) -> JobResult:
    return JobResult(False, [Finding("NOT_IMPORTED", ERROR, "ConnectWise", message)], ["Nothing was imported:"])


def import_connectwise(path, files: dict[str, Path], api: tuple[str, str] | None = None,
                       start: date | None = None, end: date | None = None, dry_run: bool = False,
                       progress: Progress | None = None) -> JobResult:
    """`files`: kind -> file; `api`: (URL, the ConnectWise company ID to sign in as), for a direct pull."""
    def work(read) -> JobResult:
        book = read.book
        mapped, unknown = mapping.Mapped(), []
        for kind, file in files.items():
            stage(progress, f"Reading {file.name}")
            try:
                records, headers = read_records(kind, file)
            except (OSError, ValueError) as exc:
                return _refused(f"{file}: {exc}")
            unknown += [f"{file.name}: column '{h}' was not recognised (left out)" for h in headers]
            _map(kind, records, file.name, mapped, book.settings.time_zone)
        if api:
            stage(progress, f"Pulling from ConnectWise at {api[0]}")
            try:
                pulled = pull(Client(api[0], api[1], *keys()), start, end)
            except ApiError as exc:
                return _refused(str(exc))
            for kind in KINDS:
                _map(kind, pulled[kind], "ConnectWise API", mapped, book.settings.time_zone)
        merged = merge(book, mapped)
        summary = _summary(merged, mapped, unknown, dry_run)
        if dry_run:
            return JobResult(True, summary=summary, data=_data(merged))
        errors = would_be_valid(path, merged.new_sheets, merged.edits)
        if errors:
            return JobResult(False, errors, ["The import would leave the workbook with input errors; nothing was "
                                             "written:", *summary])
        write_run(path, book, "import connectwise", ", ".join(f"--{k} {f.name}" for k, f in files.items())
               + (f" --api {api[0]}" if api else ""), merged.new_sheets, summary,
               ", ".join(f"{s} +{c['added']}/~{c['updated']}" for s, c in merged.counts.items()), merged.edits,
               progress)
        return JobResult(True, summary=summary, data=_data(merged))

    return with_book(path, progress, work, writes=not dry_run)


def _summary(merged, mapped, unknown: list[str], dry_run: bool) -> list[str]:
    head = "Dry run, nothing written: the import would change" if dry_run else "Imported from ConnectWise:"
    lines = [head]
    for sheet in SHEETS:
        c = merged.counts.get(sheet)
        if c:
            lines.append(f"  {sheet:<14} {c['added']:>6} added  {c['updated']:>6} updated  {c['unchanged']:>6} "
                         f"unchanged  {c['skipped']:>6} skipped")
    lines += [f"  Skipped ({sheet}): {source}: {reason}" for sheet, source, reason in merged.skipped]
    lines += [f"  Note: {n}" for n in mapped.notes]
    lines += [f"  Note: {u}" for u in unknown]
    return lines


def _data(merged) -> dict:
    return {"counts": {s: dict(c) for s, c in merged.counts.items()},
            "skipped": [{"sheet": s, "source": src, "reason": r} for s, src, r in merged.skipped]}
