# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine: validate -> read -> plan -> (check mode: stop) -> apply -> re-read -> result, for every module.

It alone decides `changed` (the plan has steps), check mode (no step runs; assumptions become warnings),
diff mode (the plan's before and after, which every step moves) and the shape of a partial failure
("failed after k of n changes", `changed` true when k > 0, the state reached read back and returned).
Resources (resources/*.py) only read and plan; modules only declare their options and wire a Resource.
`execute` needs no Ansible (unit tests run it on moto); `run` is the module's side of it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from concurrent.futures import ThreadPoolExecutor

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:  # the import sanity test runs without botocore; AnsibleAWSModule reports it
    BotoCoreError = ClientError = Exception

from ansible_collections.iamkit.ec2.plugins.module_utils.aws import Connection
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import module_client_factory
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import take_resource_actions
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import warn
from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import PolicyError
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput

AWS_ERRORS = (ClientError, BotoCoreError)


class Refused(Exception):
    """A refusal with a message for the user (a role in use, a profile that does not exist...); `details`
    become keys of the failed result (for example the instance ids in the way)."""

    def __init__(self, message, **details):
        super(Refused, self).__init__(message)
        self.details = details


class Failed(Exception):
    """How a task ends when it fails: the result keys; for an AWS error, the error and the words before it
    (fail_json_aws adds the error's own text and details)."""

    def __init__(self, result, aws_error=None, context=None):
        super(Failed, self).__init__(result["msg"])
        self.result = result
        self.aws_error = aws_error
        self.context = context

    @classmethod
    def aws(cls, context, error, **result):
        return cls(dict(result, msg="%s: %s" % (context, error)), error, context)


class Resource:
    """What the engine needs of one kind of resource, wired by the module that manages it.

    desired(params) -> what the user described (validated; raises InvalidInput or PolicyError)
    read(aws, desired) -> the current state
    plan(aws, current, desired) -> Plan (raises Refused)
    result(state, plan) -> the module's return keys for a state (current, predicted or re-read)
    describe(desired) -> words naming the resource in messages
    settle(aws, desired, plan) -> the state after the writes, waiting where AWS is eventually consistent
                                  (default: read again)
    predict(current, plan) -> the state check mode reports (default: the plan's predicted after-state)
    failure_hint(error) -> a sentence to add when a write fails (optional)
    """

    def __init__(self, desired, read, plan, result, describe, settle=None, predict=None, failure_hint=None):
        self.desired = desired
        self.read = read
        self.plan = plan
        self.result = result
        self.describe = describe
        self.settle = settle or (lambda aws, desired, plan: read(aws, desired))
        self.predict = predict or (lambda current, plan: plan.after)
        self.failure_hint = failure_hint or (lambda error: "")


def nothing_to_change(aws, current, desired):
    """The plan of an _info module: reading is all it does."""
    return Plan({})


def run(module, resource, clock=None):
    """Run one task: everything between AnsibleAWSModule's parsed options and exit_json/fail_json."""
    actions = set()
    aws = Connection(module_client_factory(module, actions), region=module.region, clock=clock)
    warnings = []
    try:
        result = execute(aws, resource, dict(module.params), module.check_mode, module._diff, warnings)
    except Failed as failure:
        for message in warnings:
            warn(module, message)
        failed = dict(failure.result, **take_resource_actions(module, actions))
        if failure.aws_error is not None:
            module.fail_json_aws(failure.aws_error, **dict(failed, msg=failure.context))
        module.fail_json(**failed)
    for message in warnings:
        warn(module, message)
    module.exit_json(**dict(result, **take_resource_actions(module, actions)))


def execute(aws, resource, params, check_mode=False, diff=False, warnings=None):
    """The task's result dict; raises Failed with the failed result. `warnings` collects the warnings."""
    warnings = [] if warnings is None else warnings
    try:
        desired = resource.desired(params)
    except (InvalidInput, PolicyError) as error:
        raise Failed(dict(msg=str(error))) from None
    what = resource.describe(desired)
    try:
        current = resource.read(aws, desired)
        plan = resource.plan(aws, current, desired)
    except Refused as refusal:
        raise Failed(dict(refusal.details, msg=str(refusal), changed=False)) from None
    except (ClientError, BotoCoreError) as error:
        raise Failed.aws("reading %s failed; nothing was changed" % what, error) from None
    warnings.extend(plan.warnings)

    if check_mode:
        warnings.extend(assumption for _refusal, assumption in plan.assumptions)
        return finish(resource, plan, resource.predict(current, plan), diff)
    if plan.assumptions:
        raise Failed(dict(msg=plan.assumptions[0][0], changed=False))
    if not plan.changed:
        return finish(resource, plan, current, diff)

    done, failed, error = apply(plan, aws)
    if error is not None:
        raise failed_partway(resource, aws, desired, plan, done, failed, error)
    try:
        state = resource.settle(aws, desired, plan)
    except Refused as refusal:
        raise Failed(dict(refusal.details, msg=str(refusal), changed=True, changes=plan.summaries)) from None
    except (ClientError, BotoCoreError) as error:
        raise Failed.aws("%s was changed, then reading it back failed" % what, error, changed=True,
                         changes=plan.summaries) from None
    return finish(resource, plan, state, diff)


def finish(resource, plan, state, diff):
    result = dict(resource.result(state, plan), changed=plan.changed, changes=plan.summaries)
    if diff:
        result["diff"] = plan.diff()
    return result


def apply(plan, aws):
    """Run the steps in order, or from a pool when the plan says they are independent. After the first
    failure no new step starts. Returns (steps done, the step that failed or None, its error or None)."""
    if plan.concurrency <= 1 or len(plan.steps) <= 1:
        done = []
        for step in plan.steps:
            try:
                step.outcome = step.call(aws, **step.params)
            except (Refused,) + AWS_ERRORS as error:
                step.error = _reason(error)
                return done, step, error
            step.done = True
            done.append(step)
        return done, None, None
    return _apply_concurrently(plan, aws)


def _apply_concurrently(plan, aws):
    stop = threading.Event()
    lock = threading.Lock()
    done, failures = [], []

    def run_step(step):
        if stop.is_set():
            return
        try:
            step.outcome = step.call(aws, **step.params)
        except (Refused,) + AWS_ERRORS as error:
            stop.set()
            step.error = _reason(error)
            with lock:
                failures.append((step, error))
            return
        step.done = True
        with lock:
            done.append(step)

    with ThreadPoolExecutor(max_workers=plan.concurrency) as pool:
        list(pool.map(run_step, plan.steps))
    done.sort(key=plan.steps.index)
    if failures:
        failures.sort(key=lambda failure: plan.steps.index(failure[0]))
        return done, failures[0][0], failures[0][1]
    return done, None, None


def failed_partway(resource, aws, desired, plan, done, failed, error):
    """Say what was done and what was not, with the state reached as AWS shows it, so a re-run (which plans
    again from that state) is no surprise."""
    pending = [step.summary for step in plan.steps if step not in done]
    for step in plan.steps:
        if not step.done and step.error is None:
            step.error = "not attempted: stopped after another change failed"
    message = "%s failed after %d of %d changes, at '%s': %s. Done: %s. Not done: %s. Running the task again " \
        "completes the rest.%s" % (resource.describe(desired), len(done), len(plan.steps), failed.summary,
                                   _reason(error), _some([s.summary for s in done]), _some(pending),
                                   resource.failure_hint(error))
    result = dict(msg=message, changed=bool(done), changes=[step.summary for step in done], pending_changes=pending)
    try:
        result.update(resource.result(resource.read(aws, desired), plan))
    except (Refused,) + AWS_ERRORS:
        pass  # the failure itself is what matters; the state is left out rather than guessed
    if isinstance(error, Refused):
        result.update(error.details)
    elif isinstance(error, ClientError):
        # The key amazon.aws's fail_json_aws gives, for plays that match on the code.
        result["error"] = {"code": _code(error), "message": error.response.get("Error", {}).get("Message", "")}
    return Failed(result)


def _code(error):
    return error.response.get("Error", {}).get("Code", "")


def _reason(error):
    if isinstance(error, ClientError):
        return "%s: %s" % (_code(error), error.response.get("Error", {}).get("Message", ""))
    return str(error)


def _some(items, limit=10):
    """A readable list; the full lists are in `changes` and `pending_changes`."""
    if not items:
        return "nothing"
    shown = "; ".join(items[:limit])
    return shown + (" and %d more" % (len(items) - limit) if len(items) > limit else "")
