"""The validation gate: Great Expectations suites (one per raw table) run before data is published."""
