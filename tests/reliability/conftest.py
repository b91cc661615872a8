"""Shared set-up of the reliability tests: one embedded AWS per session (faults on), one with IAM enforced,
a virtual clock for the retries, and the figures docs/reliability.md is written from.

The modules run in this process (conftest's module_runner) against the embedded AWS server, so the server's
call log, its fault layer and the in-process call log all see the same requests.
"""

import json
import os
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from embedded_aws import EmbeddedAWS  # noqa: E402
from reliability_support import VirtualClock  # noqa: E402
from reliability_support import stop_faults  # noqa: E402

EXTENSIONS = ["aws_fidelity", "faults"]
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


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    aws = EmbeddedAWS.start(str(tmp_path_factory.mktemp("reliability") / "aws.json"), extensions=EXTENSIONS)
    yield aws
    aws.stop()


@pytest.fixture(scope="session")
def enforced(tmp_path_factory):
    """A server that checks every request against the caller's IAM policies (never reset: the admin would go)."""
    aws = EmbeddedAWS.start(str(tmp_path_factory.mktemp("enforced") / "aws.json"), enforce_iam=True,
                            extensions=EXTENSIONS)
    yield aws
    aws.stop()


@pytest.fixture
def aws():
    """No in-process moto here: module_runner's modules talk to the embedded AWS server instead."""
    return None


@pytest.fixture
def fresh(server):
    """The shared server with no fault switched on and empty logs. It is not reset (IAM then reloads AWS's
    managed policies, seconds per test): each test names what it makes after itself (see `unique`)."""
    stop_faults(server)
    server.reset_calls()
    server.control("fault_stats", "DELETE")
    yield server
    stop_faults(server)


@pytest.fixture
def unique(request):
    """A name prefix of this test's own, valid in IAM names."""
    name = request.node.name.replace("test_", "", 1)
    return "".join(c if c.isalnum() else "-" for c in name)[:40] + "-%d" % (id(request) % 10000)


@pytest.fixture
def virtual_clock(server, monkeypatch):
    """Every sleep of the modules' retries and waits, and botocore's, runs on a virtual clock."""
    from ansible_collections.iamkit.ec2.plugins.module_utils import iam_instance_profile
    from ansible_collections.iamkit.ec2.plugins.module_utils import instance_profile_association
    from ansible_collections.iamkit.ec2.plugins.module_utils import retry

    clock = VirtualClock(server)
    # The retry helpers bind time.sleep/time.monotonic as defaults when defined, so their defaults change here.
    monkeypatch.setattr(retry.retry_while, "__defaults__", (1.0, 10.0, clock.sleep, clock.now))
    monkeypatch.setattr(retry.wait_until, "__defaults__", (1.0, 5.0, clock.sleep, clock.now))
    monkeypatch.setattr(instance_profile_association.ensure, "__defaults__", (False, clock.sleep))
    monkeypatch.setattr(instance_profile_association.Writer.__init__, "__defaults__", (None, 120, clock.sleep))
    monkeypatch.setattr(instance_profile_association.wait_for_associated, "__defaults__", (clock.sleep,))
    monkeypatch.setattr(iam_instance_profile, "sleep", clock.sleep)
    # botocore's retry backoff and its waiters call time.sleep when they run.
    monkeypatch.setattr(time, "sleep", clock.sleep)
    return clock
