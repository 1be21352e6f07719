"""Import Great Expectations without the two libraries it loads for features the gate never uses.

`import great_expectations` imports every core expectation, and one of them,
`expect_column_kl_divergence_to_be_less_than`, imports `scipy.stats` and `altair` at module level
(GX 1.24). On this 2-core machine a process that imports GX took 4.5 s with them and 3.1 s without
(farm-bench, median of 8, quiet machine; 65 MB less peak memory), paid by every process that
validates a load: each `nhs-warehouse build`, each Dagster run worker the daemon starts for an
event, each test that builds. No suite here uses that expectation, and Data Docs render without
charts, so both modules are put in `sys.modules` as stand-ins that import the real module on first
attribute access: code that does use them (a suite with the KL expectation, a notebook) still gets
the real thing, one import later. `tests/unit/test_gx_imports.py` checks both halves.

Python's own `importlib.util.LazyLoader` cannot do this on 3.11: the `import` statement reads the
module's `__spec__`, which makes a lazy module load at once.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

# Imported by GX at module level and used only by features no suite or Data Docs page here uses.
DEFERRED = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """Stands in for a module until something reads one of its attributes, then becomes it."""

    def __init__(self, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(spec.name)
        # Set, not looked up through __getattr__: the import system reads it on every `import`.
        self.__spec__ = spec

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        # Later reads through this stand-in (GX keeps it as a module global) find the real names.
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def defer_unused() -> None:
    """Put stand-ins for `DEFERRED` in place, unless a module was imported already."""
    for name in DEFERRED:
        if name not in sys.modules and (spec := importlib.util.find_spec(name)) is not None:
            sys.modules[name] = _Deferred(spec)


def import_gx() -> types.ModuleType:
    """`great_expectations`, imported with `DEFERRED` deferred and the DuckDB fix applied."""
    if "great_expectations" not in sys.modules:
        defer_unused()
    from dagster_project.validation import gx_duckdb

    gx_duckdb.apply()
    import great_expectations

    return great_expectations
