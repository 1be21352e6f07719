"""Bad carers input as a user would meet it: a council code that does not exist is quarantined with
a message that says so and the year's last good data stays; a suppression symbol is missing data."""

import pytest

from tests.support.gate_fixtures import Warehouse
from dagster_project.settings import SAMPLES_DIR
from dagster_project.sources.carers import ASCOF_COUNCIL_MEASURES as SPEC

SAMPLE = SAMPLES_DIR / "carers" / "ascof_oflog" / "ASC_data.csv"
HARTLEPOOL_1D_2021 = "2021-22,E06000001,Hartlepool,"


@pytest.fixture
def warehouse(tmp_path):
    warehouse = Warehouse(tmp_path / "home")
    taken, outcomes = warehouse.take(SPEC, SAMPLE)
    assert taken.status == "landed" and [o.status for o in outcomes] == ["loaded"] * 8
    return warehouse


def revised(tmp_path, old: str, new: str):
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ASC_data_revised.csv"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_council_code_that_does_not_exist_is_quarantined_and_every_year_keeps_its_data(warehouse, tmp_path):
    original = warehouse.query("select _period, _file_sha256, count(*) from raw.ascof_council_measures group by all order by 1")
    path = revised(tmp_path, HARTLEPOOL_1D_2021, "2021-22,E06000999,Hartlepool,")
    taken, outcomes = warehouse.take(SPEC, path)
    assert taken.status == "landed"
    quarantined = [o for o in outcomes if o.status == "quarantined"]
    assert len(quarantined) == 1
    message = quarantined[0].message
    # The file covers eight years; one failed, so none of them is loaded from it.
    assert "covers 8 periods and failed for 2021-22, so none is loaded" in message
    assert "Every council code is a council that existed in that financial year" in message
    assert "E06000999" in message
    assert {o.status for o in outcomes} == {"quarantined", "unchanged"}
    assert (
        warehouse.query("select _period, _file_sha256, count(*) from raw.ascof_council_measures group by all order by 1")
        == original
    )
    reasons = warehouse.store.quarantined("ascof_council_measures")
    assert [r["original_name"] for r in reasons] == ["ASC_data_revised.csv"]
    assert reasons[0]["error"]["reason"] == "validation_failed"


def test_a_suppression_symbol_in_a_value_is_loaded_as_missing(warehouse, tmp_path):
    line = next(
        text
        for text in SAMPLE.read_text(encoding="utf-8").splitlines()
        if text.startswith(HARTLEPOOL_1D_2021) and "Carer Quality of Life" in text
    )
    fields = line.split(",")
    damaged = line.replace(f",ASC1,{fields[9]},", ",ASC1,[c],", 1)
    taken, outcomes = warehouse.take(SPEC, revised(tmp_path, line, damaged))
    assert {o.status for o in outcomes if o.period == "2021-22"} == {"loaded"}
    assert warehouse.query(
        "select value from raw.ascof_council_measures where _period = '2021-22' and la_code = 'E06000001' and oflog_code = 'ASC1'"
    ) == [(None,)]
