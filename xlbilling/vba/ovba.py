"""A VBA project from source text, per [MS-OVBA]: a source-only project.

- `_VBA_PROJECT` is version 0xFFFF with no performance cache, as [MS-OVBA] requires of writers;
  Office compiles the project from source when it opens it.
- Each module stream holds only its compressed source (MODULEOFFSET 0): no cache bytes precede it.
- The `dir` stream lists the project, its references (stdole, Office) and its modules.
- `PROJECT` names the modules and carries the protection fields (none: visible, no password),
  obfuscated with the [MS-OVBA] data encryption; `PROJECTwm` maps module names to Unicode.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from .cfb import Node, write_cfb

CODEPAGE = 1252
ENCODING = "cp1252"
STDOLE = ("stdole",
          "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation")
OFFICE = ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files\\Microsoft "
                    "Shared\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library")
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"


# --- compression (2.4.1) -----------------------------------------------------------------------

def _copy_token_bits(position: int) -> int:
    """Bits for the offset of a copy token at `position` in the decompressed chunk (4 to 12)."""
    return max((position - 1).bit_length(), 4)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    pos, n = 0, len(chunk)
    heads: dict[bytes, list[int]] = {}
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos > 0 and pos + 2 < n:
                bits = _copy_token_bits(pos)
                max_len = (0xFFFF >> bits) + 3
                for start in reversed(heads.get(chunk[pos:pos + 3], ())[-64:]):
                    length = 0
                    while length < max_len and pos + length < n and chunk[start + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - start
                        if length == max_len:
                            break
            if best_len >= 3:
                bits = _copy_token_bits(pos)
                out += struct.pack("<H", ((best_off - 1) << (16 - bits)) | (best_len - 3))
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, pos + step):
                heads.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer: signature 0x01, then chunks of up to 4,096 decompressed bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        packed = _compress_chunk(chunk)
        if len(packed) > 4096 and len(chunk) == 4096:  # store it raw: 4,096 bytes as they are
            out += struct.pack("<H", 0x3000 | 4095) + chunk
        else:
            out += struct.pack("<H", 0x8000 | 0x3000 | (len(packed) - 1)) + packed
    return bytes(out)


def decompress(data: bytes) -> bytes:
    if not data or data[0] != 1:
        raise ValueError("not a compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        size, compressed = (header & 0x0FFF) + 3, header & 0x8000
        body, pos = data[pos + 2:pos + size], pos + size
        chunk_start = len(out)
        if not compressed:
            out += body[:4096]
            continue
        i = 0
        while i < len(body):
            flags = body[i]
            i += 1
            for bit in range(8):
                if i >= len(body):
                    break
                if flags >> bit & 1:
                    token = struct.unpack_from("<H", body, i)[0]
                    i += 2
                    bits = _copy_token_bits(len(out) - chunk_start)
                    length = (token & (0xFFFF >> bits)) + 3
                    offset = (token >> (16 - bits)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(body[i])
                    i += 1
    return bytes(out)


# --- data encryption (2.4.3) -------------------------------------------------------------------

def encrypt(project_id: str, data: bytes, seed: int) -> str:
    """The obfuscated hex of `data` (a fixed seed keeps the file reproducible)."""
    version = 2
    key = sum(project_id.encode("ascii")) & 0xFF
    out = [seed, seed ^ version, seed ^ key]
    unenc1, enc1, enc2 = key, seed ^ key, seed ^ version
    ignored = (seed & 6) // 2
    plain = bytes([0] * ignored) + struct.pack("<I", len(data)) + data
    for byte in plain:
        enc = byte ^ ((unenc1 + enc2) & 0xFF)
        out.append(enc)
        enc2, enc1, unenc1 = enc1, enc, byte
    return bytes(out).hex().upper()


# --- the project -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Module:
    name: str
    source: str  # the module's code, with its Attribute lines
    kind: str  # "module", "class" or "document"

    @property
    def stream(self) -> bytes:
        text = self.source.replace("\r\n", "\n").replace("\n", "\r\n")
        return compress(text.encode(ENCODING))


def document_module(name: str, base: str) -> Module:
    attrs = [f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "{base}"', "Attribute VB_GlobalNameSpace = False",
             "Attribute VB_Creatable = False", "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
             "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"]
    return Module(name, "\n".join(attrs) + "\n", "document")


def from_file_text(text: str, kind: str) -> Module:
    """A module from an exported .bas or .cls file (the VERSION/BEGIN/END header of a class is not source)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if kind == "class" and lines and lines[0].startswith("VERSION"):
        end = lines.index("END")
        lines = lines[end + 1:]
    name_line = next(line for line in lines if line.startswith("Attribute VB_Name"))
    name = name_line.split("=", 1)[1].strip().strip('"')
    return Module(name, "\n".join(lines).rstrip("\n") + "\n", kind)


def _record(rid: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _text(rid: int, text: str) -> bytes:
    return _record(rid, text.encode(ENCODING))


def _unicode(rid: int, text: str) -> bytes:
    return _record(rid, text.encode("utf-16-le"))


def dir_stream(project: str, modules: list[Module]) -> bytes:
    d = bytearray()
    d += _record(0x0001, struct.pack("<I", 1))  # SYSKIND: 32-bit Windows
    d += _record(0x0002, struct.pack("<I", 0x409))  # LCID
    d += _record(0x0014, struct.pack("<I", 0x409))  # LCIDINVOKE
    d += _record(0x0003, struct.pack("<H", CODEPAGE))
    d += _text(0x0004, project)
    d += _text(0x0005, "") + _unicode(0x0040, "")  # DOCSTRING
    d += _text(0x0006, "") + _text(0x003D, "")  # HELPFILEPATH
    d += _record(0x0007, struct.pack("<I", 0))  # HELPCONTEXT
    d += _record(0x0008, struct.pack("<I", 0))  # LIBFLAGS
    d += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # VERSION: major 1, minor 0
    d += _text(0x000C, "") + _unicode(0x003C, "")  # CONSTANTS
    for name, libid in (STDOLE, OFFICE):
        d += _text(0x0016, name) + _unicode(0x003E, name)
        lib = libid.encode(ENCODING)
        d += _record(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    d += _record(0x000F, struct.pack("<H", len(modules)))
    d += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for m in modules:
        d += _text(0x0019, m.name) + _unicode(0x0047, m.name)
        d += _text(0x001A, m.name) + _unicode(0x0032, m.name)  # stream name
        d += _text(0x001C, "") + _unicode(0x0048, "")  # docstring
        d += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: the source starts at byte 0
        d += _record(0x001E, struct.pack("<I", 0))  # HELPCONTEXT
        d += _record(0x002C, struct.pack("<H", 0xFFFF))  # COOKIE
        d += struct.pack("<HI", 0x0021 if m.kind == "module" else 0x0022, 0)
        d += struct.pack("<HI", 0x002B, 0)  # module terminator
    d += struct.pack("<HI", 0x0010, 0)
    return compress(bytes(d))


def project_stream(project: str, project_id: str, modules: list[Module]) -> bytes:
    lines = [f'ID="{project_id}"']
    for m in modules:
        lines.append({"document": f"Document={m.name}/&H00000000", "class": f"Class={m.name}",
                      "module": f"Module={m.name}"}[m.kind])
    not_protected, no_password, visible = struct.pack("<I", 0), bytes([0x00]), bytes([0xFF])
    lines += [f'Name="{project}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{encrypt(project_id, not_protected, 0x11)}"',
              f'DPB="{encrypt(project_id, no_password, 0x22)}"',
              f'GC="{encrypt(project_id, visible, 0x33)}"',
              "", "[Host Extender Info]", "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000", "",
              "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def projectwm_stream(modules: list[Module]) -> bytes:
    out = bytearray()
    for m in modules:
        out += m.name.encode(ENCODING) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


def vba_project_bin(modules: list[Module], project: str = "VBAProject", seed_name: str = "xlbilling") -> bytes:
    """The vbaProject.bin of these modules; the same modules give the same bytes."""
    project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"xlbilling:{seed_name}")).upper() + "}"
    vba = Node("VBA")
    vba.add(Node("_VBA_PROJECT", struct.pack("<HHBH", 0x61CC, 0xFFFF, 0, 0)))
    vba.add(Node("dir", dir_stream(project, modules)))
    for m in modules:
        vba.add(Node(m.name, m.stream))
    return write_cfb([vba, Node("PROJECT", project_stream(project, project_id, modules)),
                      Node("PROJECTwm", projectwm_stream(modules))])
