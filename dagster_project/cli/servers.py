"""`dev` and `daemon`: the Dagster UI and daemon for this workspace, in place of this process."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dagster_project.cli.build import prepare_dbt
from dagster_project.cli.output import console
from dagster_project.settings import Settings


def dagster_env(settings: Settings) -> dict[str, str]:
    """The environment Dagster processes need: the instance home and this warehouse's home."""
    import os

    from dagster_project.runner import ensure_instance_home

    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(ensure_instance_home(settings))
    env["NHS_WAREHOUSE_HOME"] = str(settings.home)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from dagster_project.settings import PROJECT_ROOT

    settings.ensure_dirs()
    prepare_dbt()
    env = dagster_env(settings)
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", args.host, "-p", str(args.port)]
    console.print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={env['DAGSTER_HOME']})")
    os.execve(command[0], command, env)


def cmd_daemon(args: argparse.Namespace, settings: Settings) -> int:
    """`dagster-daemon run` for this workspace: sensors, schedules, automation and the run queue."""
    import os

    from dagster_project.settings import PROJECT_ROOT

    settings.ensure_dirs()
    prepare_dbt()
    env = dagster_env(settings)
    daemon = Path(sys.executable).parent / "dagster-daemon"
    command = [str(daemon), "run", "-w", str(PROJECT_ROOT / "workspace.yaml")]
    console.print(
        f"Dagster daemon for {settings.home} (DAGSTER_HOME={env['DAGSTER_HOME']}): watching "
        f"{settings.incoming_dir} every {settings.landing_interval_s} s; alerts to "
        f"{len(settings.alert_urls)} channel(s) and {settings.alerts_db}"
    )
    os.execve(command[0], command, env)
