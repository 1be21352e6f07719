"""`make bench`: run every benchmark module in bench/ (each has a `main()`), one after another."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> int:
    failed = 0
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem in ("run", "__init__"):
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        if hasattr(module, "main"):
            print(f"== bench.{path.stem}", flush=True)
            failed += bool(module.main([]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
