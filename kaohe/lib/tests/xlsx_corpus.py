"""Hostile and hand-made .xlsx packages, generated on the fly for test_xlsx (no binary fixtures in git).

Everything here is built fast: the 1 GiB zip bomb repeats one compressed block instead of compressing
1 GiB, and the 1,000,000-row sheet is streamed into the zip in batches.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XLSX_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
GIB = 1024**3

SheetContent = str | bytes | Iterable[bytes]


def sheet_xml(rows: str, *, dimension: str | None = None, after: str = "") -> str:
    """A worksheet whose <sheetData> holds `rows` (already XML); `after` goes after sheetData (extLst...)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{dim}<sheetData>{rows}</sheetData>{after}</worksheet>'


def standard_parts(sheet_names: Iterable[str], *, main_type: str = XLSX_MAIN_TYPE) -> dict[str, bytes]:
    """Everything but the sheets themselves: the smallest package calamine and Excel accept."""
    names = list(sheet_names)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1)
    )
    sheets = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1)
    )
    pkg_rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main_type}"/>{overrides}</Types>'
        ).encode(),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg_rels}"><Relationship Id="rId1" '
            f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{sheets}</sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg_rels}">{rels}</Relationships>'.encode(),
    }


def package(
    sheets: Mapping[str, SheetContent],
    *,
    extra: Mapping[str, bytes] | None = None,
    main_type: str = XLSX_MAIN_TYPE,
    compresslevel: int = 6,
) -> bytes:
    """A zipped workbook; sheet contents may be an iterable of byte chunks, streamed into the zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for name, data in standard_parts(sheets, main_type=main_type).items():
            zf.writestr(name, data)
        for i, content in enumerate(sheets.values(), 1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w") as fp:
                if isinstance(content, str):
                    content = content.encode()
                for chunk in [content] if isinstance(content, bytes) else content:
                    fp.write(chunk)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def raw_zip(entries: Iterable[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from (name, raw deflate payload, crc32, declared size) written by hand, so the declared size
    and CRC can be anything and a 1 GiB entry never has to exist uncompressed."""
    out, central, count = bytearray(), bytearray(), 0
    for name, payload, crc, size in entries:
        encoded, offset, count = name.encode(), len(out), count + 1
        header = (crc, len(payload), size, len(encoded))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *header, 0) + encoded + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, *header, 0, 0, 0, 0, 0, offset)
        central += encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + end)


def deflate(data: bytes) -> tuple[bytes, int, int]:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(), zlib.crc32(data), len(data)


def deflate_repeated(block: bytes, times: int) -> tuple[bytes, int, int]:
    """Raw deflate of block * times, compressing the block only once: after a full flush the compressor
    starts afresh, so every repetition compresses to the same bytes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    return piece * times + comp.flush(), crc, len(block) * times


def zip_bomb(*, declared_size: int | None = None) -> bytes:
    """A valid workbook whose sheet inflates to 1 GiB of blanks from about 1 MB.

    With declared_size, the directory lies about the inflated size (the classic way past size checks)."""
    payload, crc, size = deflate_repeated(b" " * (1 << 20), GIB >> 20)
    entries = [(name, *deflate(data)) for name, data in standard_parts(["Sheet1"]).items()]
    entries.append(("xl/worksheets/sheet1.xml", payload, crc, declared_size or size))
    return raw_zip(entries)


def billion_laughs(*, part: str = "xl/worksheets/sheet1.xml", encoding: str = "utf-8") -> bytes:
    """Ten levels of ten entity references: 10^9 "lol"s if a parser expands them."""
    entities = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    body = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>')
    xml = f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE worksheet [{entities}]>{body}'.encode(encoding)
    return _with_part(part, xml)


def external_entity() -> bytes:
    """XXE: a shared-strings part that would pull in a local file."""
    xml = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>'
    )
    return _with_part("xl/sharedStrings.xml", xml.encode())


def _with_part(part: str, xml: bytes) -> bytes:
    if part == "xl/worksheets/sheet1.xml":
        return package({"Sheet1": xml})
    return package({"Sheet1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')}, extra={part: xml})


def million_rows(*, rows: int = 1_000_000, dimension: bool = True) -> bytes:
    """One cell per row, streamed in batches (about 40 MB of XML, so it stays under the size cap and the
    row cap is what has to catch it)."""

    def chunks() -> Iterator[bytes]:
        dim = f'<dimension ref="A1:A{rows}"/>' if dimension else ""
        yield f'<worksheet xmlns="{MAIN_NS}">{dim}<sheetData>'.encode()
        for start in range(1, rows + 1, 10_000):
            stop = min(start + 10_000, rows + 1)
            yield "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(start, stop)).encode()
        yield b"</sheetData></worksheet>"

    return package({"Sheet1": chunks()}, compresslevel=1)


def renamed_binaries() -> dict[str, bytes]:
    noise = os.urandom(4096)
    return {
        "elf": b"\x7fELF\x02\x01\x01" + noise,
        "exe": b"MZ\x90\x00" + noise,
        "random": noise,
        "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise,
        "zip_header_only": b"PK\x03\x04" + noise,
    }
