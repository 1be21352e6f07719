"""Every column of every mart and dimension has a description an analyst can read, a data type,
and its model a contract (tests/support/dbt_docs.py); each check fails on a manifest that lacks one."""

from __future__ import annotations

import copy

import pytest

from tests.support.dbt_docs import load_manifest, mart_models, uncontracted_columns, undocumented_columns


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest()


def test_every_mart_column_has_a_description(manifest):
    # The checks cover every model the serving DB publishes (meta.publish) for BI tools.
    published = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["meta"].get("publish")
    }
    assert "mart_uec_region_month" in published and published <= {node["name"] for node in mart_models(manifest)}
    assert undocumented_columns(manifest) == []


def test_every_mart_is_under_contract_with_a_type_on_every_column(manifest):
    assert uncontracted_columns(manifest) == []


def _node(manifest: dict, name: str) -> dict:
    return next(node for node in manifest["nodes"].values() if node["name"] == name and node["resource_type"] == "model")


def test_a_column_without_a_description_is_named(manifest):
    broken = copy.deepcopy(manifest)
    _node(broken, "mart_uec_region_month")["columns"]["pct_dta_over_12h"]["description"] = " "
    assert undocumented_columns(broken) == ["mart_uec_region_month.pct_dta_over_12h: no description"]


def test_a_column_the_model_produces_but_the_yaml_omits_is_named(manifest):
    produced = {node["name"]: list(node["columns"]) for node in mart_models(manifest)}
    assert undocumented_columns(manifest, produced) == []
    produced["dim_icb"].append("icb_short_name")
    produced["dim_month"].remove("month_name")
    assert undocumented_columns(manifest, produced) == [
        "dim_icb.icb_short_name: produced by the model but not in its YAML",
        "dim_month.month_name: in its YAML but not produced by the model",
    ]


def test_a_mart_without_a_contract_or_a_column_without_a_type_is_named(manifest):
    broken = copy.deepcopy(manifest)
    _node(broken, "dim_region")["config"]["contract"]["enforced"] = False
    _node(broken, "fct_ae_provider_month")["columns"]["built_at"]["data_type"] = None
    assert uncontracted_columns(broken) == [
        "dim_region: contract not enforced",
        "fct_ae_provider_month.built_at: no data_type",
    ]
