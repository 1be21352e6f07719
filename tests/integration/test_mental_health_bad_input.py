"""Bad OAPs input as a user would meet it: a month in which NHS Digital renamed one question is
quarantined at the gate, before anything downstream, with a reason naming the question and the
file, and the month's last good vintage stays loaded."""

import json

import pytest

from tests.support.gate_fixtures import Warehouse
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.mental_health import MH_OAPS_MONTHLY as SPEC

NOV = SAMPLES_DIR / "mental_health" / "oaps" / "oaps-open-data-nov-2016.csv"
RENAMED = "Total number of OAP bed days over the period"


@pytest.fixture
def warehouse(tmp_path):
    warehouse = Warehouse(tmp_path / "home")
    taken, outcomes = warehouse.take(SPEC, NOV)
    assert taken.status == "landed" and [o.status for o in outcomes] == ["loaded"]
    return warehouse


def renamed_copy(tmp_path):
    """November 2016 again (a revised vintage), with one question worded as the publisher might reword it."""
    text = NOV.read_text(encoding="utf-8")
    assert text.count('"Total number of OAP days over the period"') == 650
    folder = tmp_path / "revised"
    folder.mkdir()
    path = folder / NOV.name
    path.write_text(text.replace('"Total number of OAP days over the period"', f'"{RENAMED}"'), encoding="utf-8", newline="")
    return path


def test_a_month_with_a_renamed_question_is_quarantined_naming_the_question_and_the_file(warehouse, tmp_path):
    loaded = warehouse.query("select _file_sha256, count(*) from raw.mh_oaps_monthly group by all")
    taken, outcomes = warehouse.take(SPEC, renamed_copy(tmp_path))
    # Parsing cannot know the wording is new: the file lands, and the gate stops it before raw.*.
    assert taken.status == "landed"
    [outcome] = outcomes
    assert outcome.status == "quarantined" and outcome.period == "2016-11-01"
    assert "Every question is one dbt/seeds/reference/oaps_questions.csv maps to a measure" in outcome.message
    assert RENAMED in outcome.message and NOV.name in outcome.message
    # The month keeps the vintage loaded before, row for row.
    assert warehouse.query("select _file_sha256, count(*) from raw.mh_oaps_monthly group by all") == loaded
    [reason] = warehouse.store.quarantined(SPEC.key)
    assert reason["original_name"] == NOV.name
    assert reason["error"]["reason"] == "validation_failed" and RENAMED in reason["error"]["message"]
    failures = warehouse.query(
        "select reason, message from meta.load_failures where source_key = 'mh_oaps_monthly' and period = '2016-11-01'"
    )
    assert len(failures) == 1 and RENAMED in failures[0][1]
    assert json.dumps(reason)  # the reason file is plain JSON a person can read
