"""Every SourceSpec agrees with the pieces written beside it, and each kind of contradiction is caught.

The first test holds the repository to its registry; the others copy the hand-written pieces (dbt
models, suites, READMEs) into a temporary folder, break one thing, and show the checker names the
source and the piece that is missing or contradicts its spec.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml

from dagster_project.ingest.columns import Column
from dagster_project.settings import PROJECT_ROOT, SAMPLES_DIR
from dagster_project.sources import SOURCES
from dagster_project.sources.registry_check import (
    Layout,
    check_registry,
    dbt_source_entry,
    readme_with_source_table,
    render_source_table,
    write_readme,
)

UEC = SOURCES["uec_ae_monthly"]
SPECS = list(SOURCES.values())


def test_every_source_spec_agrees_with_its_pieces():
    problems = check_registry()
    assert problems == [], "\n".join(map(str, problems))


def test_the_readme_source_table_is_generated_from_the_specs():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert render_source_table(SPECS) in readme
    assert readme_with_source_table(readme, SPECS) == readme


# ---------------------------------------------------------------------------------------------
# failing fixtures: a copy of the pieces with one contradiction each


@pytest.fixture
def copy(tmp_path) -> Layout:
    for folder in ("dbt/models", "dbt/macros", "dbt/tests", "expectations"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    shutil.copy(PROJECT_ROOT / "README.md", tmp_path / "README.md")
    samples = tmp_path / "data" / "samples"
    samples.mkdir(parents=True)
    shutil.copy(SAMPLES_DIR / "README.md", samples / "README.md")
    # The samples themselves are read where they are (tens of MB); the fixture that needs a
    # different sample folder makes its own.
    layout = Layout(root=tmp_path, samples_dir=SAMPLES_DIR)
    assert check_registry(SPECS, layout) == []
    return layout


def problems_of(layout: Layout, specs=SPECS) -> list[tuple[str, str, str]]:
    return [(p.source, p.piece, p.message) for p in check_registry(specs, layout)]


def with_spec(spec) -> list:
    """Every spec, with `spec` in place of the one of its key."""
    return [spec if s.key == spec.key else s for s in SPECS]


def _only(problems, source: str, piece: str) -> str:
    assert [(s, p) for s, p, _ in problems] == [(source, piece)], problems
    return problems[0][2]


def _edit_yaml(path: Path, edit) -> None:
    document = yaml.safe_load(path.read_text())
    edit(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _uec_table(document) -> dict:
    return next(t for s in document["sources"] for t in s["tables"] if t["name"] == "uec_ae_monthly")


UEC_SOURCES = "dbt/models/staging/uec/_uec__sources.yml"


def test_a_spec_without_a_dbt_source_table_is_named(copy):
    _edit_yaml(copy.root / UEC_SOURCES, lambda d: d["sources"][0]["tables"].remove(_uec_table(d)))
    problems = problems_of(copy)
    assert ("uec_ae_monthly", "dbt source") in [(s, p) for s, p, _ in problems]
    assert "no dbt source table 'uec_ae_monthly'" in problems[0][2]


def test_a_totals_table_dbt_does_not_declare_is_named(copy):
    _edit_yaml(
        copy.root / UEC_SOURCES,
        lambda d: d["sources"][0]["tables"].remove(
            next(t for t in d["sources"][0]["tables"] if t["name"] == "uec_ae_monthly__totals")
        ),
    )
    assert "uec_ae_monthly__totals" in _only(problems_of(copy), "uec_ae_monthly", "dbt source")


def test_a_dbt_column_the_spec_does_not_have_is_named(copy):
    _edit_yaml(copy.root / UEC_SOURCES, lambda d: _uec_table(d)["columns"].append({"name": "trust_code"}))
    assert "'trust_code'" in _only(problems_of(copy), "uec_ae_monthly", "dbt columns")


def test_a_dbt_column_description_that_contradicts_the_spec_is_named(copy):
    def describe(document):
        column = next(c for c in _uec_table(document)["columns"] if c["name"] == "org_code")
        column["description"] = "Trust name"

    _edit_yaml(copy.root / UEC_SOURCES, describe)
    message = _only(problems_of(copy), "uec_ae_monthly", "dbt description")
    assert "'Trust name'" in message and UEC.column("org_code").description in message


def test_a_dbt_source_table_without_a_description_or_with_another_asset_key_is_named(copy):
    def edit(document):
        table = _uec_table(document)
        del table["description"]
        table["meta"]["dagster"]["asset_key"] = ["raw", "uec"]

    _edit_yaml(copy.root / UEC_SOURCES, edit)
    problems = problems_of(copy)
    assert {(s, p) for s, p, _ in problems} == {("uec_ae_monthly", "dbt description"), ("uec_ae_monthly", "dbt source")}
    assert any("asset_key ['raw', 'uec']" in m for _, _, m in problems)


def test_dbt_source_freshness_that_contradicts_the_spec_cadence_is_named(copy):
    """The cadence is declared once, in the spec: dbt's freshness must say the same (33 and 38 days for
    a monthly release), on the main table and not on a part that loads with it."""
    _edit_yaml(copy.root / UEC_SOURCES, lambda d: _uec_table(d)["freshness"]["error_after"].update(count=75))
    message = _only(problems_of(copy), "uec_ae_monthly", "dbt freshness")
    assert "'count': 75" in message and "error_after: {count: 38, period: day}" in message

    def on_a_part(document):
        _uec_table(document)["freshness"]["error_after"]["count"] = 38
        totals = next(t for t in document["sources"][0]["tables"] if t["name"] == "uec_ae_monthly__totals")
        totals["freshness"] = _uec_table(document)["freshness"]

    _edit_yaml(copy.root / UEC_SOURCES, on_a_part)
    assert "'uec_ae_monthly__totals' (_uec__sources.yml) declares freshness" in _only(
        problems_of(copy), "uec_ae_monthly", "dbt freshness"
    )


def test_a_source_no_staging_model_reads_is_named(copy):
    (copy.root / "dbt/models/staging/uec/stg_uec__ae_monthly.sql").unlink()
    assert "source('raw', 'uec_ae_monthly')" in _only(problems_of(copy), "uec_ae_monthly", "staging model")


def test_a_missing_suite_is_named(copy):
    (copy.root / "expectations/uec_ae_monthly.json").unlink()
    assert "expectations/uec_ae_monthly.json" in _only(problems_of(copy), "uec_ae_monthly", "suite")


def test_a_suite_naming_a_column_the_spec_does_not_have_is_named(copy):
    path = copy.root / "expectations/uec_ae_monthly.json"
    suite = json.loads(path.read_text())
    suite["expectations"].append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "trust_code"}})
    path.write_text(json.dumps(suite))
    assert "'trust_code'" in _only(problems_of(copy), "uec_ae_monthly", "suite columns")


def test_a_suite_for_another_source_is_named(copy):
    shutil.copy(copy.root / "expectations/nhs_vacancies.json", copy.root / "expectations/uec_ae_monthly.json")
    problems = problems_of(copy)
    assert {p for s, p, _ in problems if s == "uec_ae_monthly"} == {"suite", "suite columns", "row key"}


def test_a_row_key_the_suite_does_not_check_is_named(copy):
    wider = dataclasses.replace(UEC, row_key=("org_code", "period"))
    problems = [p for p in problems_of(copy, with_spec(wider)) if p[1] != "README source table"]
    # The suite's uniqueness check and the revisions mart both still use the old key.
    assert [(s, p) for s, p, _ in problems] == [("uec_ae_monthly", "row key")] * 2
    suite, revisions = problems[0][2], problems[1][2]
    assert "['org_code', 'period'] is unique" in suite and "[['org_code']]" in suite
    assert revisions.startswith("mart_revisions.sql compares revisions by ['org_code']")


def test_a_revisions_mart_comparing_by_another_key_is_named(copy):
    path = copy.root / "dbt/models/marts/revisions/mart_revisions.sql"
    call = "revision_changes('uec_ae_monthly', ['org_code']"
    assert path.read_text().count(call) == 1
    path.write_text(path.read_text().replace(call, "revision_changes('uec_ae_monthly', ['org_code', 'parent_org']"))
    assert "['org_code', 'parent_org']" in _only(problems_of(copy), "uec_ae_monthly", "row key")


def test_a_row_key_or_period_column_the_spec_lacks_is_named():
    broken = dataclasses.replace(UEC, row_key=("site_code",), period_column="month")
    problems = [(p.source, p.piece) for p in check_registry([broken]) if p.source == UEC.key]
    assert ("uec_ae_monthly", "row key") in problems and ("uec_ae_monthly", "period column") in problems


def test_a_first_period_outside_the_partitioning_is_named():
    broken = dataclasses.replace(UEC, first_period="2020-04")
    problems = [p for p in check_registry([broken]) if p.source == UEC.key]
    assert [p.piece for p in problems] == ["partitions"]
    assert "'2020-04' is not a monthly partition key" in problems[0].message


def test_a_link_pattern_without_an_index_page_is_named():
    broken = dataclasses.replace(UEC, index_url=None, link_pattern=r"\.csv$")
    problems = [p.piece for p in check_registry([broken]) if p.source == UEC.key]
    assert "publication sensor" in problems


def test_a_sample_glob_that_finds_nothing_is_named(copy):
    broken = dataclasses.replace(UEC, sample_glob="uec/*.xlsx")
    problems = [p for p in problems_of(copy, with_spec(broken)) if p[1] != "README source table"]
    assert "'uec/*.xlsx' finds no file" in _only(problems, "uec_ae_monthly", "sample")


def test_a_spec_with_no_sample_must_say_why(copy):
    broken = dataclasses.replace(UEC, sample_glob=None)
    problems = [p for p in problems_of(copy, with_spec(broken)) if p[1] != "README source table"]
    assert "sample_absent_because" in _only(problems, "uec_ae_monthly", "sample")
    said = dataclasses.replace(broken, sample_absent_because="not published as a file")
    assert [p for p in problems_of(copy, with_spec(said)) if p[1] != "README source table"] == []


def test_a_sample_the_samples_readme_does_not_cite_is_named(copy, tmp_path):
    samples = tmp_path / "samples"
    (samples / "uec").mkdir(parents=True)
    one = sorted((SAMPLES_DIR / "uec").glob("*.csv"))[0]
    shutil.copy(one, samples / "uec" / one.name)
    readme = (SAMPLES_DIR / "README.md").read_text()
    (samples / "README.md").write_text(readme.replace("| `uec/` (51 CSV) |", "| uec (51 CSV) |"))
    layout = dataclasses.replace(copy, samples_dir=samples)
    # Only the A&E files are in this sample folder: the other sources' problems are not this test's.
    problems = [p for p in problems_of(layout) if p[0] == UEC.key]
    assert f"uec/{one.name} is not cited" in _only(problems, "uec_ae_monthly", "sample citation")


PROVIDERS = SOURCES["cqc_api_providers"]


def test_the_provider_ratings_layout_is_shown_as_checked_against_the_api_schema_only():
    (part,) = PROVIDERS.schema_only
    assert part.table == "ratings" and (SAMPLES_DIR / part.schema).is_file()
    row = next(line for line in render_source_table(SPECS).splitlines() if line.startswith("| `cqc_api_providers` |"))
    assert "its `ratings` part **checked against the API schema only**" in row
    assert not SOURCES["cqc_api_locations"].schema_only  # the location documents carry real ratings


def test_a_schema_only_part_that_is_not_a_table_or_whose_schema_is_not_bundled_and_cited_is_named(copy, tmp_path):
    (part,) = PROVIDERS.schema_only
    not_a_table = dataclasses.replace(PROVIDERS, schema_only=(dataclasses.replace(part, table="rating"),))
    problems = [p for p in problems_of(copy, with_spec(not_a_table)) if p[1] != "README source table"]
    assert "'rating' is not one of the raw tables" in _only(problems, "cqc_api_providers", "schema only")

    missing = dataclasses.replace(PROVIDERS, schema_only=(dataclasses.replace(part, schema="ratings/api_schema/none.json"),))
    problems = [p for p in problems_of(copy, with_spec(missing)) if p[1] != "README source table"]
    assert "'ratings/api_schema/none.json' is not under" in _only(problems, "cqc_api_providers", "schema only")

    # A sample folder of the schema alone, whose README no longer cites it.
    samples = tmp_path / "samples"
    (samples / part.schema).parent.mkdir(parents=True)
    shutil.copy(SAMPLES_DIR / part.schema, samples / part.schema)
    readme = (SAMPLES_DIR / "README.md").read_text()
    (samples / "README.md").write_text(readme.replace(f"`{part.schema}`", "the provider schema"))
    layout = dataclasses.replace(copy, samples_dir=samples)
    problems = [p for p in problems_of(layout) if p[0] == PROVIDERS.key and p[1] == "sample citation"]
    assert f"{part.schema} is not cited" in _only(problems, "cqc_api_providers", "sample citation")


def test_a_readme_without_the_new_sources_row_is_named(copy):
    extra = dataclasses.replace(SOURCES["nhs_vacancies"], key="nhs_vacancies_copy")
    problems = [p for p in problems_of(copy, [*SPECS, extra]) if p[0] == "README.md"]
    assert [p[1] for p in problems] == ["README source table"]
    assert "no row for nhs_vacancies_copy" in problems[0][2] and "check-registry --write" in problems[0][2]
    # --write regenerates it from the specs (the new source's other pieces are still missing).
    assert write_readme([*SPECS, extra], copy)
    assert [p for p in problems_of(copy, [*SPECS, extra]) if p[0] == "README.md"] == []


def test_a_readme_without_the_markers_is_named(copy):
    copy.readme.write_text("# nhs-warehouse\n")
    assert "no source table markers" in _only(problems_of(copy), "README.md", "README source table")


def test_the_dbt_source_entry_a_new_spec_starts_from_agrees_with_it(copy):
    """`check-registry --dbt-source KEY` prints an entry the checker accepts, descriptions from the spec."""
    _edit_yaml(copy.root / UEC_SOURCES, lambda d: d["sources"][0]["tables"].remove(_uec_table(d)))
    entry = yaml.safe_load(dbt_source_entry(UEC))[0]
    assert {c["name"]: c.get("description") for c in entry["columns"]}["org_code"] == UEC.column("org_code").description
    _edit_yaml(copy.root / UEC_SOURCES, lambda d: d["sources"][0]["tables"].insert(0, entry))
    assert problems_of(copy) == []


def test_a_column_added_to_the_spec_needs_no_other_edit_but_a_suite_check_of_it(copy):
    """Columns are declared once: a new optional column passes until the suite or dbt names a wrong one."""
    wider = dataclasses.replace(UEC, columns=(*UEC.columns, Column("site_type", "text", required=False, description="Type")))
    assert problems_of(copy, with_spec(wider)) == []


def test_the_dagster_pieces_are_built_from_every_spec():
    """Raw asset (with the spec's partitions and column descriptions), load job, freshness schedule and,
    where the spec says where it is published, a publication sensor: none is written by hand."""
    from dagster import AssetKey

    from dagster_project.assets.partitions import partitions_for
    from dagster_project.automation.pollers import pollers_for
    from dagster_project.definitions import defs
    from dagster_project.settings import load_settings

    settings = load_settings()
    for spec in SPECS:
        key = AssetKey(["raw", spec.key])
        asset = defs.resolve_assets_def(key)
        assert asset.partitions_def == partitions_for(spec), spec.key
        schema = asset.metadata_by_key[key]["dagster/column_schema"]
        assert [(c.name, c.description or "") for c in schema.columns] == [(c.name, c.description) for c in spec.columns]
        assert defs.resolve_job_def(f"load_{spec.key}") is not None
        assert defs.resolve_schedule_def(f"freshness_{spec.key}") is not None
        has_sensor = any(s.name == f"publication_{spec.key}" for s in defs.sensors)
        assert has_sensor == bool(pollers_for(spec, settings)), spec.key
