"""What a column is: its kind, whether it is required, its default, allowed values and width.

A record type declares its columns on its fields (`Annotated[str, col(Kind.ID, True)]`), so that a
column is written down once; `columns_of` reads them back for the schema, the reader and the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from typing import Any, get_type_hints


class Kind(str, Enum):
    TEXT = "text"
    ID = "id"
    DATE = "date"
    MONEY = "money"
    NUMBER = "number"
    INT = "whole number"
    PCT = "percentage"
    BOOL = "bool"
    ENUM = "enum"
    TERMS = "terms"
    EMAIL = "e-mail address"


@dataclass(frozen=True)
class Col:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()
    width: float = 14.0
    signed: bool = False  # numbers below 0 are allowed (else an input error)

    @property
    def title(self) -> str:
        return title_case(self.name)


def col(kind: Kind = Kind.TEXT, required: bool = False, **more: Any) -> Col:
    """A column declared on a record's field; the field gives its name."""
    return Col("", kind, required, **more)


@cache
def columns_of(record_type: type) -> tuple[Col, ...]:
    """The columns a record type declares, in field order (fields without a column, such as `row`, are not)."""
    hints = get_type_hints(record_type, include_extras=True)
    out = []
    for name in record_type._fields:  # type: ignore[attr-defined]
        declared = [m for m in getattr(hints[name], "__metadata__", ()) if isinstance(m, Col)]
        if declared:
            out.append(replace(declared[0], name=name))
    return tuple(out)


def normalize(header: object) -> str:
    """Header and sheet-name matching: case-insensitive, ignoring spaces, underscores, hyphens and dots."""
    return re.sub(r"[\s_\-.]+", "", str(header)).lower()


_SMALL = {"id": "ID", "po": "PO", "sku": "SKU"}


def title_case(name: str) -> str:
    return " ".join(_SMALL.get(w, w.capitalize()) for w in name.split("_"))
