"""Audit rules on what the close bills: caps, POs, held and expiring contracts, charges, tax,
unexplained amount changes, missing e-mail, and periods an earlier close should have billed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from collections.abc import Iterable, Iterator

import numpy as np

from ..core.due import due_items, line_window
from ..core.items import Billed, Item
from ..core.findings import ERROR, INFO, WARNING, Finding, show
from ..core.invoicing import tax_of
from ..core.money import ZERO
from ..core.models import Book, Contract, ContractLine
from ..core.periods import ONE_DAY, Period, period_of, whole_years
from ..core.recurring import money, recurring_periods
from ..core.rules import Say, Subject, rule
from .base import AuditContext


def item_targets(items: Iterable[Item]) -> tuple[str, ...]:
    """Targets that stay stable across runs: entries for time, the item key for everything else."""
    out: list[str] = []
    for i in items:
        out.extend(f"entry:{e}" for e in i.entry_ids) if i.entry_ids else out.append(i.key)
    return tuple(dict.fromkeys(out))


def _draft_items(ctx: AuditContext) -> list[Item]:
    return [ln.item for d in ctx.result.drafts for ln in d.lines]


@rule("CAP_EXCEEDED", WARNING,
      what="not-to-exceed reached; unbilled amount stated",
      action="raise the not-to-exceed amount with the customer, or write the rest off")
def cap_exceeded(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for cid, amount in sorted(ctx.result.capped.items()):
        c = ctx.contracts[cid]
        yield say(c, "not_to_exceed",
                  f"contract {cid} reached its not-to-exceed of {c.not_to_exceed:,.2f}; {amount:,.2f} of time "
                  "is not billed", Subject(f"cap:{cid}", c.customer_id, cid),
                  f"{amount:,.2f} over", f"at most {c.not_to_exceed:,.2f}", amount)


@rule("PO_MISSING", ERROR,
      what="customer requires a PO and the item has none",
      action="get a PO number from the customer and add it")
def po_missing(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    missing: dict[tuple[str, str | None], list[Item]] = defaultdict(list)
    for item in _draft_items(ctx):
        if ctx.customers[item.customer_id].po_required and not item.po_number:
            missing[(item.customer_id, item.contract_id)].append(item)
    for (cust, cid), items in sorted(missing.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        record, fld = (ctx.contracts[cid], "po_number") if cid else (ctx.customers[cust], "po_required")
        yield say(record, fld,
                  f"customer {cust} requires a PO and {len(items)} item(s)" + (f" of contract {cid}" if cid else "")
                  + " have none", Subject(f"po-missing:{cust}:{cid or ''}", cust, cid), "no PO number",
                  "a PO number", sum((i.amount for i in items), ZERO), item_targets(items))


@rule("PO_EXCEEDED", ERROR,
      what="invoicing would exceed the PO's amount",
      action="ask the customer for a new or larger PO")
def po_exceeded(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    posted: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ln in ctx.posted_lines:
        if ln.contract_id:
            posted[ln.contract_id] += ln.amount
    drafted: dict[str, list[Item]] = defaultdict(list)
    for item in _draft_items(ctx):
        if item.contract_id:
            drafted[item.contract_id].append(item)
    for cid, items in sorted(drafted.items()):
        c = ctx.contracts[cid]
        if c.po_amount is None or not c.po_number:
            continue
        total = posted[cid] + sum((i.amount for i in items), ZERO)
        if total > c.po_amount:
            yield say(c, "po_amount",
                      f"invoicing contract {cid} would bring PO {c.po_number} to {total:,.2f}, over its "
                      f"{c.po_amount:,.2f}", Subject(f"po:{cid}:{c.po_number}", c.customer_id, cid),
                      f"{total:,.2f}", f"at most {c.po_amount:,.2f}", total - c.po_amount, item_targets(items))


@rule("CONTRACT_ON_HOLD", WARNING,
      what="due items on a contract that is on hold (not billed)",
      action="take the contract off hold to bill it")
def contract_on_hold(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    held = {c.contract_id: c._replace(status="active") for c in ctx.book.contracts if c.status == "on_hold"}
    if not held:
        return
    b = ctx.book
    mini = replace(b, records={**b.records, "Contracts": tuple(held.values()),
                               "ContractLines": tuple(x for x in b.lines if x.contract_id in held),
                               "Timesheets": b.time_entries.take(np.flatnonzero(
                                   b.time_entries.contract_id.per_entry(held.__contains__, bool))),
                               "Milestones": tuple(x for x in b.milestones if x.contract_id in held),
                               "Charges": tuple(x for x in b.charges if x.contract_id in held)})
    items, _ = due_items(mini, ctx.invoice_date, ctx.through, ctx.billed)
    by: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        by[ctx.contract_for(i).contract_id].append(i)
    for cid, its in sorted(by.items()):
        amount = sum((i.amount for i in its), ZERO)
        yield say(ctx.contracts[cid], "status",
                  f"contract {cid} is on hold: {len(its)} due item(s), {amount:,.2f}, are not billed",
                  Subject(f"hold:{cid}", held[cid].customer_id, cid), "on_hold", "active to bill it", amount)


@rule("CONTRACT_EXPIRING", INFO,
      what="contract ends within expiry_warning_days of D",
      action="start the renewal conversation")
def contract_expiring(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    horizon = ctx.invoice_date + timedelta(days=ctx.book.settings.expiry_warning_days)
    for c in ctx.book.contracts:
        if c.status == "active" and c.end_date and ctx.invoice_date <= c.end_date <= horizon:
            days = (c.end_date - ctx.invoice_date).days
            yield say(c, "end_date", f"contract {c.contract_id} ends in {days} days",
                      Subject(f"expiring:{c.contract_id}:{c.end_date}", c.customer_id, c.contract_id),
                      str(c.end_date), f"renewal before {c.end_date}")


@rule("CHARGE_BELOW_COST", WARNING,
      what="unit price below unit cost",
      action="check the price; approve if the discount is intended")
def charge_below_cost(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for ch in ctx.book.charges:
        if ch.unit_cost is not None and ch.unit_price < ch.unit_cost and not ch.invoice_number:
            if f"charge:{ch.charge_id}" in ctx.billed.keys:
                continue
            yield say(ch, "unit_price",
                      f"charge {ch.charge_id} sells below its cost of {ch.unit_cost:,.2f}",
                      Subject(f"below-cost:{ch.charge_id}", ch.customer_id, ch.contract_id),
                      f"{ch.unit_price:,.2f}", f"at least {ch.unit_cost:,.2f}",
                      (ch.unit_cost - ch.unit_price) * ch.quantity, (f"charge:{ch.charge_id}",))


@rule("TAX_NO_RATE", ERROR,
      what="no tax rate for the customer's jurisdiction and a line's category",
      action="add a TaxRates row for the jurisdiction and category")
def tax_no_rate(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    missing: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for d in ctx.result.drafts:
        for ln in d.lines:
            if ln.tax_rate is None:
                missing[(d.customer_id, ln.item.tax_category)].append(ln.item)
    for (cust, category), items in sorted(missing.items()):
        c = ctx.customers[cust]
        yield say(c, "tax_jurisdiction",
                  f"no tax rate for jurisdiction {c.tax_jurisdiction or '(blank)'} and category {category}",
                  Subject(f"tax:{cust}:{c.tax_jurisdiction}:{category}", cust), show(c.tax_jurisdiction),
                  f"a TaxRates row for {category}", sum((i.amount for i in items), ZERO), item_targets(items))


@rule("TAX_EXEMPTION_EXPIRED", ERROR,
      what="exempt customer whose exemption expired before D",
      action="get a renewed exemption certificate, or clear Tax Exempt")
def exemption_expired(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    drafts_by: dict[str, list] = defaultdict(list)
    for d in ctx.result.drafts:
        drafts_by[d.customer_id].append(d)
    for cust, drafts in sorted(drafts_by.items()):
        c = ctx.customers[cust]
        if c.tax_exempt and c.exemption_expiry and c.exemption_expiry < ctx.invoice_date:
            lines = [ln for d in drafts for ln in d.lines]
            yield say(c, "exemption_expiry",
                      f"customer {cust} is marked tax exempt but the exemption expired on {c.exemption_expiry}; "
                      "its drafts are taxed", Subject(f"exemption:{cust}:{c.exemption_expiry}", cust),
                      str(c.exemption_expiry), f"an exemption valid on {ctx.invoice_date}", tax_of(lines),
                      item_targets(ln.item for ln in lines))


def _steady(c: Contract, lines: list[ContractLine], previous: Period, current: Period) -> bool:
    """Every line bills both periods in full at the same escalated price, so their amounts are equal."""
    if whole_years(c.start_date, previous.start) != whole_years(c.start_date, current.start):
        return False
    for line in lines:
        start, end = line_window(line, c)
        if start > previous.start or (end is not None and end < current.end):
            return False
    return True


@rule("AMOUNT_CHANGE", WARNING,
      what="a contract's recurring amount differs from its previous period by more than amount_change_threshold, "
             "with no Amendments row effective in between",
      action="record the change on the Amendments sheet, or correct the contract lines")
def amount_change(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    threshold = ctx.book.settings.amount_change_threshold
    amended: dict[str, list] = defaultdict(list)
    for a in ctx.book.amendments:
        amended[a.contract_id].append(a.effective_date)
    lines_by: dict[str, list] = defaultdict(list)
    for line in ctx.book.lines:
        lines_by[line.contract_id].append(line)
    drafted: dict[str, list[Item]] = defaultdict(list)  # contract -> its recurring items on the drafts
    for item in _draft_items(ctx):
        if item.source_type == "recurring":
            drafted[item.contract_id or ""].append(item)
    latest = {cid: max(items, key=lambda i: i.service_start) for cid, items in drafted.items()}
    posted: dict[str, list[tuple]] = defaultdict(list)  # contract -> its posted recurring lines' (start, amount)
    for ln in ctx.posted_lines:
        if ln.source_type == "recurring" and ln.contract_id in latest:
            posted[ln.contract_id].append((ln.service_start, ln.amount))
    compared: dict[str, tuple[Period, Period, Decimal, Decimal]] = {}  # contract -> its periods, before and now
    unposted: list[tuple[Contract, Period, Period]] = []  # nothing posted for the previous period
    for cid, item in latest.items():
        c = ctx.contracts[cid]
        current = period_of(c.start_date, c.billing_frequency, item.service_start)
        previous = period_of(c.start_date, c.billing_frequency, current.start - ONE_DAY)
        if c.start_date > previous.start or (c.end_date and c.end_date < current.end):
            continue  # a first or last period is partial by nature
        billed_before = [amount for start, amount in posted[cid] if previous.start <= start <= previous.end]
        if billed_before:  # what the previous period was billed, so that a line edited in place is caught
            now = sum((i.amount for i in drafted[cid] if current.start <= i.service_start <= current.end), ZERO)
            compared[cid] = (previous, current, sum(billed_before, ZERO), now)
        elif not _steady(c, lines_by[cid], previous, current):
            unposted.append((c, previous, current))
    for (c, previous, current), (before, now) in zip(unposted, two_periods(ctx.book, unposted, lines_by)):
        compared[c.contract_id] = (previous, current, before, now)
    for cid, (previous, current, before, now) in sorted(compared.items()):
        if not before or abs(now - before) <= threshold * before:
            continue
        if any(previous.start <= d <= current.end for d in amended[cid]):
            continue
        c = ctx.contracts[cid]
        changed = [x for x in lines_by[cid] if x.start_date and previous.start < x.start_date <= current.end]
        record = changed[0] if changed else lines_by[cid][0]
        yield say(record, "unit_price",
                  f"contract {cid} bills {now:,.2f} for the period from {current.start}, {before:,.2f} the period "
                  f"before, and no amendment explains it", Subject(
                      f"change:{cid}:{current.start}", c.customer_id, cid),
                  f"{now:,.2f}", f"about {before:,.2f}, or an Amendments row", now - before,
                  item_targets(drafted[cid]))


def two_periods(book: Book, contracts: list[tuple[Contract, Period, Period]],
                lines_by: dict[str, list[ContractLine]]) -> list[tuple[Decimal, Decimal]]:
    """What each contract's previous and current periods come to today, billed from the previous period's
    start: the recurring schedule of all of them at once, one pass per day the current periods end on."""
    by_end: dict[date, list[int]] = defaultdict(list)
    for k, (_, _, current) in enumerate(contracts):
        by_end[current.end].append(k)
    out = [(ZERO, ZERO)] * len(contracts)
    for end, ks in by_end.items():
        group = [contracts[k][0]._replace(billed_through=contracts[k][1].start - ONE_DAY) for k in ks]
        at = {c.contract_id: k for c, k in zip(group, ks)}
        periods = recurring_periods(replace(book, records={
            **book.records, "Contracts": tuple(group),
            "ContractLines": tuple(ln for c in group for ln in lines_by[c.contract_id])}), end, Billed())
        sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # contract -> cents before and now
        for line, start, cents in zip(periods.line.tolist(), periods.start.tolist(), periods.cents.tolist()):
            k = at[periods.lines[line][0].contract_id]
            sums[k][start >= contracts[k][2].start.toordinal()] += cents
        for k, (before, now) in sums.items():
            out[k] = (money(before), money(now))
    return out


@rule("CUSTOMER_NO_EMAIL", WARNING,
      what="a draft's customer has no billing email",
      action="add the customer's billing email")
def no_email(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    for cust in sorted({d.customer_id for d in ctx.result.drafts}):
        c = ctx.customers[cust]
        if not c.billing_email:
            yield say(c, "billing_email", f"customer {cust} has no billing email",
                      Subject(f"email:{cust}", cust), "blank", "an e-mail address for invoices")


@rule("MISSED_BILLING", WARNING, beyond_spec=True,
      what="a recurring period that should have been billed at an earlier close and was not",
      action="check why this period was not billed on time")
def missed_billing(ctx: AuditContext, say: Say) -> Iterator[Finding]:
    """Recurring periods that an earlier close was due to bill and did not (beyond the spec)."""
    closes = sorted({(h.invoice_date,
                      h.usage_through) for h in ctx.posted_headers if h.invoice_date < ctx.invoice_date})
    if not closes:
        return
    lines = {x.line_id: x for x in ctx.book.lines}
    for item in _draft_items(ctx):
        if item.source_type != "recurring":
            continue
        advance = ctx.contract_for(item).billing_timing == "advance"
        missed = [d for d, t in closes if (item.service_start <= d if advance else item.service_end <= t)]
        if missed:
            yield say(lines[item.source_id], "unit_price",
                      f"line {item.source_id} for {item.service_start} to {item.service_end} was due at the "
                      f"close of {missed[0]} and is billed only now",
                      Subject(f"missed:{item.key}", item.customer_id, item.contract_id),
                      f"billed on {ctx.invoice_date}", f"billed on {missed[0]}", item.amount, (item.key,))


BILLING_RULES = (cap_exceeded, po_missing, po_exceeded, contract_on_hold, contract_expiring, charge_below_cost,
                 tax_no_rate, exemption_expired, amount_change, no_email, missed_billing)
