"""GX imported through validation/gx_imports.py leaves scipy.stats and altair unloaded until used."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import json, sys
    if sys.argv[1] == "deferred":
        from dagster_project.validation.gx_imports import import_gx
        gx = import_gx()
    else:
        import great_expectations as gx
    loaded = lambda: {"scipy.stats": "scipy.stats._stats_py" in sys.modules, "altair": "altair.vegalite" in sys.modules}
    after_import = loaded()
    # The one GX module that uses them, through the names it bound at import.
    from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
    entropy = float(kl.stats.entropy([0.5, 0.5], [0.9, 0.1]))
    chart = kl.alt.Chart.__module__
    print(json.dumps({"after_import": after_import, "after_use": loaded(), "entropy": round(entropy, 6), "chart": chart,
                      "real_module": type(sys.modules["scipy.stats"]).__name__}))
    """
)


def _probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_plain_gx_import_loads_scipy_stats_and_altair():
    # If GX stops importing them at package import, this fails: then gx_imports.py can go.
    assert _probe("plain")["after_import"] == {"scipy.stats": True, "altair": True}


def test_gx_through_import_gx_defers_them_and_they_still_work_when_used():
    result = _probe("deferred")
    assert result["after_import"] == {"scipy.stats": False, "altair": False}
    # Used through the stand-ins GX holds: the real modules load and answer.
    assert result["after_use"] == {"scipy.stats": True, "altair": True}
    assert result["entropy"] == 0.510826  # KL(0.5,0.5 || 0.9,0.1) in nats
    assert result["chart"].startswith("altair.")
    assert result["real_module"] == "module"
