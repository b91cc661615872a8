#!/usr/bin/env python
"""What arrived in CloudWatch, for verify playbooks (there is no amazon.aws module that reads metrics or log events).

    cloudwatch_seen.py metrics --namespace CWAgent --dimension InstanceId=i-0123
    cloudwatch_seen.py log --group G --stream S --contains TEXT

Prints JSON: the metric names carrying that dimension, or the matching log messages. Exits 1 when nothing
matched yet, so a task can retry until it did. Credentials, region and endpoint come from the environment
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL), as for any AWS SDK.
"""

import argparse
import json
import sys

import boto3


def metrics(namespace, dimension):
    name, value = dimension.split("=", 1)
    cloudwatch = boto3.client("cloudwatch")
    found = []
    for page in cloudwatch.get_paginator("list_metrics").paginate(
            Namespace=namespace, Dimensions=[{"Name": name, "Value": value}]):
        found.extend(metric["MetricName"] for metric in page["Metrics"])
    return sorted(set(found))


def log_lines(group, stream, contains):
    logs = boto3.client("logs")
    try:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [event["message"] for event in events if contains in event["message"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="what", required=True)
    metric_parser = sub.add_parser("metrics")
    metric_parser.add_argument("--namespace", required=True)
    metric_parser.add_argument("--dimension", required=True, help="Name=Value")
    log_parser = sub.add_parser("log")
    log_parser.add_argument("--group", required=True)
    log_parser.add_argument("--stream", required=True)
    log_parser.add_argument("--contains", required=True)
    args = parser.parse_args(argv)
    if args.what == "metrics":
        seen = metrics(args.namespace, args.dimension)
    else:
        seen = log_lines(args.group, args.stream, args.contains)
    print(json.dumps(seen))
    return 0 if seen else 1


if __name__ == "__main__":
    sys.exit(main())
