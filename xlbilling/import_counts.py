"""`xlbilling import counts`: a vendor's licence/seat export (CSV or XLSX) into VendorCounts.

The file's columns come from `--columns`, else what the workbook remembers for the vendor
(VendorMappings), else the shape we ship for it (core/vendor_files.py); the columns used and the
aliases given are remembered for the next run. A count already in the workbook (same customer, SKU
and date) is updated in place, so importing a file twice changes nothing. A file with a row that
cannot be read imports nothing and names every bad row; customer names that match no customer are
reported and left out, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from .core.findings import ERROR, Finding
from .core.models import Book, VendorCount
from .core.seats import latest_counts, reconcile, sku_key, totals
from .core.vendor_files import FIELDS, FileCount, Parsed, file_columns, fold, parse, remembered, shape_for
from .io.sheet_edits import SheetEdits
from .io.tables import read_table
from .runner import JobResult, Progress, Read, stage, with_book, would_be_valid, write_run


def _refused(where: str, messages: Sequence[str]) -> JobResult:
    return JobResult(False, [Finding("NOT_IMPORTED", ERROR, where, m) for m in messages],
                     ["Nothing was imported:"])


def _merge_counts(book: Book, sheet: SheetEdits, counts: list[FileCount], vendor: str, source: str) -> dict[str, int]:
    kept = {(c.customer_id, sku_key(c.vendor_sku), c.as_of): c for c in book.vendor_counts}
    done = {"added": 0, "updated": 0, "unchanged": 0}
    for fc in counts:
        old = kept.get((fc.customer_id, sku_key(fc.vendor_sku), fc.as_of))
        if old is None:
            sheet.add({"customer_id": fc.customer_id, "vendor_sku": fc.vendor_sku, "quantity": fc.quantity,
                       "as_of": fc.as_of, "vendor": vendor or None, "source": source})
            done["added"] += 1
        elif old.quantity != fc.quantity:
            sheet.set(old, "quantity", fc.quantity)
            sheet.set(old, "source", source)
            done["updated"] += 1
        else:
            done["unchanged"] += 1
    return done


def _gone(book: Book, counts: list[FileCount], vendor: str, as_of: date) -> list[VendorCount]:
    """Counts of this vendor that still hold seats before the file's date and that the file no longer lists."""
    listed = {(c.customer_id, sku_key(c.vendor_sku)) for c in counts}
    theirs = tuple(c for c in book.vendor_counts if fold(c.vendor or "") == fold(vendor))
    latest = latest_counts(theirs, as_of - timedelta(days=1))
    return [c for key, c in sorted(latest.items()) if key not in listed and c.quantity]


def _remember(book: Book, sheet: SheetEdits, vendor: str, used: dict[str, str], aliases: dict[str, str]) -> list[str]:
    """Write the columns used and the aliases given for the vendor into VendorMappings; what changed."""
    said = []
    mine = [m for m in book.vendor_mappings if fold(m.vendor or "") == fold(vendor)]
    columns = {m.name.strip().lower(): m for m in mine if m.kind == "column"}
    for f, header in used.items():
        old = columns.get(f)
        if old is None:
            sheet.add({"vendor": vendor, "kind": "column", "name": f, "value": header})
        elif old.value.strip() != header:
            sheet.set(old, "value", header)
        else:
            continue
        said.append(f"{f}={header}")
    known = {fold(m.name): m for m in book.vendor_mappings if m.kind == "alias" and (not m.vendor or m in mine)}
    for name, customer_id in aliases.items():
        old = known.get(fold(name))
        if old is None:
            sheet.add({"vendor": vendor or None, "kind": "alias", "name": name, "value": customer_id})
        elif old.value.strip() != customer_id:
            sheet.set(old, "value", customer_id)
        else:
            continue
        said.append(f'"{name}" is {customer_id}')
    return said


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:6])) + (f" and {len(numbers) - 6} more" if len(numbers) > 6 else "")
    return f"row{'s' if len(numbers) > 1 else ''} {shown}"


def import_counts(path, file: Path, vendor: str | None = None, columns: dict[str, str] | None = None,
                  aliases: dict[str, str] | None = None, as_of: date | None = None, complete: bool = False,
                  dry_run: bool = False, progress: Progress | None = None) -> JobResult:
    """Read `file` into VendorCounts. `columns`: field -> the file's header (customer, sku, quantity, date,
    status); `aliases`: a name in the file -> customer ID; `as_of`: the date of counts when the file has no
    date column (default today); `complete`: the file lists everything the vendor has, so a count it no
    longer lists is a count of none."""
    given_columns, given_aliases = dict(columns or {}), dict(aliases or {})
    day = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        stage(progress, f"Reading {file.name}")
        try:
            rows = read_table(file)
        except (OSError, ValueError) as exc:
            return _refused(file.name, [str(exc)])
        if not rows:
            return _refused(file.name, ["the file is empty (a header row and a row per count are expected)"])
        headers = [h.strip() for h in rows[0]]
        shape = shape_for(vendor, headers)
        name = shape.vendor if vendor and shape.key != "generic" else (vendor or shape.vendor)
        kept, known_aliases = remembered(book.vendor_mappings, name)
        ids = {c.customer_id for c in book.customers}
        wrong = [f'--alias "{n}={cid}": there is no customer {cid} in Customers'
                 for n, cid in given_aliases.items() if cid not in ids]
        found, problems = file_columns(headers, shape, kept, given_columns)
        if wrong or problems:
            return _refused(file.name, wrong + problems)
        known_aliases.update({fold(n): cid for n, cid in given_aliases.items()})
        parsed = parse(rows, found, file.name, day, book.customers, known_aliases)
        if parsed.bad:
            return JobResult(False, parsed.bad, [f"{file.name}: {len({f.where for f in parsed.bad})} row(s) cannot "
                                                 "be read; fix them and import again (nothing was imported):"])
        counts_sheet, mappings_sheet = SheetEdits(book, "VendorCounts"), SheetEdits(book, "VendorMappings")
        done = _merge_counts(book, counts_sheet, parsed.counts, name, file.name)
        dates = sorted({c.as_of for c in parsed.counts})
        gone = _gone(book, parsed.counts, name, dates[-1]) if name and dates else []
        if complete:
            zeros = [FileCount(c.customer_id, c.vendor_sku, Decimal(0), dates[-1] if dates else day, ())
                     for c in gone]
            for k, v in _merge_counts(book, counts_sheet, zeros, name, f"{file.name} (not listed: none)").items():
                done[k] += v
        used = {f: headers[k] for f, k in found.items()}
        remembered_now = _remember(book, mappings_sheet, name, used if name else {}, given_aliases)
        summary = _summary(file, name, shape, dates or [day], done, parsed, gone, complete, remembered_now, dry_run)
        new_counts = _counts_after(book, counts_sheet)
        seats = reconcile(replace(book, records={**book.records, "VendorCounts": new_counts}),
                          max(dates or [day]))
        summary.append("  " + totals(seats).summary().replace("Seat reconciliation:",
                                                              f"Seats on {max(dates or [day])}:")
                       + " Close shows each on the Reconciliation tab.")
        data = {"vendor": name, "counts": done, "unknown": parsed.unknown, "not_active": dict(parsed.inactive)}
        if dry_run:
            return JobResult(True, summary=summary, data=data)
        edits, tabs = [], []
        for sheet in (counts_sheet, mappings_sheet):
            e, t = sheet.written()
            edits += e
            tabs += t
        if not edits and not tabs:
            return JobResult(True, summary=summary, data=data)
        errors = would_be_valid(path, tabs, edits)
        if errors:
            return JobResult(False, errors, ["The import would leave the workbook with input errors; nothing was "
                                             "written:", *summary])
        write_run(path, book, "import counts", f"{file.name}" + (f" --vendor {name}" if name else ""), tabs, summary,
                  f"VendorCounts +{done['added']}/~{done['updated']}", edits, progress)
        return JobResult(True, summary=summary, data=data)

    return with_book(path, progress, work, writes=not dry_run)


def _counts_after(book: Book, sheet: SheetEdits) -> tuple[VendorCount, ...]:
    """VendorCounts as they will be once the import is written (for the seat summary)."""
    changed = sheet.cells.get("quantity", {})
    rows = [c._replace(quantity=Decimal(str(changed[c.row]))) if c.row in changed else c for c in book.vendor_counts]
    start = sheet.next_row
    rows += [VendorCount(r["customer_id"], r["vendor_sku"], r["quantity"], r["as_of"], r["vendor"], r["source"],
                         start + k) for k, r in enumerate(sheet.added)]
    return tuple(rows)


def _summary(file: Path, vendor: str, shape, dates: list[date], done: dict[str, int], parsed: Parsed,
             gone: list[VendorCount], complete: bool, remembered_now: list[str], dry_run: bool) -> list[str]:
    when = str(dates[0]) if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    head = "Dry run, nothing written: the import would change" if dry_run else "Imported"
    lines = [f"{head} {vendor or 'vendor'} seat counts from {file.name} (as of {when}; columns as for "
             f"{shape.vendor or 'a generic file'}):",
             f"  VendorCounts   {done['added']:>6} added  {done['updated']:>6} updated  "
             f"{done['unchanged']:>6} unchanged"]
    if parsed.inactive:
        what = ", ".join(f"{s or 'blank'} {n}" for s, n in sorted(parsed.inactive.items()))
        lines.append(f"  {sum(parsed.inactive.values())} row(s) not active ({what}): counted as no seats")
    if parsed.unknown:
        lines.append(f"  Left out: {len(parsed.unknown)} customer name(s) match no customer in Customers:")
        for n, rows in sorted(parsed.unknown.items()):
            several = parsed.ambiguous.get(n)
            why = f" (the name of {len(several)} customers: {', '.join(several)})" if several else ""
            lines.append(f'    "{n}" ({_rows(rows)}){why}')
        lines.append('  Map each with --alias "NAME=CUSTOMER_ID" (remembered in VendorMappings) and import again.')
    if gone:
        listed = ", ".join(f"{c.customer_id} {c.vendor_sku}" for c in gone[:6]) + (" …" if len(gone) > 6 else "")
        if complete:
            lines.append(f"  {len(gone)} count(s) the file no longer lists set to none (--complete): {listed}")
        else:
            lines.append(f"  {len(gone)} earlier count(s) of {vendor} are not in this file and still hold: {listed} "
                         "(if the file lists everything the vendor has, import it with --complete to count them as "
                         "none)")
    if remembered_now:
        lines.append(f"  Remembered for {vendor} in VendorMappings: {'; '.join(remembered_now)}")
    return lines


def parse_columns(text: str | None) -> dict[str, str]:
    """`customer=Client,quantity=Seats` as field -> header; raises ValueError naming what is wrong."""
    pairs: dict[str, str] = {}
    for part in (text or "").split(","):
        if part.strip():
            field, value = _pair(part, "--columns")
            if field.lower() not in FIELDS:
                raise ValueError(f"--columns {part.strip()!r}: the fields are {', '.join(FIELDS)}")
            pairs[field.lower()] = value
    return pairs


def parse_aliases(given: list[str] | None) -> dict[str, str]:
    """Each `--alias "NAME=CUSTOMER_ID"` (the name may hold commas and = signs; the ID follows the last =)."""
    return dict(_pair(a, "--alias", last=True) for a in given or ())


def _pair(text: str, what: str, last: bool = False) -> tuple[str, str]:
    key, sep, value = text.rpartition("=") if last else text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ValueError(f"{what} {text.strip()!r}: expected NAME=VALUE")
    return key.strip(), value.strip()

