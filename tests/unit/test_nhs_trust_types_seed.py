"""The NHS trust type seed says what the bundled real files say, and nothing they do not."""

from __future__ import annotations

import csv

from tests.support import trust_types


def seed_rows() -> list[dict[str, str]]:
    with open(trust_types.SEED, newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_seed_is_what_the_bundled_files_derive():
    assert trust_types.SEED.read_text() == trust_types.as_csv(trust_types.derive())


def test_the_ten_ambulance_trusts_are_the_ones_ambsys_lists_and_the_isle_of_wight_stays_acute():
    rows = {r["org_code"]: r for r in seed_rows()}
    ambulance = sorted(code for code, r in rows.items() if r["trust_type"] == "ambulance")
    assert ambulance == ["RRU", "RX6", "RX7", "RX8", "RX9", "RYA", "RYC", "RYD", "RYE", "RYF"]
    assert rows["R1F"]["trust_type"] == "acute" and "AmbSYS" in rows["R1F"]["basis"]
    assert rows["RM3"]["trust_type"] == "acute"  # the Royal Oldham's trust runs a type 1 A&E


def test_every_row_names_a_file_in_the_repository_and_no_type_is_guessed():
    rows = seed_rows()
    assert {r["trust_type"] for r in rows} == {"acute", "ambulance", "unclassified"}
    for row in rows:
        assert (trust_types.PROJECT_ROOT / row["classified_from"]).is_file(), row
    # Pennine Care sends out-of-area placements, which does not say what kind of trust it is.
    pennine = next(r for r in rows if r["org_code"] == "RT2")
    assert pennine["trust_type"] == "unclassified" and "oaps" in pennine["classified_from"]


def test_a_trust_no_file_classifies_is_kept_as_unclassified(monkeypatch):
    # Without the AmbSYS file, the ambulance trusts the System Mapping does not name disappear, and
    # none is given a type from its name ("AMBULANCE SERVICE"): those in the mapping stay unclassified.
    monkeypatch.setattr(trust_types, "AMBSYS_FILES", [])
    rows = {r["org_code"]: r for r in trust_types.derive()}
    assert not [r for r in rows.values() if r["trust_type"] == "ambulance"]
    assert all(r["trust_type"] in ("acute", "unclassified") for r in rows.values())
