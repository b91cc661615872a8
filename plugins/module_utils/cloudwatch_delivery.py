# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an agent delivered to CloudWatch: metrics with data points, or log events, since a moment.

`ctl -a status` says only that the service runs and that a configuration was translated; only data arriving
in CloudWatch proves that credentials, region, network and permissions all work.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import time

# CloudWatch keeps one-minute data points; a period of a minute finds a single one.
PERIOD = 60


def parse_moment(text):
    """A moment given as ISO 8601 (`ctl -a status` writes 2024-05-01T10:00:00+0000) or epoch seconds."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.datetime.fromtimestamp(float(text), tz=_utc())
    except ValueError:
        pass
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.datetime.strptime(text.replace("Z", "+0000"), pattern)
        except ValueError:
            continue
    raise ValueError("since=%r is neither ISO 8601 (2024-05-01T10:00:00+0000) nor epoch seconds" % text)


def _utc():
    return datetime.timezone.utc


def metrics_since(cloudwatch, namespace, dimensions, since, now):
    """Names of the metrics in the namespace carrying all the given dimensions that have a data point at or
    after `since` (any, when since is None)."""
    filters = [{"Name": name, "Value": value} for name, value in sorted(dimensions.items())]
    found = set()
    for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace, Dimensions=filters):
        for metric in page["Metrics"]:
            if metric["MetricName"] in found:
                continue
            if since is None or _has_data(cloudwatch, namespace, metric, since, now):
                found.add(metric["MetricName"])
    return sorted(found)


def _has_data(cloudwatch, namespace, metric, since, now):
    end = now + datetime.timedelta(seconds=PERIOD)
    if since >= end:  # CloudWatch refuses a StartTime after the EndTime; nothing can have arrived yet
        return False
    answer = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName=metric["MetricName"], Dimensions=metric["Dimensions"],
        StartTime=since, EndTime=end, Period=PERIOD, Statistics=["SampleCount"],
    )
    return bool(answer["Datapoints"])


def log_events_since(logs, group, stream, since):
    """How many events (up to 10) the stream holds at or after `since`; 0 while the group or stream is missing."""
    params = dict(logGroupName=group, logStreamName=stream, startFromHead=True, limit=10)
    if since is not None:
        params["startTime"] = int(since.timestamp() * 1000)
    try:
        return len(logs.get_log_events(**params)["events"])
    except logs.exceptions.ResourceNotFoundException:
        return 0


def wait_for(check, timeout, delay, clock=time.monotonic, sleep=time.sleep):
    """check() until it returns something true or `timeout` seconds passed; (last result, seconds waited)."""
    started = clock()
    while True:
        result = check()
        waited = clock() - started
        if result or waited >= timeout:
            return result, waited
        sleep(min(delay, max(timeout - waited, 0)))
