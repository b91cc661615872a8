# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: which API calls each task made, and how long it took, written as JSON.

The embedded AWS logs every request it answers; reading the log's length when each task starts splits the
playbook's calls between its tasks without adding any AWS call of its own (the log is not an AWS endpoint).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_calls
type: aggregate
short_description: Per-task API calls and wall time for the iamkit.ec2 benchmarks
description:
  - Reads the embedded AWS call log at every task start and at the end of the playbook, and writes per task
    the actions called, the wall time, how many hosts changed and failed, to the file named by
    E(IAMKIT_BENCH_TASKS_FILE).
requirements:
  - the embedded AWS call log, at E(IAMKIT_BENCH_CALLS_URL)
"""

import json
import os
import time
import urllib.request

from ansible.plugins.callback import CallbackBase


def _call_log(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read() or b"[]")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_calls"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.url = os.environ.get("IAMKIT_BENCH_CALLS_URL")
        self.path = os.environ.get("IAMKIT_BENCH_TASKS_FILE")
        self.tasks = []
        self.seen = 0

    def _close_task(self):
        if not self.url or not self.tasks:
            return
        calls = _call_log(self.url)
        current = self.tasks[-1]
        current["actions"] = [call["action"] for call in calls[self.seen:]]
        current["wall"] = time.monotonic() - current.pop("started")
        self.seen = len(calls)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        if self.url and not self.tasks:
            # Calls made before the first task (none expected) are not any task's.
            self.seen = len(_call_log(self.url))
        self.tasks.append({"name": task.get_name(), "started": time.monotonic(), "changed": 0, "failed": 0,
                           "ok": 0, "skipped": 0})

    def v2_runner_on_ok(self, result):
        if self.tasks:
            self.tasks[-1]["changed" if result._result.get("changed") else "ok"] += 1

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if self.tasks:
            self.tasks[-1]["failed"] += 1
            self.tasks[-1].setdefault("errors", []).append(str(result._result.get("msg", ""))[:300])

    def v2_runner_on_unreachable(self, result):
        self.v2_runner_on_failed(result)

    def v2_runner_on_skipped(self, result):
        if self.tasks:
            self.tasks[-1]["skipped"] += 1

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        if self.path:
            with open(self.path, "w") as handle:
                json.dump(self.tasks, handle)
