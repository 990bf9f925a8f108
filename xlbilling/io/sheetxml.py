"""Render an output `Tab` as a worksheet part: header style, number formats, widths, frozen header, filter.

Text is always written as an inline string, never as a formula; text that Excel would take for a
formula if retyped (starting with = + - @) also gets the quote-prefix format.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from collections.abc import Callable, Iterable
from itertools import repeat

from ..core.cells import column_letter, quote_sheet
from ..core.tabs import DATE, DATETIME, INT, MONEY, NUMBER, PCT, TEXT, Tab
from .styles import Style, StyleBook
from .xmltext import attr, cell_text

NUMBER_FORMATS = {
    TEXT: "General",
    MONEY: "#,##0.00",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
    INT: "0",
    NUMBER: "#,##0.00",
    PCT: "0.00%",
}
EPOCH_1900 = date(1899, 12, 30)  # day 0 of Excel's default date system (with its 1900 leap-day quirk)
EPOCH_1904 = date(1904, 1, 1)  # day 0 of the 1904 date system of old Mac workbooks
WRAP_FROM = 40  # characters: a text column this wide holds sentences (messages, suggested actions)
_RISKY = ("=", "+", "-", "@", "\t", "\r")
NS = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)


def _serial(value: date, epoch: date = EPOCH_1900) -> str:
    if isinstance(value, datetime):
        delta = value - datetime(epoch.year, epoch.month, epoch.day)
        return format(Decimal(delta.days) + Decimal(delta.seconds) / Decimal(86400), "f")
    return str((value - epoch).days)


def _width(tab: Tab, col: int) -> float:
    """A column's width: as declared (and at least its title's), widened to fit its content (an ID
    longer than its column was declared for); a wrapping column keeps its width."""
    column = tab.columns[col]
    if column.width and (column.width >= WRAP_FROM or column.kind != TEXT):
        return max(column.width, len(column.title) + 3.0)  # a bold title and its filter button fit
    longest = max(float(len(column.title) + 3), column.width or 0.0)
    for row in tab.rows[:300]:
        v = row[col]
        n = 11 if isinstance(v, date) else len(str(v)) + 1 if v is not None else 0
        longest = max(longest, n)
    return float(min(max(longest, 8), WRAP_FROM if column.width else 60))


_CHUNK_ROWS = 2000


class Rendered:
    """The row blocks of the tab one write rendered last: the next tab, if it has the same columns and
    the same rows in a block (the posted ledger after its InvoiceLines view), takes that block's XML as
    written instead of writing it again."""

    def __init__(self) -> None:
        self._last: tuple[tuple, list, list, dict[int, int], list[bytes]] | None = None

    def block(self, tab: Tab, lo: int, rows: list, fills: list) -> bytes | None:
        if self._last is None or self._last[0] != tab.columns or lo not in self._last[3]:
            return None
        _, old_rows, old_fills, at, chunks = self._last
        hi = lo + _CHUNK_ROWS  # the earlier tab's whole block, which may have had more rows
        return chunks[at[lo]] if old_rows[lo:hi] == rows and old_fills[lo:hi] == fills else None

    def keep(self, tab: Tab, fills: list, at: dict[int, int], chunks: list[bytes] | None) -> None:
        """The tab just rendered, with its chunks (None: not held, so nothing to take from it)."""
        self._last = (tab.columns, tab.rows, fills, at, chunks) if chunks is not None else None


def render_chunks(tab: Tab, styles: StyleBook, code_name: str | None = None, keep: str = "",
                  sink: Callable[[bytes], None] | None = None, epoch: date = EPOCH_1900,
                  rendered: Rendered | None = None, hold: bool = True) -> list[bytes]:
    """Worksheet XML for a tab, in chunks. `keep` is carried-over markup (drawing references) placed at
    the end. `sink`, if given, receives each chunk as it is produced (to deflate while rendering).
    `epoch`: day 0 of the workbook's date system (EPOCH_1904 for a 1904 book), for date serials.
    `rendered`: the tab rendered before it in the same write (with these styles and epoch), which this
    one becomes. `hold`: keep the chunks (and return them); without, they go to the sink only."""
    chunks: list[bytes] = []
    count = 0
    at: dict[int, int] = {}  # each block's first row -> its chunk (a block of rows is one chunk)

    def flush() -> None:
        emit("".join(out).encode("utf-8"))
        out.clear()

    def emit(chunk: bytes) -> None:
        nonlocal count
        count += 1
        if hold:
            chunks.append(chunk)
        if sink:
            sink(chunk)

    ncols = len(tab.columns)
    fills = tab.row_fills or [None] * len(tab.rows)
    header_xf = styles.xf(Style(bold=True, font_color="FFFFFFFF", fill="header"))
    col_xf: dict[tuple[int, str | None, bool], int] = {}

    def xf(col: int, fill: str | None, quote: bool = False) -> int:
        key = (col, fill, quote)
        if key not in col_xf:
            kind, width = tab.columns[col].kind, tab.columns[col].width or 0
            wrap = kind == TEXT and width >= WRAP_FROM  # a long message wraps in its cell, never cut off
            col_xf[key] = styles.xf(Style(NUMBER_FORMATS[kind], fill=fill, quote_prefix=quote, wrap=wrap))
        return col_xf[key]

    last_ref = f"{column_letter(max(ncols - 1, 0))}{len(tab.rows) + 1}"
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', f"<worksheet {NS}>"]
    pr = f' codeName="{attr(code_name)}"' if code_name else ""
    color = f'<tabColor rgb="{tab.tab_color}"/>' if tab.tab_color else ""
    out.append(f'<sheetPr{pr}>{color}<pageSetUpPr fitToPage="1"/></sheetPr>')  # prints one page wide
    out.append(f'<dimension ref="A1:{last_ref}"/>')
    out.append(
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    )
    out.append('<sheetFormatPr defaultRowHeight="15"/>')
    if ncols:
        out.append("<cols>")
        for i in range(ncols):
            out.append(f'<col min="{i + 1}" max="{i + 1}" width="{_width(tab, i):.1f}" customWidth="1"/>')
        out.append("</cols>")
    out.append("<sheetData>")
    letters = [column_letter(i) for i in range(ncols)]
    out.append('<row r="1">')
    for i, column in enumerate(tab.columns):
        out.append(f'<c r="{letters[i]}1" s="{header_xf}" t="inlineStr"><is><t>{cell_text(column.title)}</t></is></c>')
    out.append("</row>")
    by_fill = {fill: [f'" s="{xf(i, fill)}"' for i in range(ncols)] for fill in dict.fromkeys(fills)}
    opening = [f'<c r="{letter}' for letter in letters]
    serials: dict[date, str] = {}
    numbers: dict[Decimal, str] = {}  # repeated prices and quantities are formatted once
    texts: dict[str, str] = {}  # repeated IDs and descriptions are escaped once (never text to be quoted)

    def text_xml(value: str) -> str:
        """A text cell after its style; kept in `texts` unless it must be quoted (its style differs)."""
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        text = f' t="inlineStr"><is><t{space}>{cell_text(value)}</t></is></c>'
        if not value.startswith(_RISKY):
            texts[value] = text
        return text

    def new_text(i: int, n: str, value: str | None, fill: str | None) -> str:
        """A cell of a text column whose text is not in `texts`: new, blank, or to be quoted."""
        if not value or value.startswith(_RISKY):
            return cell(i, n, value, fill)
        return f'{opening[i]}{n}{by_fill[fill][i]}{text_xml(value)}'

    def cell(i: int, n: str, value: object, fill: str | None) -> str:
        """One cell of any kind (the general case; whole columns of one kind take the quick paths below)."""
        style = by_fill[fill][i]
        kind = type(value)
        if isinstance(value, Decimal):
            return f'{opening[i]}{n}{style}><v>{numbers.get(value) or numbers.setdefault(value, f"{value:f}")}</v></c>'
        if isinstance(value, str):
            value = str(value)  # a kind of str (an e-mail header, say): its text
            if value:
                s = f'" s="{xf(i, fill, True)}"' if value.startswith(_RISKY) else style
                return f'{opening[i]}{n}{s}{texts.get(value) or text_xml(value)}'
            return f'{opening[i]}{n}{style}/>' if fill else ""
        if value is None:
            return f'{opening[i]}{n}{style}/>' if fill else ""
        if kind is int:
            return f'{opening[i]}{n}{style}><v>{value}</v></c>'
        if isinstance(value, bool):
            return f'{opening[i]}{n}{style} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, date):
            serial = serials.get(value) or serials.setdefault(value, _serial(value, epoch))
            return f'{opening[i]}{n}{style}><v>{serial}</v></c>'
        raise TypeError(f"{tab.name}: cannot write {type(value).__name__} {value!r} (floats are not money)")

    def column_xml(i: int, refs: list[str], values: tuple, block_fills: list) -> list[str]:
        """The cells of one column for a block of rows; a column of one kind (and blanks) in one pass.
        A filled row's blank is a styled empty cell (the general case); an unfilled row's, nothing."""
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if len(kinds) > 1:
            return [cell(i, n, v, f) for n, v, f in zip(refs, values, block_fills)]
        kind = kinds.pop() if kinds else None
        head = opening[i]
        if block_fills.count(None) == len(block_fills):
            if kind is None:
                return [""] * len(values)
            styles: Iterable[str] = repeat(by_fill[None][i])
        else:
            styles = [by_fill[f][i] for f in block_fills]
        rows = zip(refs, values, styles, block_fills)
        if kind is Decimal:
            fmt = numbers.get
            return [f'{head}{n}{s}><v>{fmt(v) or numbers.setdefault(v, f"{v:f}")}</v></c>' if v is not None
                    else cell(i, n, v, f) if f else "" for n, v, s, f in rows]
        if kind is str:  # `texts` holds text seen before and safe to write as it is: the rest goes the long way
            known = texts.get
            return [f'{head}{n}{s}{t}' if (t := known(v)) else "" if v is None and f is None else new_text(i, n, v, f)
                    for n, v, s, f in rows]
        if kind is date:
            serial = serials.get
            return [f'{head}{n}{s}><v>{serial(v) or serials.setdefault(v, _serial(v, epoch))}</v></c>'
                    if v is not None else cell(i, n, v, f) if f else "" for n, v, s, f in rows]
        if kind is int:  # line numbers, counts (not bool, a type of its own here)
            return [f'{head}{n}{s}><v>{v}</v></c>' if v is not None else cell(i, n, v, f) if f else ""
                    for n, v, s, f in rows]
        return [cell(i, n, v, f) for n, v, _, f in rows]

    flush()
    for lo in range(0, len(tab.rows), _CHUNK_ROWS):
        block = tab.rows[lo:lo + _CHUNK_ROWS]
        block_fills = fills[lo:lo + len(block)]
        same = rendered.block(tab, lo, block, block_fills) if rendered else None
        if same is not None:
            at[lo] = count
            emit(same)
            continue
        if min(map(len, block)) != ncols:  # a short row: its last cells are blank
            block = [(*row, *(None,) * (ncols - len(row))) for row in block]
        refs = [str(r) for r in range(lo + 2, lo + 2 + len(block))]
        if ncols:
            cells = [column_xml(i, refs, values, block_fills) for i, values in enumerate(zip(*block))]
            out.extend(f'<row r="{n}">{"".join(row)}</row>' for n, row in zip(refs, zip(*cells)))
        else:
            out.extend(f'<row r="{n}"></row>' for n in refs)
        at[lo] = count
        flush()
    out.append("</sheetData>")
    if ncols:
        out.append(f'<autoFilter ref="A1:{last_ref}"/>')
    if tab.links:
        out.append("<hyperlinks>")
        for (r, c), target in sorted(tab.links.items()):
            sheet, _, ref = target.rpartition("!")
            location = f"{quote_sheet(sheet)}!{ref}"
            out.append(f'<hyperlink ref="{letters[c]}{r + 2}" location="{attr(location)}" display="{attr(target)}"/>')
        out.append("</hyperlinks>")
    out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    out.append('<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
    out.append(keep)
    out.append("</worksheet>")
    flush()
    if rendered is not None:
        rendered.keep(tab, fills, at, chunks if hold else None)
    return chunks
