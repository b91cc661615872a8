"""Tables, growth figures and targets from the measurements, as Markdown (printed and written to the doc)."""

import re
import statistics
from collections import Counter
from collections import OrderedDict

from benchmarks import throttled
from benchmarks.scenarios import AMAZON
from benchmarks.scenarios import FLOOR
from benchmarks.scenarios import IAMKIT

SCENARIO_TITLES = {
    1: "1. role + profile + association of 1 instance",
    2: "2. association of N instances",
    3: "3. check mode of scenario 1",
    4: "4. instance_role role over H hosts (amazon.aws: one task per host)",
    5: "5. first association of 1,000 instances under EC2's rate limits (iamkit.ec2 only)",
}
ASSOCIATION_TASK = "Associate the profile with the instances"


class Summary:
    """The repetitions of one (scenario, case, phase, contender): medians, and every problem seen."""

    def __init__(self, runs):
        self.runs = runs
        self.wall = statistics.median(run.wall for run in runs)
        self.calls = int(statistics.median(len(run.actions) for run in runs))
        self.writes = int(statistics.median(len(run.writes) for run in runs))
        task_walls = [run.task_wall for run in runs if run.task_wall is not None]
        self.task_wall = statistics.median(task_walls) if task_walls else None
        self.problems = [run.problem for run in runs if run.problem]
        # Calls barely vary between repetitions; show the breakdown of the run closest to the median.
        self.typical = min(runs, key=lambda run: abs(len(run.actions) - self.calls))

    @property
    def ok(self):
        return not self.problems

    def by_action(self):
        return Counter(self.typical.actions)

    def task_calls(self, name):
        return sum(len(task.get("actions", [])) for task in self.typical.tasks if task["name"] == name)


def summarise(results):
    grouped = OrderedDict()
    for run in results:
        grouped.setdefault(run.key, []).append(run)
    return OrderedDict((key, Summary(runs)) for key, runs in grouped.items())


def rows(summaries):
    """(scenario, case, phase) in the order they were measured."""
    seen = OrderedDict()
    for scenario, case, phase, _contender in summaries:
        seen[(scenario, case, phase)] = True
    return list(seen)


def _ratio(theirs, ours, digits=1):
    if theirs is None or ours is None:
        return "n/a"
    if ours == 0:
        return "-" if theirs == 0 else "inf"
    return "%.*fx" % (digits, theirs / ours)


def _cell(summary, what):
    if summary is None:
        return "n/a"
    flag = "" if summary.ok else " FAILED"
    if what == "calls":
        return "%d (%d w)%s" % (summary.calls, summary.writes, flag)
    if summary.task_wall is None:
        return "%.2f s" % summary.wall
    return "%.2f s (tasks %.2f)" % (summary.wall, summary.task_wall)


def main_table(summaries):
    head = ("| Scenario | Case | Run | iamkit.ec2 calls | iamkit.ec2 time | amazon.aws calls | amazon.aws time "
            "| calls ratio | time ratio | floor calls | floor time | iamkit.ec2 over floor |")
    lines = [head, "|" + "---|" * 12]
    for scenario, case, phase in rows(summaries):
        ours = summaries.get((scenario, case, phase, IAMKIT))
        theirs = summaries.get((scenario, case, phase, AMAZON))
        base = summaries.get((scenario, case, phase, FLOOR))
        comparable = ours and theirs and ours.ok and theirs.ok
        ratio_calls = _ratio(theirs.calls, ours.calls) if comparable else "n/a"
        ratio_time = _ratio(theirs.wall, ours.wall) if comparable else "n/a"
        over = "%.2f s" % (ours.wall - base.wall) if ours and base else "n/a"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            scenario, case, phase, _cell(ours, "calls"), _cell(ours, "time"), _cell(theirs, "calls"),
            _cell(theirs, "time"), ratio_calls, ratio_time, _cell(base, "calls"), _cell(base, "time"), over))
    return "\n".join(lines)


def _size(case):
    return int(case.split("=", 1)[1])


def growth_table(summaries, scenario=2):
    """Calls and time added per extra instance between consecutive sizes, per contender and phase."""
    cases = [c for s, c, p in rows(summaries) if s == scenario and p == "first"]
    phases = [p for s, c, p in rows(summaries) if s == scenario and c == (cases[0] if cases else None)]
    if len(cases) < 2:
        return ""
    lines = ["| Run | From | To | iamkit.ec2 calls/instance | iamkit.ec2 ms/instance | amazon.aws calls/instance "
             "| amazon.aws ms/instance | floor ms/instance |", "|" + "---|" * 8]
    for phase in phases:
        for low, high in zip(cases, cases[1:]):
            cells = []
            for contender in (IAMKIT, AMAZON, FLOOR):
                a = summaries.get((scenario, low, phase, contender))
                b = summaries.get((scenario, high, phase, contender))
                step = _size(high) - _size(low)
                if not (a and b and a.ok and b.ok):
                    cells.append(("n/a", "n/a"))
                    continue
                cells.append(("%.2f" % ((b.calls - a.calls) / step), "%.0f" % ((b.wall - a.wall) * 1000 / step)))
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                phase, low, high, cells[0][0], cells[0][1], cells[1][0], cells[1][1], cells[2][1]))
    return "\n".join(lines)


def breakdown(summaries):
    """Per row and contender, the calls by action (and for iamkit.ec2, per task where tasks were recorded)."""
    lines = []
    for scenario, case, phase in rows(summaries):
        lines.append("- **s%s %s, %s**" % (scenario, case, phase))
        for contender in (IAMKIT, AMAZON, FLOOR):
            summary = summaries.get((scenario, case, phase, contender))
            if summary is None:
                continue
            counted = sorted(summary.by_action().items(), key=lambda item: (-item[1], item[0]))
            actions = ", ".join("%s %d" % item for item in counted)
            lines.append("  - %s: %s" % (contender, actions or "no calls"))
            tasks = [t for t in summary.typical.tasks if t.get("actions")]
            if tasks and contender == IAMKIT:
                lines.append("    - per task: " + "; ".join("%s: %d" % (t["name"], len(t["actions"])) for t in tasks))
    return "\n".join(lines)


def _general(problem):
    """The problem without the run's own resource names, so that repetitions of one failure count as one."""
    return re.sub(r"bench-s\d-[a-z]{2}-\d+-(role|profile)", r"<\1>", problem)


def problems(summaries):
    lines = []
    for (scenario, case, phase, contender), summary in summaries.items():
        seen = [_general(problem) for problem in summary.problems]
        for problem in sorted(set(seen)):
            lines.append("- s%s %s %s, %s (%d of %d runs): %s" % (
                scenario, case, phase, contender, seen.count(problem), len(summary.runs), problem))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- targets

def _target(label, passed, measured):
    if passed is None:
        return "- [not measured] %s (%s)" % (label, measured)
    return "- [%s] %s (measured: %s)" % ("PASS" if passed else "FAIL", label, measured)


def targets(summaries):
    get = summaries.get
    lines = []

    noop = get((1, "1 instance", "no-op", IAMKIT))
    if noop:
        association = noop.task_calls(ASSOCIATION_TASK)
        lines.append(_target("s1 no-op: at most 5 calls, at most 2 for the association (amazon.aws: 27)",
                             noop.ok and noop.calls <= 5 and association <= 2,
                             "%d calls, %d for the association%s" % (noop.calls, association, _amazon(get, (
                                 1, "1 instance", "no-op")))))
    else:
        lines.append(_target("s1 no-op: at most 5 calls", None, "scenario 1 not run"))

    for case, summary in _cases(summaries, 2, "no-op", IAMKIT):
        limit = 4 if _size(case) <= 200 else 6
        lines.append(_target("s2 no-op %s: at most %d calls" % (case, limit), summary.ok and summary.calls <= limit,
                             "%d calls%s" % (summary.calls, _amazon(get, (2, case, "no-op")))))

    for phase, factor in (("no-op", 15), ("first", 8)):
        lines.append(_speed_target(get, phase, factor))

    checks = _cases(summaries, 3, "check mode", IAMKIT)
    if checks:
        writes = dict((case, summary.writes) for case, summary in checks)
        theirs = dict((case, s.writes) for case, s in _cases(summaries, 3, "check mode", AMAZON))
        passed = all(max(len(r.writes) for r in summary.runs) == 0 for _case, summary in checks)
        failed = ["%s: %s" % (case, s.problems[0]) for case, s in checks if not s.ok]
        lines.append(_target("s3 check mode: zero writes", passed, "iamkit.ec2 writes %s; amazon.aws writes %s%s" % (
            writes, theirs, "; but iamkit.ec2's check run failed (%s)" % "; ".join(failed) if failed else "")))
    else:
        lines.append(_target("s3 check mode: zero writes", None, "scenario 3 not run"))
    return "\n".join(lines)


def _cases(summaries, scenario, phase, contender):
    return [(case, summary) for (s, case, p, c), summary in summaries.items()
            if s == scenario and p == phase and c == contender]


def _amazon(get, row):
    theirs = get(row + (AMAZON,))
    if theirs is None:
        return ""
    return "; amazon.aws %d calls%s" % (theirs.calls, "" if theirs.ok else ", FAILED")


def _speed_target(get, phase, factor):
    label = "s2 %s N=200: at least %dx faster than amazon.aws" % (phase, factor)
    ours, theirs = get((2, "N=200", phase, IAMKIT)), get((2, "N=200", phase, AMAZON))
    if not (ours and theirs):
        return _target(label, None, "N=200 not run")
    ratio = theirs.wall / ours.wall
    measured = "%.1fx: iamkit.ec2 %.2f s / %d calls, amazon.aws %.2f s / %d calls%s" % (
        ratio, ours.wall, ours.calls, theirs.wall, theirs.calls, "" if theirs.ok else " (amazon.aws FAILED)")
    if ours.task_wall and theirs.task_wall:
        measured += "; inside the tasks, without ansible-playbook's start-up: %.1fx (%.2f s vs %.2f s)" % (
            theirs.task_wall / ours.task_wall, ours.task_wall, theirs.task_wall)
    return _target(label, ours.ok and ratio >= factor, measured)


# --------------------------------------------------------------------------------------------- document

def document(summaries, meta):
    parts = [
        "# Benchmarks: iamkit.ec2 against amazon.aws",
        "",
        "Written by `make bench` (`benchmarks/run.py`%s); re-run it and commit this file when the figures change. "
        "It is a measurement, not a test: it never fails, it reports each target as PASS or FAIL." % meta["flags"],
        "",
        "- Date: %s" % meta["date"],
        "- Versions: ansible-core %s, amazon.aws %s, boto3 %s, botocore %s, moto %s, Python %s" % (
            meta["ansible_core"], meta["amazon_aws"], meta["boto3"], meta["botocore"], meta["moto"], meta["python"]),
        "- Machine: %s cores, %s, %s" % (meta["nproc"], meta["cpu"], meta["os"]),
        "- Repetitions per figure: %s; wall time is the median, calls the median count. "
        "Total run time: %.0f s%s." % (meta["reps"], meta["elapsed"], meta["duration_note"]),
        "",
        "## How it is measured",
        "",
        "All three contenders run in the same process tree against one embedded AWS (moto server on 127.0.0.1 with "
        "the `aws_fidelity` extension: MaxResults honoured, more than 200 filter values refused, replace on a "
        "stopped instance refused, DescribeInstances showing the new profile after a replace, as AWS does). "
        "Playbooks are run with `ansible-playbook` as a user would (one process per run, local connection); "
        "calls are counted at the endpoint, by action, between the start and the end of the run. "
        "Every run starts from a state made outside the measured window and is checked afterwards; "
        "no-op runs must make no write and report no change. The *boto3 floor* makes the calls a converge needs "
        "directly with boto3 in one Python process (reads, then sequential writes); the last column is the part of "
        "iamkit.ec2's time that is module start-up, Ansible and waiting rather than AWS calls.",
        "",
        "Calls are shown as `total (writes)`; ratios are amazon.aws / iamkit.ec2 (higher is better for "
        "iamkit.ec2). Times are the whole `ansible-playbook` run, with the time spent inside its tasks (without "
        "Ansible's start-up) in brackets. Wall times on a shared 2-core machine are noisy; the call counts are "
        "exact.",
        "",
        "## Results",
        "",
        main_table(summaries),
        "",
    ]
    growth = growth_table(summaries)
    if growth:
        parts += ["## How it grows with N (scenario 2)", "",
                  "Added cost per extra instance between two sizes: about one write per instance on a first or "
                  "replace run, nothing on a no-op run.", "", growth, ""]
    parts += ["## Targets (issue 8)", "", targets(summaries), ""]
    parts += throttled.section(meta.get("throttled"))
    failed = problems(summaries)
    parts += ["## Failed runs", "", failed or "None: every run left AWS as asked.", ""]
    parts += ["## Calls by action", "", breakdown(summaries), ""]
    parts += ["## Notes", ""] + ["- " + note for note in meta["notes"]] + [""]
    return "\n".join(parts)
