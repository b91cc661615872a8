#!/usr/bin/env python
"""Writes docs/reliability.md from the figures a run of tests/reliability measures, and docs/permissions.md from
the tested policies (tests/reliability/permissions.py).

    python -m tests.reliability.report            # runs the tests, then writes both pages
    python -m tests.reliability.report --figures FILE   # writes them from figures already measured
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from tests.reliability.permissions import AGENT_ACTIONS
from tests.reliability.permissions import POLICIES
from tests.reliability.permissions import ROLE_POLICIES
from tests.reliability.permissions import UNCHECKED
from tests.reliability.permissions import policy_document
from tests.support.paths import ROOT


def measure():
    """Run the reliability tests with figures on; return (figures, pytest's summary line)."""
    handle, path = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    env = dict(os.environ, IAMKIT_RELIABILITY_FIGURES=path)
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider"],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    with open(path) as figures_file:
        figures = json.load(figures_file) if os.path.getsize(path) else {}
    os.remove(path)
    return figures, summary


def total(figures, prefix):
    return sum(v for k, v in figures.items() if k.startswith(prefix) and isinstance(v, int))


def reliability_page(figures, summary):
    lines = [
        "# Reliability and security: measured",
        "",
        "Written by `python tests/reliability/report.py` from one run of `tests/reliability` against the embedded",
        "AWS (moto) with the `faults` extension (tests/support/faults.py). Do not edit by hand.",
        "",
        "Test run: `%s`" % summary,
        "",
        "| Figure | Value |",
        "| --- | --- |",
        "| Converges with 20%% of requests failing (Throttling/RequestLimitExceeded HTTP 400, or 503) | %d runs |"
        % figures.get("share runs", 0),
        "| Requests in those runs / answered with an injected error, all survived | %d / %d |"
        % (figures.get("share requests", 0), total(figures, "share injected")),
        "| Converges with a %s s IAM propagation delay | %d runs, %d requests refused as not yet propagated |"
        % (figures.get("propagation delay seconds", 30), figures.get("propagation runs", 0),
           total(figures, "propagation injected")),
        "| Converges with both at once | %d runs, %d injected errors |"
        % (figures.get("combined runs", 0), total(figures, "combined injected")),
        "| Races run (two ansible-playbook runs at once) / raced writes / races lost and handled | %d / %d / %d |"
        % (figures.get("races run", 0), figures.get("raced writes", 0), figures.get("races lost and handled", 0)),
        "| Policies proven enough (one per module) | %d |" % figures.get("policies proven", 0),
        "| Actions proven needed (removed one at a time: the module fails naming it) | %d |"
        % figures.get("actions proven needed", 0),
        "| Bad inputs refused before any AWS call (modules) | %d |"
        % figures.get("bad inputs refused (modules, before any call)", 0),
        "| Inputs naming nothing, refused with no write (modules) | %d |"
        % figures.get("bad inputs refused (modules, after reading)", 0),
        "| Wrong role variables refused before any task | %d |" % figures.get("bad inputs refused (roles)", 0),
        "| Nothing-lost checks | %d |" % figures.get("nothing-lost checks", 0),
        "| -vvv runs scanned for secret values | %d |" % figures.get("secret scans (-vvv)", 0),
        "| Tampered agent package/signature/key refused before install | %d |"
        % figures.get("tampered agent files refused", 0),
        "",
        "Injected errors by kind and action:",
        "",
    ]
    for key in sorted(k for k in figures if "injected:" in k):
        lines.append("- %s: %d" % (key, figures[key]))
    lines.append("")
    return "\n".join(lines)


def permissions_page():
    lines = [
        "# Permissions: the minimal IAM policy of each module and role",
        "",
        "Written by `python tests/reliability/report.py` from tests/reliability/permissions.py, the policies the",
        "least-privilege tests prove: each module runs with exactly its policy under moto's enforced authorization,",
        "and fails naming the action when any one action is removed. Each module's notes list the same actions.",
        "",
        "Not checked by moto, so documented rather than tested:",
        "",
    ]
    lines += ["- `%s`: %s" % (action, why) for action, why in sorted(UNCHECKED.items())]
    lines += [
        "- Condition blocks: moto ignores them. To narrow the policies below, scope `Resource` to your roles and",
        "  profiles (`arn:aws:iam::<account>:role/<path>*`, `...:instance-profile/<path>*`) and instances",
        "  (`arn:aws:ec2:<region>:<account>:instance/*`), and use `iam:PassedToService: ec2.amazonaws.com` on",
        "  iam:PassRole.",
        "- `sts:GetCallerIdentity` needs no permission on AWS.",
        "",
    ]
    for module in sorted(POLICIES):
        lines += ["## %s" % module, "", "```json", json.dumps(json.loads(policy_document(POLICIES[module])), indent=2),
                  "```", ""]
    for role, actions in sorted(ROLE_POLICIES.items()):
        lines += ["## role %s (on the controller)" % role, "", "```json",
                  json.dumps(json.loads(policy_document(actions + ["iam:PassRole"])), indent=2), "```", ""]
    lines += [
        "## role cloudwatch_agent",
        "",
        "On the controller: the policy of role instance_role above (it runs instance_role). On the instances: AWS's",
        "managed `CloudWatchAgentServerPolicy`, which the role attaches to the instance role:",
        "",
        ", ".join("`%s`" % a for a in AGENT_ACTIONS),
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--figures", help="figures JSON from an earlier run (skips running the tests)")
    args = parser.parse_args(argv)
    if args.figures:
        with open(args.figures) as handle:
            figures, summary = json.load(handle), "(figures from %s)" % args.figures
    else:
        figures, summary = measure()
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "reliability.md"), "w") as handle:
        handle.write(reliability_page(figures, summary))
    with open(os.path.join(ROOT, "docs", "permissions.md"), "w") as handle:
        handle.write(permissions_page())
    print(summary)


if __name__ == "__main__":
    main()
