"""The master workbook with its Billing ribbon: BillingMaster.xlsm, built from source.

The VBA project is our macros/*.bas plus xlwings' standalone modules (xlwings.bas and
Dictionary.cls, read from the installed xlwings package at build time), and a document module for
ThisWorkbook and each sheet. The ribbon is macros/customUI14.xml with its relationship.
"""

from __future__ import annotations

from pathlib import Path

import xlwings

from ..io.package import rewrite_parts
from ..io.template import build_workbook, sheet_names
from .ovba import SHEET_BASE, WORKBOOK_BASE, Module, document_module, from_file_text, vba_project_bin

MACROS = Path(__file__).resolve().parents[2] / "macros"
UI_REL = ('<Relationship Id="xlbCustomUI" '
          'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" '
          'Target="customUI/customUI14.xml"/>')
CONF = {
    "Interpreter_Win": "",
    "Interpreter_Mac": "",
    "PYTHONPATH": "",
    "UDF Modules": "udfs.billing",
    "Use UDF Server": "False",
    "Show Console": "False",
}


def xlwings_modules() -> list[Module]:
    """xlwings' standalone VBA, as the installed package ships it."""
    root = Path(xlwings.__file__).parent
    return [from_file_text((root / "xlwings.bas").read_text(encoding="cp1252"), "module"),
            from_file_text((root / "addin" / "Dictionary.cls").read_text(encoding="cp1252"), "class")]


def our_modules(folder: Path = MACROS) -> list[Module]:
    return [from_file_text(p.read_text(encoding="cp1252"), "module") for p in sorted(folder.glob("*.bas"))]


def project_modules() -> list[Module]:
    sheets = sheet_names(with_conf=True)
    documents = [document_module("ThisWorkbook", WORKBOOK_BASE)]
    documents += [document_module(f"Sheet{n}", SHEET_BASE) for n in range(1, len(sheets) + 1)]
    return documents + our_modules() + xlwings_modules()


def build_master(path: Path) -> bytes:
    data = build_workbook(path, vba=vba_project_bin(project_modules()), conf=CONF)
    ribbon = (MACROS / "customUI14.xml").read_bytes()
    add_rel = {"_rels/.rels": lambda body: body.replace(b"</Relationships>", UI_REL.encode() + b"</Relationships>")}
    return rewrite_parts(data, add_rel, {"customUI/customUI14.xml": ribbon})
