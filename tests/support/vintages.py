"""Make another "vintage" of a real A&E file by editing a copy of it, as a publisher's revision would.

The bundled A&E files are mostly NHS England's revised vintages and no earlier vintage of the same
month is bundled, so tests that need two vintages of a month edit a copy of the real file: change
one provider's count and, so the file still reconciles, the England total row by the same amount
(or not, to make a file whose totals do not reconcile). Every other byte stays the publisher's.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path


def edited_vintage(src: Path, dest: Path, *, org_code: str, column: str, delta: int, reconcile: bool = True) -> Path:
    raw = src.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    index = header.index(column)
    touched = 0
    for row in rows[1:]:
        if not row:
            continue
        is_total = row[1].strip().casefold() == "total"
        if row[1].strip() == org_code or (reconcile and is_total):
            row[index] = str(int(row[index]) + delta)
            touched += 1
    assert touched == (2 if reconcile else 1), f"{org_code} or the total row not found in {src.name}"
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode())
    return dest
