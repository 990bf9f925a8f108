"""Imported rows merged into the workbook: a row that carries the same source_ref is updated in place,
cell by cell; a new one is added below the sheet's last row; rows typed by staff (no source_ref) are
never touched, and an entry already on a posted invoice is never changed (a changed billed entry is
reported instead). The result: cell edits for the package writer, and what happened, per sheet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..core.models import Book
from ..core.posting import posted_headers
from ..core.tabs import Tab
from ..io.convert import edit_value
from ..io.package import CellEdit
from ..io.sheet_edits import SheetEdits
from ..schema import SHEET_BY_NAME
from .mapping import Mapped


@dataclass
class Merged:
    edits: list[CellEdit] = field(default_factory=list)
    new_sheets: list[Tab] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=dict)  # sheet -> added / updated / unchanged / skipped
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


# What an import puts into a row typed by staff, where the row has none (and nothing else).
_FILL_BLANKS = {"Customers": ("payment_terms", "tax_jurisdiction")}
# Sheets that have no source_ref column: an imported row updates the row with its key.
_NATURAL = {"RateCard": lambda r: (r.get("contract_id") or "", str(r.get("work_type") or "").strip().lower(),
                                   r.get("effective_from"))}


def _records(book: Book, sheet: str) -> list:
    rows = book.rows(sheet)
    return list(rows) if sheet != "Timesheets" else list(book.time_entries)


def merge(book: Book, mapped: Mapped) -> Merged:
    out = Merged(skipped=list(mapped.skipped))
    posted_numbers = {h.invoice_number for h in posted_headers(book)}
    for sheet, rows in mapped.rows.items():
        spec = SHEET_BY_NAME[sheet]
        counts = out.counts.setdefault(sheet, Counter())
        for s, _, _ in mapped.skipped:
            if s == sheet:
                counts["skipped"] += 1
        records = _records(book, sheet)
        by_ref = {r.source_ref: r for r in records if getattr(r, "source_ref", None)}
        if sheet in _NATURAL:  # a sheet without source_ref: a row is the one with the same key
            key_of = _NATURAL[sheet]
            by_key = {key_of(r._asdict()): r for r in records}
            by_ref.update({row["source_ref"]: by_key[key_of(row)] for row in rows if key_of(row) in by_key})
        keys = {getattr(r, spec.key): r for r in records} if spec.key else {}
        fields = {c.name for c in spec.columns}
        seen: set[str] = set()
        edits = SheetEdits(book, sheet, records)
        for row in rows:
            ref = row["source_ref"]
            if ref in seen:
                continue
            seen.add(ref)
            existing = by_ref.get(ref)
            if existing is None and row.get("_patch"):
                counts["skipped"] += 1
                out.skipped.append((sheet, ref, "its record is not in the workbook (import it first)"))
                continue
            if existing is None and spec.key and row.get(spec.key) in keys:  # typed by staff: only blanks filled
                typed = keys[row[spec.key]]
                blanks = {n: row[n] for n in _FILL_BLANKS.get(sheet, ()) if row.get(n) and not getattr(typed, n)}
                for name, value in blanks.items():
                    edits.set(typed, name, value)
                counts["updated" if blanks else "unchanged"] += 1
                continue
            if existing is None:
                edits.add(row)
                counts["added"] += 1
                continue
            changed = {name: value for name, value in row.items() if name in fields and name != "source_ref"
                       and not (name == "invoice_number" and value is None)  # written by post: kept
                       and edit_value(value) != edit_value(getattr(existing, name, None))}
            if not changed:
                counts["unchanged"] += 1
                continue
            if sheet == "Timesheets" and existing.invoice_number in posted_numbers:
                counts["skipped"] += 1
                out.skipped.append((sheet, ref, f"changed in ConnectWise but already on posted invoice "
                                    f"{existing.invoice_number}: not changed here (correct it with a credit memo)"))
                continue
            for name, value in changed.items():
                edits.set(existing, name, value)
            counts["updated"] += 1
        cell_edits, new_sheets = edits.written()
        out.edits += cell_edits
        out.new_sheets += new_sheets
    return out
