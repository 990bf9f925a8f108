"""The pre-invoice audit (spec section 4): a list of rules, each a function from the audit context
to findings. A rule that crashes becomes a finding; it never stops the run."""

from __future__ import annotations

import traceback
from collections.abc import Iterable

from ..core.findings import ERROR, Finding
from .base import AuditContext, LedgerContext
from .billing_rules import BILLING_RULES
from .money_rules import MONEY_CODES, MONEY_RULES
from .seat_rules import SEAT_RULES
from .time_rules import TIME_RULES

INVOICE_RULES = (*TIME_RULES, *BILLING_RULES, *SEAT_RULES)  # the checks of what a close would invoice
RULES = (*INVOICE_RULES, *MONEY_RULES)


def rule_table() -> list[tuple[str, str, str, str]]:
    """Code, severity, what it finds and what to do, for every rule: the table of the guides."""
    return [(r.code, r.severity, r.what + (" (beyond the spec)" if r.beyond_spec else ""), r.action) for r in RULES]


def rules_markdown() -> str:
    """The rule table as the README shows it."""
    rows = ["| code | severity | finds | what to do |", "|---|---|---|---|"]
    rows += [f"| {code} | {severity} | {what} | {action} |" for code, severity, what, action in rule_table()]
    return "\n".join(rows) + "\n"


def money_findings(book, just_posted: Iterable[str] = ()) -> list[Finding]:
    """The findings on money already invoiced (PAYMENT_UNMATCHED, PAYMENT_SHORT, POSTED_INVOICE_CHANGED);
    `just_posted`: the invoices this run posted (their fingerprints are not worked out again)."""
    return run_rules(LedgerContext(book, just_posted=frozenset(just_posted)), MONEY_RULES)


def run_rules(ctx: LedgerContext, rules=RULES) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        try:
            findings.extend(rule(ctx))
        except Exception as exc:  # a broken rule is reported, the others still run
            where = traceback.extract_tb(exc.__traceback__)[-1]
            findings.append(Finding("AUDIT_RULE_FAILED", ERROR, "Discrepancies",
                                    f"the check {rule.__name__} failed ({type(exc).__name__}: {exc} at "
                                    f"{where.name}:{where.lineno}); its findings are missing from this run",
                                    subject=rule.__name__, action="report this to the xlbilling team"))
    return findings


__all__ = ["AuditContext", "INVOICE_RULES", "LedgerContext", "MONEY_CODES", "RULES", "money_findings", "rule_table",
           "rules_markdown", "run_rules"]
