"""Findings meet the staff's resolutions: exclusions leave items out, open errors hold their drafts,
and the Discrepancies tab keeps every finding's resolution, note and history across runs."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from datetime import date
from decimal import Decimal

from ..core.close import CloseResult, close
from ..core.items import Billed, Item
from ..core.findings import ERROR, Finding
from ..core.invoicing import Draft
from ..core.models import Book, DiscrepancyRow
from ..core.register import spec_columns
from ..core.rules import REGISTRY, Rule
from ..core.tabs import Tab, content_digest
from ..schema import DISCREPANCIES
from . import RULES, AuditContext, run_rules

_RANK = {"error": 0, "warning": 1, "info": 2}


def _resolutions(book: Book) -> dict[str, DiscrepancyRow]:
    return {r.discrepancy_id: r for r in book.discrepancies}


def audited_close(book: Book, invoice_date: date, through: date | None, billed: Billed,
                  recurring: list[Item] | None = None, rules: tuple[Rule, ...] = RULES
                  ) -> tuple[CloseResult, list[Finding]]:
    """Close with the audit: items staff excluded are left out, drafts with an open error are held.
    (`recurring`: the recurring items due, if already worked out: see schedule.recurring_outlook;
    `rules`: the checks run, INVOICE_RULES for a caller that checks the money posted itself.)"""
    resolved = _resolutions(book)

    def resolution(f: Finding) -> str | None:
        r = resolved.get(f.discrepancy_id)
        return r.resolution if r else None

    excluded: frozenset[str] = frozenset()
    seen: dict[str, Finding] = {}
    while True:
        result = close(book, invoice_date, through, billed, excluded, recurring)
        findings = run_rules(AuditContext(book, invoice_date, result.through, billed, result), rules)
        for f in findings:
            seen.setdefault(f.discrepancy_id, f)
        wanted = excluded | {t for f in findings if resolution(f) == "exclude" for t in f.targets}
        if wanted == excluded:
            break
        excluded = frozenset(wanted)
    current = {f.discrepancy_id for f in findings}
    # an excluded item's finding may vanish once the item is out; it still stands, as excluded
    findings += [f for i, f in seen.items() if i not in current and resolution(f) == "exclude"]
    holding: dict[str, list[Finding]] = {}  # target -> the open errors that hold whatever bills it
    for f in findings:
        releases = ("approve", "exclude") if f.code not in REGISTRY or REGISTRY[f.code].approvable else ("exclude",)
        if f.severity == ERROR and resolution(f) not in releases:
            for t in f.targets:
                holding.setdefault(t, []).append(f)
    held_entries = frozenset(t[len("entry:"):] for t in holding if t.startswith("entry:"))
    return replace(result, drafts=[_hold(d, holding, held_entries) for d in result.drafts]), findings


def _hold(draft: Draft, holding: dict[str, list[Finding]], held_entries: frozenset[str]) -> Draft:
    """The draft with the open errors that hold any of its items or entries as its hold reasons."""
    if not holding:
        return draft
    mine = [ln.item.key for ln in draft.lines]
    mine += list(dict.fromkeys(f"contract:{ln.item.contract_id}" for ln in draft.lines if ln.item.contract_id))
    mine += [f"entry:{e}" for ln in draft.lines if not held_entries.isdisjoint(ln.item.entry_ids)
             for e in ln.item.entry_ids]
    reasons = tuple(dict.fromkeys(f"{f.code} ({f.discrepancy_id})" for t in mine for f in holding.get(t, ())))
    return draft._replace(holds=reasons) if reasons else draft


_row = partial(tuple.__new__, DiscrepancyRow)  # a row from its fields, in order: made in C
_WHOLE_ROW = re.compile(r"(\d+):\d+")


def _link(where: str) -> str | None:
    """The cell a hyperlink jumps to: `Sheet!F7`, or column A of a `Sheet!7:7` row."""
    if "!" not in where:
        return None
    sheet, _, ref = where.rpartition("!")
    m = _WHOLE_ROW.fullmatch(ref) if ":" in ref else None
    return f"{sheet}!A{m.group(1)}" if m else where


def discrepancies_tab(findings: list[Finding], book: Book, today: date, scope: frozenset[str] | None = None) -> Tab:
    """Open findings first (errors, then by amount), then those that no longer occur, kept as resolved.
    `scope`: the codes the findings were worked out for (None: all); rows of other codes stay as they were."""
    previous = _resolutions(book)
    rows: dict[str, DiscrepancyRow] = {}
    for f in findings:
        i = f.discrepancy_id
        if i in rows:
            continue
        p = previous.get(i)
        rows[i] = _row((  # DiscrepancyRow's fields in order (a big month has a hundred thousand findings)
            i, "open", f.severity, f.code, f.where, f.customer_id, f.contract_id, f.message, f.found or None,
            f.expected or None, f.amount, f.action or None, p.resolution if p else None, p.note if p else None,
            p.first_seen if p and p.first_seen else today, today, 0))
    for i, p in previous.items():
        if i not in rows:
            rows[i] = p._replace(status="resolved") if scope is None or p.code in scope else p

    def order(r: DiscrepancyRow) -> tuple:
        return (r.status != "open", _RANK.get(r.severity, 3), -(r.amount or Decimal(0)), r.code, r.discrepancy_id)

    ordered = sorted(rows.values(), key=order)
    cell = [c.name for c in DISCREPANCIES.columns].index("cell")
    links = {(n, cell): target for n, r in enumerate(ordered) if r.cell and (target := _link(r.cell))}
    fills = [r.severity if r.status == "open" else None for r in ordered]
    tab = Tab(DISCREPANCIES.name, spec_columns(DISCREPANCIES), list(ordered), row_fills=fills, links=links,
              tab_color="FFC00000")
    return replace(tab, seal=content_digest(tab))  # a run finding the same as the last leaves the sheet as it is


def code_counts(findings: list[Finding]) -> list[tuple[str, str, int]]:
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        counts[(f.severity, f.code)] = counts.get((f.severity, f.code), 0) + 1
    return sorted(((s, c, n) for (s, c), n in counts.items()), key=lambda x: (_RANK.get(x[0], 3), -x[2], x[1]))
