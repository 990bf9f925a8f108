"""Cell formats for output tabs, appended to a workbook's styles.xml without disturbing what is there.

Existing fonts, fills, number formats and cell formats are reused when an equal one exists, so
writing the same tabs again changes nothing. Only appends: every existing style index stays valid.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import NamedTuple

from .xmltext import attr

BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
FILLS = {
    "header": "FF1F4E78",
    "error": "FFFFC7CE",
    "warning": "FFFFEB9C",
    "info": "FFDDEBF7",
}


_BUILTIN_DATES = {14, 15, 16, 17, 22}  # the built-in number formats that show a date (ECMA-376 18.8.30)


def _shows_date(code: str) -> bool:
    """Whether a number format code shows a date: a day or year part outside its quoted text, escaped
    characters and [bracketed] colours and conditions."""
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.split(";")[0])
    return bool(re.search(r"[dDyY]", bare))


class Style(NamedTuple):
    number_format: str = "General"
    bold: bool = False
    font_color: str | None = None
    fill: str | None = None  # a key of FILLS
    quote_prefix: bool = False
    wrap: bool = False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _canon(el: ET.Element) -> tuple:
    attrs = tuple(sorted((_local(k), v) for k, v in el.attrib.items()))
    return (_local(el.tag), attrs, tuple(_canon(c) for c in el))


class StyleBook:
    """Resolves `Style`s to cellXfs indices, collecting what must be appended to styles.xml."""

    def __init__(self, xml: bytes):
        self.xml = xml.decode("utf-8")
        root = ET.fromstring(xml)
        m = re.search(r"<(\w+:)?styleSheet\b", self.xml)
        self.prefix = (m.group(1) or "") if m else ""
        self._sections: dict[str, list[tuple]] = {}
        self._added: dict[str, list[str]] = {}
        for name in ("numFmts", "fonts", "fills", "borders", "cellXfs"):
            sec = next((c for c in root if _local(c.tag) == name), None)
            self._sections[name] = [_canon(c) for c in sec] if sec is not None else []
            self._added[name] = []
        fonts = next((c for c in root if _local(c.tag) == "fonts"), None)
        self._base_font = [c for c in fonts[0]] if fonts is not None and len(fonts) else []
        self._numfmt_ids = {}
        numfmts = next((c for c in root if _local(c.tag) == "numFmts"), None)
        for nf in numfmts if numfmts is not None else []:
            self._numfmt_ids[nf.get("formatCode")] = int(nf.get("numFmtId", "0"))
        self._cache: dict[Style, int] = {}

    def _find_or_add(self, section: str, xml_text: str) -> int:
        canon = _canon(ET.fromstring(xml_text))
        items = self._sections[section]
        for i, existing in enumerate(items):
            if existing == canon:
                return i
        items.append(canon)
        self._added[section].append(xml_text)
        return len(items) - 1

    def _numfmt(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        if code not in self._numfmt_ids:
            new_id = max([163, *self._numfmt_ids.values()]) + 1
            self._numfmt_ids[code] = new_id
            self._sections["numFmts"].append(())
            self._added["numFmts"].append(f'<numFmt numFmtId="{new_id}" formatCode="{attr(code)}"/>')
        return self._numfmt_ids[code]

    def _font(self, bold: bool, color: str | None) -> int:
        if not bold and not color:
            return 0
        parts = ["<b/>"] if bold else []
        for child in self._base_font:
            name = _local(child.tag)
            if name in ("b", "color"):
                continue
            attrs = "".join(f' {_local(k)}="{attr(v)}"' for k, v in child.attrib.items())
            if name == "sz" and color:
                parts.append(f"<sz{attrs}/>")
                parts.append(f'<color rgb="{color}"/>')
                continue
            parts.append(f"<{name}{attrs}/>")
        if color and not any(p.startswith("<color") for p in parts):
            parts.append(f'<color rgb="{color}"/>')
        return self._find_or_add("fonts", "<font>" + "".join(parts) + "</font>")

    def _fill(self, key: str | None) -> int:
        if key is None:
            return 0
        rgb = FILLS[key]
        return self._find_or_add(
            "fills",
            f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor indexed="64"/></patternFill></fill>'
        )

    def xf(self, style: Style) -> int:
        if style in self._cache:
            return self._cache[style]
        num = self._numfmt(style.number_format)
        font = self._font(style.bold, style.font_color)
        fill = self._fill(style.fill)
        text = f'<xf numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
        text += ' applyNumberFormat="1"' if num else ""
        text += ' applyFont="1"' if font else ""
        text += ' applyFill="1"' if fill else ""
        text += ' quotePrefix="1"' if style.quote_prefix else ""
        if style.wrap:
            text += ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
        else:
            text += "/>"
        index = self._find_or_add("cellXfs", text)
        self._cache[style] = index
        return index

    def showing_dates(self) -> frozenset[int]:
        """The cell formats (cellXfs indices) whose number format shows a date."""
        codes = {i: code for code, i in self._numfmt_ids.items() if code is not None}
        out = set()
        for k, (_, attrs, _) in enumerate(self._sections["cellXfs"]):
            number = int(dict(attrs).get("numFmtId", "0"))
            if _shows_date(codes[number]) if number in codes else number in _BUILTIN_DATES:
                out.add(k)
        return frozenset(out)

    def additions(self) -> int:
        """How many entries have been added so far (to tell whether a piece of work added any)."""
        return sum(map(len, self._added.values()))

    def result(self) -> bytes | None:
        """The new styles.xml, or None when nothing had to be added."""
        if not any(self._added.values()):
            return None
        xml = self.xml
        p = self.prefix
        for name in ("numFmts", "fonts", "fills", "borders", "cellXfs"):
            added = self._added[name]
            if not added:
                continue
            body = "".join(re.sub(r"<(/?)(?=\w)", rf"<\1{p}", a) for a in added)
            count = len(self._sections[name])
            open_tag = re.search(rf"<{re.escape(p)}{name}\b[^>]*?(/?)>", xml)
            if open_tag is None:  # only numFmts may be absent: it is the first child
                root = re.search(rf"<{re.escape(p)}styleSheet\b[^>]*>", xml)
                if root is None:
                    raise ValueError("the styles part has no styleSheet element")
                xml = xml[: root.end()] + f'<{p}{name} count="{count}">{body}</{p}{name}>' + xml[root.end():]
                continue
            tag = open_tag.group(0)
            new_tag = re.sub(r'\scount="\d+"', "", tag.rstrip("/>").rstrip()) + f' count="{count}">'
            if open_tag.group(1):  # self-closing: <fonts count="0"/>
                xml = xml[: open_tag.start()] + new_tag + body + f"</{p}{name}>" + xml[open_tag.end():]
            else:
                close = xml.index(f"</{p}{name}>", open_tag.end())
                xml = xml[: open_tag.start()] + new_tag + xml[open_tag.end(): close] + body + xml[close:]
        return xml.encode("utf-8")
