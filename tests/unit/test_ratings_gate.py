"""The GX suites of the CQC API tables pass the real Oldham snapshot and fail each kind of bad one."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pandas as pd
import pytest

from tests.support.cqc_loopback import OLDHAM
from dagster_project.ingest.landing import LandingStore
from dagster_project.ingest.load import stage
from dagster_project.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from dagster_project.sources import SOURCES
from dagster_project.validation.gate import Gate

LOCATIONS = SOURCES["cqc_api_locations"]


@pytest.fixture(scope="module")
def oldham(tmp_path_factory):
    """The real snapshot, parsed once: (landed file, frames)."""
    root = tmp_path_factory.mktemp("oldham")
    store = LandingStore(root / "landing", root / "quarantine")
    landed, _ = store.put(LOCATIONS.pack(OLDHAM, root), source=LOCATIONS.key, periods=["2025-03-20"])
    parsed = LOCATIONS.parse(landed.path(store.landing_dir))
    return landed, parsed.for_period("2025-03-20")


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    return Gate(tmp_path_factory.mktemp("validation"))


def validate(gate, oldham, tmp_path, damage=None):
    landed, frames = oldham
    frames = {k: v.copy() for k, v in frames.items()}
    if damage:
        damage(frames)
    staged = stage(LOCATIONS, "2025-03-20", landed, frames, tmp_path)
    return gate.validate(staged, LOCATIONS.suite_path, previous_rows=None)


def failed(result) -> list[str]:
    return [f.describe() for f in result.failures]


def test_the_real_oldham_snapshot_passes(gate, oldham, tmp_path):
    result = validate(gate, oldham, tmp_path)
    assert result.success, failed(result)


def test_a_rating_outside_cqcs_vocabulary_fails(gate, oldham, tmp_path):
    def damage(frames):
        frames["ratings"].loc[0, "rating"] = "Excellent"

    result = validate(gate, oldham, tmp_path, damage)
    assert not result.success
    assert any("Every rating is one of" in f for f in failed(result))


def test_capitalisation_variants_are_cqcs_own_and_pass(gate, oldham, tmp_path):
    def damage(frames):
        frames["ratings"].loc[0, "rating"] = "Requires Improvement"
        frames["ratings"].loc[1, "rating"] = "Not Rated"

    assert validate(gate, oldham, tmp_path, damage).success


def test_an_unknown_key_question_fails(gate, oldham, tmp_path):
    def damage(frames):
        frames["ratings"].loc[1, "key_question"] = "Kind"

    assert any("Every key question is" in f for f in failed(validate(gate, oldham, tmp_path, damage)))


def test_a_report_date_after_the_snapshot_fails(gate, oldham, tmp_path):
    def damage(frames):
        frames["ratings"].loc[2, "report_date"] = dt.date(2025, 4, 1)

    assert any("No rating was reported after the snapshot" in f for f in failed(validate(gate, oldham, tmp_path, damage)))


def test_the_same_location_twice_fails(gate, oldham, tmp_path):
    def damage(frames):
        frames[""].loc[1, "location_id"] = frames[""].loc[0, "location_id"]

    messages = failed(validate(gate, oldham, tmp_path, damage))
    assert any("Each location appears once in a partition" in m for m in messages)


def test_a_rating_given_twice_fails(gate, oldham, tmp_path):
    def damage(frames):
        ratings = frames["ratings"]
        frames["ratings"] = pd.concat([ratings, ratings.iloc[[0]]], ignore_index=True)

    assert any("One rating per location" in f for f in failed(validate(gate, oldham, tmp_path, damage)))


def test_a_rating_of_a_location_not_in_the_snapshot_fails(gate, oldham, tmp_path):
    def damage(frames):
        frames["ratings"].loc[0, "location_id"] = "1-999"

    assert any("Ratings name only locations" in f for f in failed(validate(gate, oldham, tmp_path, damage)))


def test_an_id_that_is_neither_a_cqc_id_nor_an_ods_code_fails(gate, oldham, tmp_path):
    def damage(frames):
        frames[""].loc[0, "location_id"] = "location 17"

    assert any("Ids are CQC's own" in f for f in failed(validate(gate, oldham, tmp_path, damage)))


def test_the_suites_and_the_dbt_seed_share_one_rating_vocabulary():
    with open(DBT_PROJECT_DIR / "seeds" / "ratings" / "cqc_rating_values.csv") as handle:
        seeded = {row["published_value"] for row in csv.DictReader(handle)}
    for path in EXPECTATIONS_DIR.glob("cqc_*.json"):
        suite = json.loads(path.read_text())
        queries = [e["kwargs"].get("unexpected_rows_query", "") for e in suite["expectations"]]
        sets = [m for q in queries for m in re.findall(r"lower\(trim\(\w*\.?rating\)\) not in \(([^)]*)\)", q)]
        assert sets, path.name
        for listed in sets:
            assert set(re.findall(r"'([a-z ]+)'", listed)) == seeded, path.name
