"""A compound file writer ([MS-CFB] version 3: 512-byte sectors, 64-byte mini sectors).

Streams under 4,096 bytes live in the mini stream; larger ones in regular sectors. Each storage's
children form a red-black tree ordered as [MS-CFB] says (shorter names first, then by upper case):
a balanced tree whose deepest, incomplete level is red, which keeps every path's black count equal.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class Node:
    name: str
    data: bytes | None = None  # None: a storage
    children: list[Node] = field(default_factory=list)

    def add(self, node: Node) -> Node:
        self.children.append(node)
        return node


def _key(node: Node) -> tuple[int, str]:
    return (len(node.name), node.name.upper())


def _chain(start: int, count: int, table: list[int]) -> None:
    for i in range(count):
        table[start + i] = start + i + 1 if i < count - 1 else END


def write_cfb(root_children: list[Node]) -> bytes:
    root = Node("Root Entry", None, root_children)
    entries: list[Node] = []

    def number(node: Node) -> None:
        entries.append(node)
        for child in node.children:
            number(child)

    number(root)
    index = {id(n): i for i, n in enumerate(entries)}

    # Mini stream for small streams, regular sectors for the rest.
    mini, minifat, big = bytearray(), [], []
    place: dict[int, tuple[int, int]] = {}  # entry -> (start, size); start in mini sectors or sectors
    for n in entries:
        if n.data is None:
            continue
        if len(n.data) < CUTOFF:
            start = len(mini) // MINI
            count = max(1, -(-len(n.data) // MINI)) if n.data else 0
            if count:
                minifat.extend([0] * count)
                _chain(start, count, minifat)
                mini += n.data + b"\0" * (count * MINI - len(n.data))
            place[id(n)] = (start if count else END, len(n.data))
        else:
            big.append(n)
    minifat_bytes = b"".join(struct.pack("<I", x) for x in minifat)

    def sectors(size: int) -> int:
        return -(-size // SECTOR)

    dir_sectors = sectors(len(entries) * 128)
    minifat_sectors = sectors(len(minifat_bytes))
    ministream_sectors = sectors(len(mini))
    big_sectors = [sectors(len(n.data or b"")) for n in big]
    payload = dir_sectors + minifat_sectors + ministream_sectors + sum(big_sectors)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < payload + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("the VBA project is too large for this writer (no DIFAT sectors)")

    fat = [FREE] * (fat_sectors * SECTOR // 4)
    for i in range(fat_sectors):
        fat[i] = FATSECT
    at = fat_sectors
    dir_start = at
    _chain(at, dir_sectors, fat)
    at += dir_sectors
    minifat_start = at if minifat_sectors else END
    _chain(at, minifat_sectors, fat)
    at += minifat_sectors
    ministream_start = at if ministream_sectors else END
    _chain(at, ministream_sectors, fat)
    at += ministream_sectors
    for n, count in zip(big, big_sectors):
        place[id(n)] = (at, len(n.data or b""))
        _chain(at, count, fat)
        at += count

    # Directory: each storage's children as a red-black tree.
    left = [NOSTREAM] * len(entries)
    right = [NOSTREAM] * len(entries)
    child = [NOSTREAM] * len(entries)
    color = [1] * len(entries)  # black

    def tree(nodes: list[Node], depth: int, depths: dict[int, int]) -> int:
        if not nodes:
            return NOSTREAM
        mid = len(nodes) // 2
        me = index[id(nodes[mid])]
        depths[me] = depth
        left[me] = tree(nodes[:mid], depth + 1, depths)
        right[me] = tree(nodes[mid + 1:], depth + 1, depths)
        return me

    for n in entries:
        if n.data is None and n.children:
            depths: dict[int, int] = {}
            child[index[id(n)]] = tree(sorted(n.children, key=_key), 0, depths)
            deepest = max(depths.values())
            full = 2 ** deepest == sum(1 for d in depths.values() if d == deepest)
            if deepest and not full:
                for i, d in depths.items():
                    if d == deepest:
                        color[i] = 0  # red
    directory = bytearray()
    for i, n in enumerate(entries):
        name = n.name.encode("utf-16-le")
        if len(name) > 62:
            raise ValueError(f"name too long for a compound file: {n.name}")
        kind = 5 if n is root else (1 if n.data is None else 2)
        if n is root:
            start, size = ministream_start, len(mini)
        elif n.data is None:
            start, size = 0, 0
        else:
            start, size = place[id(n)]
        directory += struct.pack("<64sHBBIII16sIQQIQ", name + b"\0\0", len(name) + 2, kind, color[i], left[i],
                                 right[i], child[i], b"\0" * 16, 0, 0, 0, start, size)
    directory += b"\0" * (dir_sectors * SECTOR - len(directory))
    for k in range(len(entries), dir_sectors * 4):  # unused directory slots
        off = k * 128
        directory[off + 68:off + 80] = struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)

    difat = [FREE] * 109
    difat[:fat_sectors] = range(fat_sectors)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3, 0xFFFE,
                         9, 6, b"\0" * 6, 0, fat_sectors, dir_start, 0, CUTOFF, minifat_start, minifat_sectors, END, 0)
    header += struct.pack("<109I", *difat)

    def padded(data: bytes) -> bytes:
        return data + b"\0" * (-len(data) % SECTOR)

    body = b"".join(struct.pack("<I", x) for x in fat) + bytes(directory) + padded(minifat_bytes) + padded(bytes(mini))
    body += b"".join(padded(n.data or b"") for n in big)
    return header + body
