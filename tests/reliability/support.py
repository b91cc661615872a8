"""Helpers the reliability tests share."""

import threading
import time

from tests.support.embedded_aws import is_write


def stop_faults(server):
    server.faults_off()


def server_writes(server):
    return [c["action"] for c in server.calls() if is_write(c["action"])]


def connection(server, **extra):
    args = dict(endpoint_url=server.endpoint, access_key=server.access_key, secret_key=server.secret_key)
    args.update(extra)
    return args


class VirtualClock:
    """Sleeps that move the fault layer's clock instead of waiting, so a 30 s delay costs no wall time."""

    def __init__(self, server):
        self.server = server
        self.offset = 0.0
        self.lock = threading.Lock()
        self.slept = 0.0

    def now(self):
        return time.monotonic() + self.offset

    def sleep(self, seconds):
        with self.lock:
            self.offset += seconds
            self.slept += seconds
        self.server.control("fault_clock", "POST", {"advance": seconds})
