"""A BI-like reader in its own process: queries `serving/marts.duckdb` in a loop until told to stop.

    python -m tests.support.serving_reader DB OUT STOP --mode hold|reconnect

`hold` opens the file once and keeps that connection across publishes (a dashboard with a pooled
connection); `reconnect` opens, queries and closes each time (a BI tool without a pool). Every
answer, or error, is one JSON line in OUT, flushed as it happens so the test can watch progress.
The loop ends when the file STOP exists.
"""

from __future__ import annotations

import json
import os
import sys
import time

import duckdb

# One statement that spans several marts, so an answer mixing two publications would show: the
# version comes from the serving file, the figures from the Parquet its views point at, and the
# provider and regional marts must agree with each other and with the month dimension.
FINGERPRINT_SQL = """
select
    (select version from _publication) as version,
    (select count(*) from fct_ae_provider_month) as provider_rows,
    (select count(distinct month_start) from fct_ae_provider_month) as provider_months,
    (select count(*) from dim_month) as calendar_months,
    (select count(*) from mart_uec_region_month) as region_rows,
    (select cast(max(month_start) as varchar) from mart_uec_region_month) as last_month,
    (select sum(dta_waits_over_12h) from mart_uec_region_month where is_england) as england_12h_waits,
    (select sum(dta_waits_over_12h) from fct_ae_provider_month) as provider_12h_waits
"""
COLUMNS = [
    "version",
    "provider_rows",
    "provider_months",
    "calendar_months",
    "region_rows",
    "last_month",
    "england_12h_waits",
    "provider_12h_waits",
]
PAUSE_S = 0.1  # a dashboard's pace; a tight loop would starve the build under test of CPU
# One thread per reader for the same reason; locking and versioning do not depend on it.
CONFIG = {"threads": 1}


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict:
    row = con.execute(FINGERPRINT_SQL).fetchone()
    return {c: v if v is None or isinstance(v, (str, int)) else int(v) for c, v in zip(COLUMNS, row, strict=True)}


def main(db: str, out: str, stop: str, mode: str) -> None:
    held = duckdb.connect(db, read_only=True, config=CONFIG) if mode == "hold" else None
    with open(out, "a", buffering=1) as sink:
        sink.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
        while not os.path.exists(stop):
            started = time.time()
            try:
                if held is not None:
                    answer = fingerprint(held)
                else:
                    con = duckdb.connect(db, read_only=True, config=CONFIG)
                    try:
                        answer = fingerprint(con)
                    finally:
                        con.close()
                sink.write(json.dumps({"t": started, "answer": answer}) + "\n")
            except Exception as exc:  # every failure is a finding: record it and keep reading
                sink.write(json.dumps({"t": started, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
            time.sleep(PAUSE_S)
    if held is not None:
        held.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    mode = "reconnect"
    if "--mode" in args:
        i = args.index("--mode")
        mode = args[i + 1]
        del args[i : i + 2]
    main(*args, mode=mode)
