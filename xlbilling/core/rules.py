"""Every check declared once: its code, severity, what it finds, what staff do about it, and the
function that finds it, registered together by `@rule`. The audit runs them, the Discrepancies tab
and the guides describe them, all from this registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from .findings import ERROR, INFO, WARNING, Finding
from .models import Book

SEVERITIES = (ERROR, WARNING, INFO)


class Subject(NamedTuple):
    """What a finding is about, by IDs (never rows), so that it keeps its ID across runs."""

    key: str
    customer_id: str | None = None
    contract_id: str | None = None


class Context(Protocol):
    @property
    def book(self) -> Book: ...

    @property
    def just_posted(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class On:
    """The context of a rule run on a book alone, outside the audit."""

    book: Book
    just_posted: frozenset[str] = frozenset()  # see LedgerContext


@dataclass(frozen=True)
class Say:
    """A rule's way of stating a finding: its code, severity and action come from the rule."""

    rule: Rule
    book: Book

    def __call__(self, place: NamedTuple | str, field: str | None, message: str, subject: Subject,
                 found: str = "", expected: str = "", amount: Decimal | None = None,
                 targets: tuple[str, ...] = ()) -> Finding:
        """`place`: the record at fault (its `field` names the cell) or a `Sheet` / `Sheet!Cell` text."""
        where = place if isinstance(place, str) else self.book.cell(place, field)
        return Finding(self.rule.code, self.rule.severity, where, message, found, expected, amount, subject.key,
                       subject.customer_id, subject.contract_id, self.rule.action, targets)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    what: str  # what it finds, in the words of the spec's rule table
    action: str  # the suggested next step, in plain words
    check: Callable[[Any, Say], Iterable[Finding]]
    approvable: bool = True  # `approve` releases what it holds (else only `exclude` does)
    beyond_spec: bool = False  # a check xlbilling adds to the spec's section 4

    @property
    def __name__(self) -> str:
        return self.check.__name__

    def __call__(self, ctx: Context) -> list[Finding]:
        return list(self.check(ctx, Say(self, ctx.book)))


REGISTRY: dict[str, Rule] = {}


def rule(code: str, severity: str, *, what: str, action: str, approvable: bool = True,
         beyond_spec: bool = False) -> Callable[[Callable[[Any, Say], Iterable[Finding]]], Rule]:
    """Register the decorated function as the check of `code`."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {code}: severity {severity!r} is not one of {SEVERITIES}")

    def register(check: Callable[[Any, Say], Iterable[Finding]]) -> Rule:
        if code in REGISTRY:
            raise ValueError(f"rule {code} is declared twice ({REGISTRY[code].__name__} and {check.__name__})")
        REGISTRY[code] = Rule(code, severity, what, action, check, approvable, beyond_spec)
        return REGISTRY[code]

    return register
