"""Render an output `Tab` as a worksheet part: header style, number formats, widths, frozen header, filter.

Text is always written as an inline string, never as a formula; text that Excel would take for a
formula if retyped (starting with = + - @) also gets the quote-prefix format.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from collections.abc import Callable
from itertools import chain, islice, repeat

from ..core.cells import column_letter, quote_sheet
from ..core.tabs import DATE, DATETIME, INT, MONEY, NUMBER, PCT, TEXT, Tab
from .styles import Style, StyleBook
from .xmltext import attr, cell_text, plain

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
LINE_HEIGHT = 15  # points: a line of the default font (the sheets' defaultRowHeight)
_RISKY = ("=", "+", "-", "@", "\t", "\r")
_EDGES = (*_RISKY, " ")  # text starting so is quoted, or keeps its spaces: a cell of its own making
NS = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)


def serial(value: date, epoch: date = EPOCH_1900) -> str:
    """A date (or date and time) as the number a cell holds for it, counted from the book's day 0."""
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


def _wraps(tab: Tab, col: int) -> bool:
    """Whether a column's text wraps in its cells (a long message, never cut off)."""
    column = tab.columns[col]
    return column.kind == TEXT and (column.width or 0) >= WRAP_FROM


def _lines(text: str, width: float) -> int:
    """How many lines a wrapping cell's text takes, about: each character counted as wide as a digit
    (the unit of a column's width; most of a sentence's are narrower, so a row is rather too tall than cut)."""
    return sum(max(1, -(-len(line) // int(width))) for line in text.split("\n"))


def _row_opens(numbers: range, columns: list[tuple], wrapping: list[tuple[int, float]]) -> list[str]:
    """Each row's opening tag (`columns`: the block's values, column by column): a row whose wrapping text
    takes more than a line is as tall as its lines (LibreOffice does not fit a row to its text when it
    opens a book)."""
    opens = [f'<row r="{n}">' for n in numbers]
    tall: dict[int, int] = {}  # row in the block -> its lines
    for i, width in wrapping:
        lines_of: dict[str, int] = {}  # a text's lines, worked out once (suggested actions repeat)
        for k, v in enumerate(columns[i]):
            if v.__class__ is str and (len(v) > width or "\n" in v):
                lines = lines_of.get(v) or lines_of.setdefault(v, _lines(v, width))
                if lines > tall.get(k, 1):
                    tall[k] = lines
    for k, lines in tall.items():
        opens[k] = f'<row r="{numbers[k]}" ht="{min(lines * LINE_HEIGHT, 409)}">'  # at most Excel's tallest row
    return opens


_CHUNK_ROWS = 2000
_FAST = (str, Decimal, date, int)  # kinds whose cells a column makes once per distinct value


_HEADER = Style(bold=True, font_color="FFFFFFFF", fill="header")


def every_style() -> list[Style]:
    """Every style a tab's header and cells take (row fills of the findings' severities), in a fixed
    order: a write asks for them all first, so that each has its number in the book whichever tabs
    it writes, in whichever order, and in whichever process (forked.py)."""
    formats = dict.fromkeys(NUMBER_FORMATS.values())
    return [_HEADER, *(Style(f, fill=fill, quote_prefix=quote, wrap=wrap)
                       for fill in (None, "error", "warning", "info") for quote in (False, True)
                       for f, wrap in [*((f, False) for f in formats), (NUMBER_FORMATS[TEXT], True)])]


class Rendered:
    """The row blocks of the tab one write rendered last: the next tab, if it has the same columns and
    the same rows in a block (the posted ledger after its InvoiceLines view), takes that block's XML as
    written instead of writing it again."""

    def __init__(self) -> None:
        self._last: tuple[tuple, list, list, dict[int, int], list[bytes]] | None = None

    def block(self, key: tuple, lo: int, rows: list, fills: list) -> bytes | None:
        """`key`: the tab's columns, and whether its cells carry references."""
        if self._last is None or self._last[0] != key or lo not in self._last[3]:
            return None
        _, old_rows, old_fills, at, chunks = self._last
        hi = lo + _CHUNK_ROWS  # the earlier tab's whole block, which may have had more rows
        return chunks[at[lo]] if old_rows[lo:hi] == rows and old_fills[lo:hi] == fills else None

    def keep(self, key: tuple, rows: list, fills: list, at: dict[int, int], chunks: list[bytes] | None) -> None:
        """The tab just rendered, with its chunks (None: not held, so nothing to take from it)."""
        self._last = (key, rows, fills, at, chunks) if chunks is not None else None


def render_chunks(tab: Tab, styles: StyleBook, code_name: str | None = None, keep: str = "",
                  sink: Callable[[bytes], None] | None = None, epoch: date = EPOCH_1900,
                  rendered: Rendered | None = None, hold: bool = True, cell_refs: bool = False) -> list[bytes]:
    """Worksheet XML for a tab, in chunks. `keep` is carried-over markup (drawing references) placed at
    the end. `sink`, if given, receives each chunk as it is produced (to deflate while rendering).
    `epoch`: day 0 of the workbook's date system (EPOCH_1904 for a 1904 book), for date serials.
    `rendered`: the tab rendered before it in the same write (with these styles and epoch), which this
    one becomes. `hold`: keep the chunks (and return them); without, they go to the sink only.
    `cell_refs`: each cell carries its reference (r="B7"), as an input sheet's must for its cells to be
    edited in place; an output tab's cells go without, each in the column after the cell before it
    (ECMA-376 makes the reference optional; a blank is an empty <c/>), so that a value's cell is made once
    and every row is joined from cells already made."""
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
    header_xf = styles.xf(_HEADER)
    col_xf: dict[tuple[int, str | None, bool], int] = {}

    def xf(col: int, fill: str | None, quote: bool = False) -> int:
        key = (col, fill, quote)
        if key not in col_xf:
            col_xf[key] = styles.xf(Style(NUMBER_FORMATS[tab.columns[col].kind], fill=fill, quote_prefix=quote,
                                          wrap=_wraps(tab, col)))
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
    out.append(f'<sheetFormatPr defaultRowHeight="{LINE_HEIGHT}"/>')
    if ncols:
        out.append("<cols>")
        for i in range(ncols):
            out.append(f'<col min="{i + 1}" max="{i + 1}" width="{_width(tab, i):.1f}" customWidth="1"/>')
        out.append("</cols>")
    out.append("<sheetData>")
    letters = [column_letter(i) for i in range(ncols)]
    wrapping = [(i, _width(tab, i)) for i in range(ncols) if _wraps(tab, i)]
    out.append('<row r="1">')
    for i, column in enumerate(tab.columns):
        out.append(f'<c r="{letters[i]}1" s="{header_xf}" t="inlineStr"><is><t>{cell_text(column.title)}</t></is></c>')
    out.append("</row>")
    style_of = {fill: [f' s="{xf(i, fill)}"' for i in range(ncols)] for fill in dict.fromkeys(fills)}
    serials: dict[date, str] = {}
    made: dict[tuple[type, str], dict] = {}  # a column style's cells by value (one kind): each made once
    full = (lambda body: body) if cell_refs else (lambda body: "<c/>" if body is None else "<c" + body)

    def body(i: int, value: object, fill: str | None) -> str | None:
        """A cell after its `<c` and reference: style and value; None for no cell (a blank of an unfilled
        row; a filled row's blank is a styled empty cell, so the whole row shows its fill)."""
        style = style_of[fill][i]
        if isinstance(value, Decimal):
            return f'{style}><v>{value:f}</v></c>'
        if isinstance(value, str):
            value = str(value)  # a kind of str (an e-mail header, say): its text
            if value:
                space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                s = f' s="{xf(i, fill, True)}"' if value.startswith(_RISKY) else style
                return f'{s} t="inlineStr"><is><t{space}>{cell_text(value)}</t></is></c>'
            return f'{style}/>' if fill else None
        if value is None:
            return f'{style}/>' if fill else None
        if type(value) is int:
            return f'{style}><v>{value}</v></c>'
        if isinstance(value, bool):
            return f'{style} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, date):
            number = serials.get(value) or serials.setdefault(value, serial(value, epoch))
            return f'{style}><v>{number}</v></c>'
        raise TypeError(f"{tab.name}: cannot write {type(value).__name__} {value!r} (floats are not money)")

    def column_cells(i: int, values: tuple, block_fills: list) -> list[str | None]:
        """A column's cells for a block of rows (as `full` makes them). A column of one kind (and blanks),
        in rows of one fill, takes each distinct value's cell from its style's cache: no cell is made twice."""
        kinds = set(map(type, values))
        kinds.discard(type(None))
        fill = block_fills[0]
        if len(kinds) > 1 or block_fills.count(fill) != len(block_fills) or kinds and next(iter(kinds)) not in _FAST:
            return [full(body(i, v, f)) for v, f in zip(values, block_fills)]  # the general case
        kind = next(iter(kinds), type(None))
        cache = made.setdefault((kind, style_of[fill][i]), {})
        new = set(values).difference(cache)
        if kind is str and not cell_refs and plain("".join(filter(None, new))):  # nothing to escape: all at once
            head = f'<c{style_of[fill][i]} t="inlineStr"><is><t>'
            mostly_new = 2 * len(new) > len(values)  # values not seen before (an ID, a cell): each made, none kept
            texts = values if mostly_new else list(new)
            cells = [f"{head}{v}</t></is></c>" if v and not v.startswith(_EDGES) and not v.endswith(" ")
                     else full(body(i, v, fill)) for v in texts]
            if mostly_new:
                return cells
            cache.update(zip(texts, cells))
            new = set()
        for v in new:
            cache[v] = full(body(i, v, fill))
        return list(map(cache.__getitem__, values))

    flush()
    for lo in range(0, len(tab.rows), _CHUNK_ROWS):
        block = tab.rows[lo:lo + _CHUNK_ROWS]
        block_fills = fills[lo:lo + len(block)]
        same = rendered.block((tab.columns, cell_refs), lo, block, block_fills) if rendered else None
        if same is not None:
            at[lo] = count
            emit(same)
            continue
        if min(map(len, block)) < ncols:  # a short row: its last cells are blank
            block = [(*row, *(None,) * (ncols - len(row))) for row in block]
        numbers = range(lo + 2, lo + 2 + len(block))
        columns = list(islice(zip(*block), ncols))  # what a row has past the last column is not written
        cells = [column_cells(i, values, block_fills) for i, values in enumerate(columns)]
        if cell_refs:  # each cell says where it is (an input sheet, whose cells are edited in place later)
            cells = [[f'<c r="{letters[i]}{n}"{b}' if b is not None else "" for n, b in zip(numbers, col)]
                     for i, col in enumerate(cells)]
        out.extend(chain.from_iterable(zip(_row_opens(numbers, columns, wrapping), *cells, repeat("</row>"))))
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
        rendered.keep((tab.columns, cell_refs), tab.rows, fills, at, chunks if hold else None)
    return chunks
