"""The four scenarios of issue 8, each run for iamkit.ec2, for amazon.aws and for the boto3 floor.

Every measured run starts from a known state made outside the measured window, and is checked afterwards:
a run that did not leave AWS as asked is reported as failed beside its figures, never hidden.
Repetitions interleave the three contenders so that a slow moment of the machine does not fall on one only.
"""

import time

from benchmarks import fixtures
from benchmarks import floor
from benchmarks import playbook

IAMKIT, AMAZON, FLOOR = "iamkit.ec2", "amazon.aws", "boto3 floor"
CONTENDERS = (IAMKIT, AMAZON, FLOOR)
PLAYBOOK_SUFFIX = {IAMKIT: "iamkit", AMAZON: "amazon_aws"}
SHORT = {IAMKIT: "ik", AMAZON: "aa", FLOOR: "fl"}
# From these sizes on, one amazon.aws run takes a minute or more (see Context.contenders).
LONG_N, LONG_H = 200, 50


class Measurement:
    """One measured run: wall time, the actions the endpoint answered, and what went wrong ('' if nothing)."""

    def __init__(self, scenario, case, phase, contender, wall, actions, problem, tasks):
        self.scenario, self.case, self.phase, self.contender = scenario, case, phase, contender
        self.wall, self.actions, self.problem, self.tasks = wall, actions, problem, tasks

    def to_dict(self):
        return dict(scenario=self.scenario, case=self.case, phase=self.phase, contender=self.contender,
                    wall=self.wall, actions=self.actions, problem=self.problem, tasks=self.tasks)

    @classmethod
    def from_dict(cls, data):
        return cls(data["scenario"], data["case"], data["phase"], data["contender"], data["wall"],
                   data["actions"], data["problem"], data["tasks"])

    @property
    def key(self):
        return (self.scenario, self.case, self.phase, self.contender)

    @property
    def writes(self):
        return fixtures.writes(self.actions)

    @property
    def task_wall(self):
        """Time inside the playbook's tasks, without ansible-playbook's start-up (None for the floor)."""
        if not self.tasks:
            return None
        return sum(task.get("wall", 0.0) for task in self.tasks)


class Context:
    def __init__(self, aws, folder, pool, reps, long_reps=1, log=print):
        self.aws, self.folder, self.pool, self.reps, self.log = aws, folder, pool, reps, log
        self.long_reps = long_reps
        self.results = []
        # Figures of scenarios measured in their own shape (scenario 5), by name.
        self.extra = {}
        self.serial = 0

    def contenders(self, rep, long_for_amazon=False):
        """Who runs in repetition `rep`: amazon.aws's long cases (minutes each) run `long_reps` times only,
        which keeps the full run near a quarter of an hour; their length makes one run's noise small."""
        if long_for_amazon and rep >= self.long_reps:
            return [c for c in CONTENDERS if c != AMAZON]
        return list(CONTENDERS)

    def names(self, scenario, contender):
        """Fresh role/profile names for every repetition: no run inherits another's resources."""
        self.serial += 1
        stem = "bench-s%s-%s-%d" % (scenario, SHORT[contender], self.serial)
        return stem + "-role", stem + "-profile"


def measure(ctx, scenario, case, phase, contender, action, check):
    """Clear the call log, time `action` (returns (problem, tasks)), read the log, then run `check`."""
    ctx.aws.reset_calls()
    started = time.monotonic()
    try:
        problem, tasks = action()
    except Exception as error:  # a contender crashing is a result to report, not a reason to stop
        problem, tasks = "%s: %s" % (type(error).__name__, error), []
    wall = time.monotonic() - started
    actions = [call["action"] for call in ctx.aws.calls()]
    problem = problem or check() or _idempotence(phase, actions, tasks)
    result = Measurement(scenario, case, phase, contender, wall, actions, problem, tasks)
    ctx.results.append(result)
    ctx.log("  s%s %-10s %-22s %-11s %7.2fs %5d calls %5d writes %s" % (
        scenario, case, phase, contender, wall, len(actions), len(result.writes),
        ("FAILED: " + problem) if problem else "ok"))
    return result


def _idempotence(phase, actions, tasks):
    """A no-op run must make no write and report no change."""
    if phase != "no-op":
        return ""
    made = fixtures.writes(actions)
    if made:
        return "no-op run made %d writes (%s)" % (len(made), made[0])
    changed = [task["name"] for task in tasks if task.get("changed")]
    if changed:
        return "no-op run reported changed: %s" % ", ".join(changed)
    return ""


def _floor_action(function, *args, **kwargs):
    def action():
        function(*args, **kwargs)
        return "", []
    return action


def _playbook_action(ctx, contender, name, variables, inventory=None, check=False):
    def action():
        return playbook.run(ctx.aws, ctx.folder, "%s_%s" % (name, PLAYBOOK_SUFFIX[contender]), variables,
                            inventory=inventory, check=check)
    return action


def _identity_action(ctx, contender, role, profile, instance_ids, inventory=None, check=False):
    if contender == FLOOR:
        return _floor_action(floor.identity, floor.Clients(ctx.aws), role, profile, instance_ids, check=check)
    variables = {"bench_role": role, "bench_profile": profile, "bench_instance_ids": instance_ids,
                 "bench_managed_policies": [fixtures.MANAGED_POLICY]}
    name = "fleet" if inventory else "identity"
    return _playbook_action(ctx, contender, name, variables, inventory=inventory, check=check)


# --------------------------------------------------------------------------------------------- scenarios

def scenario_identity(ctx):
    """1: role (one managed policy) + profile + association of one instance; first and no-op converge."""
    instance_ids = ctx.pool[:1]
    for _rep in range(ctx.reps):
        for contender in CONTENDERS:
            role, profile = ctx.names(1, contender)
            fixtures.clear_associations(ctx.aws, instance_ids)
            action = _identity_action(ctx, contender, role, profile, instance_ids)

            def check(role=role, profile=profile, instance_ids=instance_ids):
                return fixtures.identity_made(ctx.aws, role, profile) or fixtures.associated_with(
                    ctx.aws, instance_ids, profile)

            measure(ctx, 1, "1 instance", "first", contender, action, check)
            measure(ctx, 1, "1 instance", "no-op", contender, action, check)


def scenario_association(ctx, sizes):
    """2: association of N instances: first run, no-op run, replace-all run."""
    for size in sizes:
        instance_ids = ctx.pool[:size]
        case = "N=%d" % size
        for rep in range(ctx.reps):
            for contender in ctx.contenders(rep, long_for_amazon=size >= LONG_N):
                first_role, first = ctx.names(2, contender)
                second_role, second = ctx.names(2, contender)
                fixtures.make_identity(ctx.aws, first_role, first)
                fixtures.make_identity(ctx.aws, second_role, second)
                fixtures.clear_associations(ctx.aws, instance_ids)
                for phase, profile in (("first", first), ("no-op", first), ("replace", second)):
                    if contender == FLOOR:
                        action = _floor_action(floor.association, floor.Clients(ctx.aws), profile, instance_ids)
                    else:
                        action = _playbook_action(ctx, contender, "association",
                                                  {"bench_profile": profile, "bench_instance_ids": instance_ids})
                    measure(ctx, 2, case, phase, contender, action,
                            lambda profile=profile, ids=instance_ids: fixtures.associated_with(ctx.aws, ids, profile))


def scenario_check_mode(ctx):
    """3: scenario 1 in check mode, from nothing and with only the association missing; AWS must not change."""
    instance_ids = ctx.pool[:1]
    for _rep in range(ctx.reps):
        for contender in CONTENDERS:
            for case in ("from nothing", "assoc. pending"):
                role, profile = ctx.names(3, contender)
                fixtures.clear_associations(ctx.aws, instance_ids)
                if case == "assoc. pending":
                    fixtures.make_identity(ctx.aws, role, profile)

                def check(case=case, role=role, profile=profile):
                    absent = fixtures.identity_absent(ctx.aws, role, profile) if case == "from nothing" else ""
                    return absent or fixtures.without_association(ctx.aws, instance_ids)

                action = _identity_action(ctx, contender, role, profile, instance_ids, check=True)
                measure(ctx, 3, case, "check mode", contender, action, check)


def scenario_fleet(ctx, sizes):
    """4: the instance_role role over H hosts versus one amazon.aws task per host; first and no-op."""
    for size in sizes:
        instance_ids = ctx.pool[:size]
        inventory = playbook.write_inventory(ctx.folder, instance_ids)
        case = "H=%d" % size
        for rep in range(ctx.reps):
            for contender in ctx.contenders(rep, long_for_amazon=size >= LONG_H):
                role, profile = ctx.names(4, contender)
                fixtures.clear_associations(ctx.aws, instance_ids)
                action = _identity_action(ctx, contender, role, profile, instance_ids, inventory=inventory)

                def check(role=role, profile=profile, instance_ids=instance_ids):
                    return fixtures.identity_made(ctx.aws, role, profile) or fixtures.associated_with(
                        ctx.aws, instance_ids, profile)

                measure(ctx, 4, case, "first", contender, action, check)
                measure(ctx, 4, case, "no-op", contender, action, check)
