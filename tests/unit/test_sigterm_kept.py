"""An in-process Dagster run leaves SIGTERM as it found it (runner.sigterm_kept), even in a process
whose SIGINT is ignored, as it is in anything a shell starts in the background (CI included)."""

from __future__ import annotations

import signal

import pytest
from dagster._utils.interrupts import capture_interrupts

from dagster_project.runner import sigterm_kept


@pytest.fixture
def sigint_ignored():
    sigint, sigterm = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, sigint)
        signal.signal(signal.SIGTERM, sigterm)


def test_dagster_alone_leaves_sigterm_ignored(sigint_ignored):
    # What the workaround is for. If this fails, Dagster restores SIGTERM itself now and
    # runner.sigterm_kept can be removed.
    with capture_interrupts():
        pass
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN


def test_a_run_inside_sigterm_kept_leaves_sigterm_as_it_was(sigint_ignored):
    with sigterm_kept():
        with capture_interrupts():
            pass
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
