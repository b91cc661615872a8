"""Scenario 5: the first association of 1,000 instances while the embedded AWS throttles EC2 the way AWS
documents its token buckets (mutating actions: 50 tokens refilled at 5 per second; non-mutating: 100 at 20),
with the refill rates scaled up so the run stays short.

The time of the AWS work is measured at the endpoint, from the first AssociateIamInstanceProfile it answered
to the last one it accepted; the floor is what the buckets allow at best, (N - 50) / mutating refill rate:
the first 50 writes take the full bucket at once, every later one waits for a token.
"""

import time

from benchmarks import fixtures
from benchmarks import playbook

ASSOCIATE = "AssociateIamInstanceProfile"
MUTATING_BUCKET, MUTATING_REFILL = 50, 5.0


def measure(aws, folder, size=1000, scale=5, log=print):
    """One throttled first run of the collection's association module; the figures as a dict."""
    role, profile = "bench-s5-role", "bench-s5-profile"
    aws.reset()
    fixtures.make_identity(aws, role, profile)
    log("  s5 making %d instances" % size)
    instance_ids = fixtures.make_instances(aws, size)
    aws.control("rate_limits", "POST", {"scale": scale})
    aws.control("fault_stats", "DELETE")
    aws.reset_calls()
    started = time.monotonic()
    try:
        problem, _tasks = playbook.run(aws, folder, "association_iamkit",
                                       {"bench_profile": profile, "bench_instance_ids": instance_ids})
    finally:
        wall = time.monotonic() - started
        aws.control("rate_limits", "DELETE")
    calls = aws.calls()
    problem = problem or fixtures.associated_with(aws, instance_ids, profile)
    writes = [c for c in calls if c["action"] == ASSOCIATE]
    accepted = [c["time"] for c in writes if c["status"] == 200]
    refill = MUTATING_REFILL * scale
    floor = (size - MUTATING_BUCKET) / refill
    work = (max(accepted) - min(c["time"] for c in writes)) if accepted else None
    figures = {
        "size": size, "scale": scale, "refill": refill, "floor": floor, "aws_work": work,
        "ratio": (work / floor) if work else None, "wall": wall, "calls": len(calls),
        "throttled": sum(1 for c in calls if c["status"] == 503), "writes": len(writes),
        "accepted": len(accepted), "problem": problem,
    }
    log("  s5 N=%d scale %s: AWS work %.2f s, floor %.2f s, %.2fx; %d writes (%d throttled); %s" % (
        size, scale, work or 0, floor, figures["ratio"] or 0, len(writes), figures["throttled"], problem or "ok"))
    return figures


def section(figures):
    """The Markdown section of docs/benchmarks.md for scenario 5."""
    if not figures:
        return []
    lines = ["## Scenario 5: 1,000 instances under EC2's request rate limits", "",
             "The embedded AWS throttles EC2 with AWS's documented token buckets (mutating 50 tokens refilled at 5/s, "
             "non-mutating 100 at 20/s), refill rates scaled by %s; a request that finds its bucket empty gets "
             "RequestLimitExceeded (HTTP 503). The time of the AWS work runs from the first "
             "AssociateIamInstanceProfile to the last one accepted, at the endpoint; the floor is (N - 50) / refill "
             "rate." % figures["scale"], "",
             "| N | refill (writes/s) | floor | AWS work | over floor | writes sent | throttled | whole run | result |",
             "|---|---|---|---|---|---|---|---|---|",
             "| %d | %.0f | %.2f s | %s | %s | %d | %d | %.2f s | %s |" % (
                 figures["size"], figures["refill"], figures["floor"],
                 "%.2f s" % figures["aws_work"] if figures["aws_work"] else "n/a",
                 "%.2fx" % figures["ratio"] if figures["ratio"] else "n/a", figures["writes"], figures["throttled"],
                 figures["wall"], figures["problem"] or "all associated"), "",
             "- [%s] s5 AWS work within 1.10x of the floor (measured: %s)" % (
                 "PASS" if figures["ratio"] and figures["ratio"] <= 1.10 else "FAIL",
                 "%.2fx" % figures["ratio"] if figures["ratio"] else "n/a"), ""]
    return lines
