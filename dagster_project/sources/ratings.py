"""Ratings: CQC's ratings of every registered location and provider, from the API and the exports.

Three publications, one spec each:
- `cqc_api_locations`, `cqc_api_providers`: the CQC public API v1 (`/locations`, `/locations/{id}`,
  `/providers`, `/providers/{id}`; `/changes/location` for what changed). A capture of the API is
  a folder of its documents; each source lands its part as one bundle per snapshot date
  (`sources/cqc/capture.py` says why). Raw tables: one row per document, and `__ratings`, one row
  per current rating (location or service x key question).
- `cqc_ratings_export`: CQC's bulk exports: the monthly *Latest ratings* workbook (ODS/XLSX, long
  format, sheets Locations and Providers) and the locations CSV export (one row per location with
  the overall and key-question ratings side by side). Both become the same long raw tables.

Personal data: registered managers, nominated individuals and partners are named in the API's
`contacts` and in the CSV export's `Registered manager` column. Neither is read: the API columns
below are the only fields extracted, and the export's column is declared dropped.
"""

from __future__ import annotations


from dagster_project.ingest.columns import Column
from dagster_project.ingest.spec import SchemaOnly, SourceSpec
from dagster_project.sources.cqc import exports
from dagster_project.sources.cqc.api_tables import RATINGS, parse_bundle
from dagster_project.sources.cqc.capture import LOCATIONS, PROVIDERS, looks_like_bundle, pack
from dagster_project.sources.cqc.documents import names_joined, primary_inspection_category

# The API's home; the client sends the subscription key in this header (settings: NHS_WAREHOUSE_CQC_API_KEY).
CQC_API_BASE_URL = "https://api.service.cqc.org.uk/public/v1"
CQC_API_KEY_HEADER = "Ocp-Apim-Subscription-Key"
CQC_API_SOURCE = "cqc_api"  # NHS_WAREHOUSE_URL_CQC_API overrides the base URL (tests: loopback)
API_PROVENANCE = (
    "CQC public API v1 (Syndication API); Oldham sample captured around March 2025, kept in "
    "olliekeane123/oldham-cqc-etl-python @ 80d846d7414354519038b791ca62b20cf8004a0d, mock_api/dummy_data/"
)


def _json(name: str, path: str, kind="text", description: str = "") -> Column:
    """A column read from a JSON path of the API document (the path is its one spelling)."""
    return Column(name, kind, (path,), required=False, description=description)


def _derived(name: str, kind="text", description: str = "") -> Column:
    return Column(name, kind, ("(derived)",), required=False, description=description)


SOURCE_DOCUMENT = Column(
    "source_document", "text", ("(bundle member)",), required=False, description="Bundle member the row came from"
)

LOCATION_COLUMNS = (
    _json(
        "location_id", "locationId", description="CQC location id (1-... for most; the ODS site code for NHS sites, e.g. RM317)"
    ),
    _json("provider_id", "providerId", description="CQC provider id (the ODS trust code for NHS trusts, e.g. RM3)"),
    _json("location_name", "name", description="Registered name of the location"),
    _json("ods_code", "odsCode"),
    _json("organisation_type", "organisationType"),
    _json("location_type", "type", description="Sector, e.g. Social Care Org, NHS Healthcare Organisation"),
    _json("brand_id", "brandId"),
    _json("brand_name", "brandName"),
    _json("registration_status", "registrationStatus"),
    _json("registration_date", "registrationDate", "date"),
    _json("deregistration_date", "deregistrationDate", "date"),
    _json("dormancy", "dormancy"),
    _json("care_home", "careHome"),
    _json("number_of_beds", "numberOfBeds", "integer"),
    _json("inspection_directorate", "inspectionDirectorate"),
    _derived("primary_inspection_category_code"),
    _derived("primary_inspection_category_name"),
    _derived("gac_service_types", description="Service types (names), ';'-separated"),
    _json("local_authority", "localAuthority"),
    _json("region", "region", description="CQC's region name"),
    _json("constituency", "constituency"),
    _json("postal_code", "postalCode"),
    _json("onspd_icb_code", "onspdIcbCode", description="ONS code of the ICB the postcode lies in (E54...)"),
    _json("onspd_icb_name", "onspdIcbName"),
    _json("onspd_ccg_code", "onspdCcgCode"),
    _json("onspd_ccg_name", "onspdCcgName"),
    _json("latitude", "onspdLatitude", "number"),
    _json("longitude", "onspdLongitude", "number"),
    _json("last_inspection_date", "lastInspection.date", "date"),
    _json("last_report_date", "lastReport.publicationDate", "date"),
    _json("ratings_report_date", "currentRatings.reportDate", "date"),
    SOURCE_DOCUMENT,
)

PROVIDER_COLUMNS = (
    _json("provider_id", "providerId"),
    _json("provider_name", "name", description="Registered name of the provider"),
    _json("ownership_type", "ownershipType", description="Organisation, Partnership, Individual, NHS Body"),
    _json("organisation_type", "organisationType"),
    _json("provider_type", "type"),
    _json("brand_id", "brandId"),
    _json("brand_name", "brandName"),
    _json("ods_code", "odsCode"),
    _json("companies_house_number", "companiesHouseNumber"),
    _json("charity_number", "charityNumber"),
    _json("registration_status", "registrationStatus"),
    _json("registration_date", "registrationDate", "date"),
    _json("deregistration_date", "deregistrationDate", "date"),
    _json("inspection_directorate", "inspectionDirectorate"),
    _derived("primary_inspection_category_code"),
    _derived("primary_inspection_category_name"),
    _json("local_authority", "localAuthority"),
    _json("region", "region"),
    _json("postal_code", "postalCode"),
    _json("onspd_icb_code", "onspdIcbCode"),
    _json("onspd_icb_name", "onspdIcbName"),
    _json("latitude", "onspdLatitude", "number"),
    _json("longitude", "onspdLongitude", "number"),
    _derived("location_count", "integer", "Number of locations the provider document lists"),
    _json("last_inspection_date", "lastInspection.date", "date"),
    _json("last_report_date", "lastReport.publicationDate", "date"),
    SOURCE_DOCUMENT,
)


def _rating_columns(id_column: str) -> tuple[Column, ...]:
    return (
        Column(id_column, "text"),
        Column(
            "service_code", "text", description="inspectionAreaId of the service or population group; NULL for the whole location"
        ),
        Column("service_name", "text", description="inspectionAreaName, e.g. Urgent and emergency services"),
        Column("key_question", "text", description="Overall, Safe, Effective, Caring, Responsive or Well-led, as published"),
        Column("rating", "text", description="Rating as published (spellings normalised in staging)"),
        Column("report_date", "date"),
        Column("report_link_id", "text"),
        Column("rated_organisation_id", "text", description="Set when the rating was inherited from a predecessor registration"),
        SOURCE_DOCUMENT,
    )


def _location_derived(document: dict) -> dict:
    code, name = primary_inspection_category(document)
    return {
        "primary_inspection_category_code": code,
        "primary_inspection_category_name": name,
        "gac_service_types": names_joined(document.get("gacServiceTypes"), "name"),
    }


def _provider_derived(document: dict) -> dict:
    code, name = primary_inspection_category(document)
    ids = document.get("locationIds")
    return {
        "primary_inspection_category_code": code,
        "primary_inspection_category_name": name,
        "location_count": len(ids) if isinstance(ids, list) else None,
    }


CQC_API_LOCATIONS = SourceSpec(
    key="cqc_api_locations",
    family="ratings",
    title="CQC API locations",
    publisher="Care Quality Commission",
    provenance=API_PROVENANCE,
    format="json",
    partitioning="snapshot",
    columns=LOCATION_COLUMNS,
    extra_tables={RATINGS: _rating_columns("location_id")},
    row_key=("location_id",),
    sample_glob="ratings/cqc_api_*",
    # Polled through the API's change feed (sources/cqc/feed.py), not an index page.
    parser=lambda path, spec: parse_bundle(path, spec, LOCATIONS, _location_derived),
    detect=lambda path: looks_like_bundle(path, LOCATIONS),
    pack=lambda folder, work: pack(folder, work, LOCATIONS, "cqc_api_locations"),
)

CQC_API_PROVIDERS = SourceSpec(
    key="cqc_api_providers",
    family="ratings",
    title="CQC API providers",
    publisher="Care Quality Commission",
    provenance=API_PROVENANCE,
    format="json",
    partitioning="snapshot",
    columns=PROVIDER_COLUMNS,
    extra_tables={RATINGS: _rating_columns("provider_id")},
    row_key=("provider_id",),
    sample_glob="ratings/cqc_api_*",
    schema_only=(
        SchemaOnly(
            RATINGS,
            schema="ratings/api_schema/Syndication_Provider_Id.json",
            because=(
                "the 20 bundled provider documents carry no currentRatings; tests load provider documents "
                "shaped by CQC's schema (tests/integration/test_ratings_provider_type.py)"
            ),
        ),
    ),
    # Polled through the API's change feed (sources/cqc/feed.py), not an index page.
    parser=lambda path, spec: parse_bundle(path, spec, PROVIDERS, _provider_derived),
    detect=lambda path: looks_like_bundle(path, PROVIDERS),
    pack=lambda folder, work: pack(folder, work, PROVIDERS, "cqc_api_providers"),
)


def _export_rating_columns() -> tuple[Column, ...]:
    return (
        Column(
            "service", "text", description="Service / Population Group as published ('Overall' for the whole; NULL in the CSV)"
        ),
        Column("key_question", "text", description="Domain (older releases: Key Question): Overall, Safe, ..."),
        Column("rating", "text", description="Latest Rating as published"),
        Column("publication_date", "date", description="Publication Date as published"),
        Column("report_type", "text"),
        Column("inherited_rating", "text", description="Inherited Rating (Y/N)"),
    )


EXPORT_LOCATION_COLUMNS = (
    Column("export_kind", "text", description="latest_ratings_workbook or locations_csv: which layout the row came from"),
    Column("location_id", "text"),
    Column("location_name", "text"),
    Column("ods_code", "text"),
    Column("location_type", "text"),
    Column("primary_inspection_category", "text"),
    Column("local_authority", "text"),
    Column("region", "text", description="Location Region (workbook) or Location ADASS Region (CSV)"),
    Column("provider_id", "text"),
    Column("provider_name", "text"),
    *_export_rating_columns(),
)
EXPORT_PROVIDER_COLUMNS = (
    Column("provider_id", "text"),
    Column("provider_name", "text"),
    Column("provider_type", "text"),
    Column("primary_inspection_category", "text"),
    Column("local_authority", "text"),
    Column("region", "text"),
    *_export_rating_columns(),
)

# Annotated: its `detect` refers to the spec itself, which mypy cannot infer through.
CQC_RATINGS_EXPORT: SourceSpec = SourceSpec(
    key="cqc_ratings_export",
    family="ratings",
    title="CQC latest ratings export",
    publisher="Care Quality Commission",
    provenance=(
        "CQC's monthly Latest ratings workbook (ODS) and locations CSV export; the bundled CSV is the first "
        "999 rows of the adult social care locations export (about August 2025), kept in "
        "mooperd/cqc-companies @ e6767b00785a120e14e2c43d2bc660150ca97fa1, Locations-head.csv"
    ),
    format="ods",
    partitioning="snapshot",
    columns=EXPORT_LOCATION_COLUMNS,
    extra_tables={exports.PROVIDERS: EXPORT_PROVIDER_COLUMNS},
    row_key=("location_id", "service", "key_question"),
    sample_glob="ratings/cqc_exports_*/Locations-head.csv",
    index_url="https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
    parser=exports.parse_export,
    detect=lambda path: exports.looks_like_export(path, CQC_RATINGS_EXPORT),
    dropped_columns=exports.CSV_PERSONAL_COLUMNS,
)

RATINGS_SPECS = (CQC_API_LOCATIONS, CQC_API_PROVIDERS, CQC_RATINGS_EXPORT)
