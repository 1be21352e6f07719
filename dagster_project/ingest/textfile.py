"""Open a publisher's text file as a stream: reject what is not text at all, and pick its encoding.

A file is never read whole into memory: a runaway 2 GB export must cost a few megabytes to look at
and reject. The encoding is chosen for the whole file before any row is read (UTF-8, or Windows-1252
with a warning), in one streaming pass that stops at the first NUL byte: no text extract holds one,
so the file is rejected at that line. Lines are read with a length limit, so a file with no line
ends (a zero-filled tail, a binary blob) is rejected after a megabyte, not read whole as one line.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TextIO

from dagster_project.ingest.errors import IngestError

CHUNK = 1024 * 1024
SNIFF_BYTES = 64 * 1024
# What reading a file's header rows may look at (publisher headers sit in the first few rows).
HEAD_BYTES = 4 * 1024 * 1024
BOM = b"\xef\xbb\xbf"
# No publisher's row is anywhere near this long; the csv module's own field limit is 128 KB.
MAX_LINE_CHARS = 1024 * 1024


@dataclass
class Encoding:
    name: str  # a Python codec name
    # Lines (1-based) where a UTF-8 byte-order mark sits after the start of the file, as when two
    # exports are joined with `cat`. The reader drops the mark from cells; the parser warns.
    stray_bom_lines: list[int] = field(default_factory=list)
    # The line of the first NUL byte, if the scan met one.
    nul_line: int | None = None


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].casefold()
    return head.startswith("<!doctype html") or head.startswith("<html") or "<head" in head


def sniff(path: Path) -> None:
    """Reject, from its first bytes alone, a file that is no text table: empty, an HTML page, binary."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError("file is empty (0 bytes)", file=path, reason="empty")
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    if size <= SNIFF_BYTES and not text.strip():
        raise IngestError("file has no content", file=path, reason="empty")
    if looks_like_html(text):
        raise IngestError("file is an HTML page, not a CSV extract", file=path, reason="html_not_data")
    if "\x00" in text[:4096]:
        raise IngestError("file is binary, not a CSV extract", file=path, reason="not_csv")


@dataclass
class _Scan:
    bad_byte_at: int | None = None  # offset of the first byte the codec cannot decode
    bom_lines: list[int] = field(default_factory=list)
    nul_line: int | None = None


def _scan(path: Path, codec: str, limit: int | None, find_boms: bool) -> _Scan:
    """Decode `path` up to `limit` bytes or its first NUL, noting stray byte-order marks."""
    decoder = codecs.getincrementaldecoder(codec)()
    scan = _Scan()
    offset, lines_before, carry = 0, 0, b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                chunk = chunk[:nul]
                scan.nul_line = lines_before + chunk.count(b"\n") + 1
            if find_boms:
                # Two bytes carried over from the previous chunk find a mark split across chunks
                # (a mark is three bytes, so none is found twice).
                window = carry + chunk
                lines_before_window = lines_before - carry.count(b"\n")
                start = 0
                while (hit := window.find(BOM, start)) >= 0:
                    if offset - len(carry) + hit > 0:
                        scan.bom_lines.append(lines_before_window + window.count(b"\n", 0, hit) + 1)
                    start = hit + 1
                carry = chunk[-2:]
            try:
                decoder.decode(chunk, final=nul >= 0)
            except UnicodeDecodeError as exc:
                scan.bad_byte_at = offset + exc.start
                return scan
            lines_before += chunk.count(b"\n")
            offset += len(chunk)
            if nul >= 0 or (limit is not None and offset >= limit):
                return scan
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        scan.bad_byte_at = offset
    return scan


def choose_encoding(path: Path, warnings: list[str], *, limit: int | None = None) -> Encoding:
    """UTF-8 (with or without a BOM), else Windows-1252 (Excel's export; a `£` gives it away)."""
    utf8 = _scan(path, "utf-8", limit, find_boms=True)
    if utf8.bad_byte_at is None:
        return Encoding("utf-8-sig", utf8.bom_lines, utf8.nul_line)
    cp1252 = _scan(path, "cp1252", limit, find_boms=False)
    if cp1252.bad_byte_at is not None:
        raise IngestError(f"not UTF-8 or Windows-1252 text (byte {utf8.bad_byte_at:,})", file=path, reason="bad_encoding")
    warnings.append(f"{path.name}: not UTF-8; decoded as Windows-1252")
    return Encoding("cp1252", nul_line=cp1252.nul_line)


def bounded_lines(handle: TextIO, path: Path, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The handle's lines, refusing one longer than `limit` instead of reading it whole."""
    number = 0
    while line := handle.readline(limit + 1):
        number += 1
        if len(line) > limit:
            raise IngestError(
                f"line longer than {limit:,} characters: not a CSV extract (binary content, or no line ends?)",
                file=path,
                row=number,
                reason="malformed",
            )
        yield line


def open_text(path: Path, warnings: list[str], *, head_only: bool = False) -> tuple[TextIO, Encoding]:
    """The file as a text stream for `csv.reader` (newline="" as csv wants), and its encoding.

    `head_only` chooses the encoding from the first HEAD_BYTES, for callers that read only the
    header rows (recognising a file's publication must not read a whole large file); those callers
    stop before any NUL further down, which a full read rejects.
    """
    sniff(path)
    encoding = choose_encoding(path, warnings, limit=HEAD_BYTES if head_only else None)
    if encoding.nul_line is not None and not head_only:
        raise IngestError(
            f"binary content (a NUL byte) at line {encoding.nul_line:,}: not a text extract",
            file=path,
            row=encoding.nul_line,
            reason="not_csv",
        )
    return open(path, encoding=encoding.name, newline=""), encoding
