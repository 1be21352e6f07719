"""`nhs-warehouse`: build, ingest, query and inspect the warehouse from a terminal.

nhs-warehouse build                  land the bundled samples, load what is pending, build and publish marts
nhs-warehouse build-spark            build the same dbt project on Spark from the raw Parquet mirror (spark group)
nhs-warehouse ingest PATH... [--source KEY]   put files into the landing store (source found by content)
nhs-warehouse fetch-cqc [--local-authority NAME] [--region NAME]   capture the CQC API into landing
nhs-warehouse query SQL [--format table|csv|json]   query the published marts (read-only)
nhs-warehouse status                 partitions, last loads, failed checks, quarantined files
nhs-warehouse publish                republish the marts from the warehouse (no loads, no dbt)
nhs-warehouse daemon                 the Dagster daemon (sensors, schedules, automation) without the UI
nhs-warehouse dev                    the Dagster UI and daemon for this workspace
nhs-warehouse docs [--no-serve]      build dbt docs and GX Data Docs into the home and serve them on localhost
nhs-warehouse report                 write the HTML report from the published marts
nhs-warehouse check-registry [--write]   check every source spec against its suite, dbt source, sample, README row
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from dagster_project.cli.build import cmd_build, cmd_build_spark, cmd_publish
from dagster_project.cli.intake import cmd_fetch_cqc, cmd_ingest
from dagster_project.cli.output import err_console
from dagster_project.cli.read import cmd_docs, cmd_explain, cmd_query, cmd_report, cmd_status
from dagster_project.cli.registry import cmd_check_registry
from dagster_project.cli.servers import cmd_daemon, cmd_dev
from dagster_project.sources import SOURCES, UnknownSource
from dagster_project.settings import SettingsError, load_settings

USAGE_ERROR = 2  # a wrong command, option, source, path or setting: as argparse and most CLIs say it


class UsageError(Exception):
    """Something the user typed or set is wrong: one line naming it and what is allowed, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (what was wrong and where to look) instead of usage + error."""

    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nhs-warehouse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an error (or set NHS_WAREHOUSE_DEBUG=1)",
    )
    p.add_argument("--settings", action="store_true", help="print the effective settings (secrets masked) and stop")
    sub = p.add_subparsers(dest="command", required=False, parser_class=_Parser)
    b = sub.add_parser("build", help="land samples, load pending partitions, build and publish marts")
    b.add_argument("--no-samples", action="store_true", help="do not land the bundled samples first")
    b.add_argument(
        "--force",
        nargs="*",
        metavar="SOURCE",
        choices=list(SOURCES),
        help="rebuild and republish marts even if no raw data changed: every mart, or only those downstream of "
        "each SOURCE named (a raw table mended by hand)",
    )
    s = sub.add_parser("build-spark", help="build the dbt project on Spark from the raw Parquet mirror (needs the spark group)")
    s.add_argument("--dbt-args", default="", help="more arguments for dbt build, e.g. --dbt-args '--select marts'")
    i = sub.add_parser("ingest", help="put files into the landing store")
    i.add_argument("paths", nargs="+")
    i.add_argument("--source", help="source key (default: detected from the file's content)")
    f = sub.add_parser("fetch-cqc", help="capture the CQC API (settings: NHS_WAREHOUSE_CQC_*) into the landing store")
    f.add_argument("--local-authority", help="only this local authority's locations (default: NHS_WAREHOUSE_CQC_LOCAL_AUTHORITY)")
    f.add_argument("--region", help="only this CQC region's locations (default: NHS_WAREHOUSE_CQC_REGION)")
    q = sub.add_parser("query", help="query the published marts, read-only")
    q.add_argument("sql")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sub.add_parser("status", help="partitions, last loads, failed checks, quarantined files")
    sub.add_parser("publish", help="republish the marts from the warehouse")
    sub.add_parser("daemon", help="the Dagster daemon (sensors, schedules, automation) without the UI")
    d = sub.add_parser("dev", help="the Dagster UI and daemon for this workspace")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=3000)
    docs = sub.add_parser("docs", help="build dbt docs and GX Data Docs into the home and serve them on localhost")
    docs.add_argument("--no-serve", action="store_true", help="build only")
    docs.add_argument("--host", default="127.0.0.1")
    docs.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    sub.add_parser("report", help="write the HTML report from the published marts")
    e = sub.add_parser("explain", help="trace a published number to the files, rows, checks and vintages that made it")
    e.add_argument("mart", help="a published mart, e.g. mart_uec_region_month")
    e.add_argument("--where", required=True, help="SQL predicate on the mart, e.g. \"region_name = 'London'\"")
    e.add_argument("--column", help="the column whose value to explain")
    e.add_argument("--format", choices=["text", "json"], default="text")
    c = sub.add_parser(
        "check-registry", help="check every source spec against its suite, dbt source, staging model, sample and README row"
    )
    c.add_argument("--write", action="store_true", help="rewrite the README's source table from the specs first")
    c.add_argument(
        "--dbt-source",
        metavar="KEY",
        help="print a dbt source table entry for KEY's raw table (columns described from the spec) and stop",
    )
    return p


COMMANDS = {
    "build": cmd_build,
    "build-spark": cmd_build_spark,
    "ingest": cmd_ingest,
    "fetch-cqc": cmd_fetch_cqc,
    "query": cmd_query,
    "status": cmd_status,
    "publish": cmd_publish,
    "daemon": cmd_daemon,
    "dev": cmd_dev,
    "docs": cmd_docs,
    "report": cmd_report,
    "explain": cmd_explain,
    "check-registry": cmd_check_registry,
}


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", module="dagster")
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv or os.environ.get("NHS_WAREHOUSE_DEBUG", "").strip() not in ("", "0", "off", "false", "no")
    try:
        args = parser().parse_args(argv)
        settings = load_settings()
        if args.settings:
            return print_settings(settings)
        if args.command is None:
            raise UsageError("a command is needed: build, ingest, query, status, explain, ... (see `nhs-warehouse --help`)")
        return COMMANDS[args.command](args, settings)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except (UsageError, SettingsError, UnknownSource, FileNotFoundError) as exc:
        if debug:
            raise
        print(f"nhs-warehouse: {_one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"no such file or folder: {exc.filename}"
    text = str(exc).strip().strip("'\"")
    return " ".join(text.split())


def print_settings(settings) -> int:
    from rich.table import Table

    from dagster_project.cli.output import console

    table = Table("environment variable", "value", title="Effective settings (secrets masked)")
    for name, value in settings.effective().items():
        table.add_row(name, "" if value is None else str(value))
    console.print(table)
    return 0


def entrypoint() -> None:
    """The console script. Exits without interpreter finalisation: duckdb 2.0's nanobind bindings
    print a screen of benign "leaked function" warnings at shutdown when other libraries (GX,
    SQLAlchemy) still hold DuckDB type objects, which would bury the command's own output."""
    import os

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
