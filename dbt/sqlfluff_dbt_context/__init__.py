"""What sqlfluff's jinja templater needs, beyond its dbt builtins (ref, source, config, var, this), to
render our models without dbt: `.sqlfluff` beside this folder loads it as the template context.

`adapter.dispatch` picks each macro's `duckdb__` or `default__` version, as dbt does on DuckDB (the
dialect macros: macros/dialect/README.md), so the linted SQL is the DuckDB SQL dbt compiles, not a
stand-in. `execute` is false, as in dbt's parse phase: macros that query the warehouse
(`changed_since`, `reference_moved`) render their no-warehouse branch.
"""

import datetime
from types import SimpleNamespace

from jinja2 import pass_context


class _Adapter:
    @staticmethod
    @pass_context
    def dispatch(context, macro_name, macro_namespace=None):
        for prefix in ("duckdb__", "default__"):
            if prefix + macro_name in context:
                return context[prefix + macro_name]
        raise LookupError(f"no duckdb__ or default__ version of macro {macro_name!r} for sqlfluff")

    @staticmethod
    def get_columns_in_relation(relation):
        return []  # no warehouse to read: as in dbt's parse phase, a model sees no columns

    @staticmethod
    def quote(identifier):
        return '"' + str(identifier).replace('"', '""') + '"'


adapter = _Adapter()
# dbt's cross-database type macros, spelt as dbt-duckdb compiles them.
dbt = SimpleNamespace(type_string=lambda: "varchar")
execute = False
target = SimpleNamespace(type="duckdb", name="dev", database="warehouse", schema="main")
run_started_at = datetime.datetime(2000, 1, 1)
model = SimpleNamespace(unique_id="model.nhs_warehouse.sqlfluff", name="sqlfluff")
