"""Set-up of the reliability tests: the session's embedded AWS with no fault on, names of each test's own,
a virtual clock for the retries, and the figures docs/reliability.md is written from.

The modules run in this process (module_runner) against the embedded AWS server, so the server's call log,
its fault layer and the in-process call log all see the same requests.
"""

import json
import os
import threading
import time
import zlib

import pytest

from tests.reliability.support import VirtualClock
from tests.reliability.support import stop_faults

# Set by tests/reliability/report.py: where the figures of this run are written.
FIGURES_ENV = "IAMKIT_RELIABILITY_FIGURES"


class Figures:
    """Counts the tests measure (requests injected, races run, policies proven, bad inputs refused)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}

    def add(self, key, amount=1):
        with self.lock:
            self.values[key] = self.values.get(key, 0) + amount

    def merge(self, key, counts):
        for name, amount in counts.items():
            self.add("%s: %s" % (key, name), amount)

    def record(self, key, value):
        with self.lock:
            self.values[key] = value


@pytest.fixture(scope="session")
def figures():
    collected = Figures()
    yield collected
    path = os.environ.get(FIGURES_ENV)
    if path:
        with open(path, "w") as handle:
            json.dump(collected.values, handle, indent=1, sort_keys=True)


@pytest.fixture
def fresh(embedded_aws):
    """The shared server with no fault switched on and empty logs. It is not reset (IAM then reloads AWS's
    managed policies, seconds per test): each test names what it makes after itself (see `unique`)."""
    stop_faults(embedded_aws)
    embedded_aws.reset_calls()
    embedded_aws.control("fault_stats", "DELETE")
    yield embedded_aws
    stop_faults(embedded_aws)


@pytest.fixture
def unique(request):
    """A name prefix of this test's own, valid in IAM names. The server is shared by the session, so the
    suffix comes from the test's whole node id (its parameters too, which the 40 readable characters may cut
    off); id(request) did not do, as a freed request's address is reused by a later test."""
    name = request.node.name.replace("test_", "", 1)
    readable = "".join(c if c.isalnum() else "-" for c in name)[:40]
    return "%s-%08x" % (readable, zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def virtual_clock(embedded_aws, monkeypatch):
    """A clock whose sleeps move the fault layer's clock instead of waiting. Modules take it as the clock of
    their retries and waits (module_runner(..., clock=virtual_clock)); botocore's own retry backoff, which
    sleeps through time.sleep, is sent to it too."""
    clock = VirtualClock(embedded_aws)
    monkeypatch.setattr(time, "sleep", clock.sleep)
    return clock
