# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Associations between EC2 instances and an IAM instance profile, for many instances in one task.

Read once in batches (profile, instances, active associations), plan one change per instance, apply the
changes from a bounded thread pool through a client with adaptive rate limiting, then wait until AWS reports
each new association as `associated`. The functions take boto3 clients so they can be tested without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import error_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code_and_message
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import retry_while
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import wait_until
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_instance_ids
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_name
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_range

try:
    from botocore.exceptions import ClientError
except ImportError:  # the import sanity test runs without botocore; AnsibleAWSModule reports it
    ClientError = Exception

# EC2 refuses more than 200 values in one filter (FilterLimitExceeded).
CHUNK_SIZE = 200
# The largest page DescribeIamInstanceProfileAssociations and DescribeInstances hand out.
PAGE_SIZE = 1000
ACTIVE_STATES = ["associating", "associated"]
# ReplaceIamInstanceProfileAssociation works only on running instances; for these, disassociate then associate.
REPLACE_REFUSED = ("stopped", "stopping")
# Instances on their way out cannot take a profile; with instance_ids they count as missing.
GONE = ("shutting-down", "terminated")
_PROFILE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:instance-profile/([\x21-\x7e]+/)?[\w+=,.@-]{1,128}$")

# Errors that mean "AWS has not caught up yet", retried up to propagation_timeout:
# a profile created moments ago is unknown to EC2 for a while;
_PROFILE_NOT_PROPAGATED = is_code_and_message("InvalidParameterValue", "Invalid IAM Instance Profile")
# after a disassociate the old association lingers in `disassociating`;
_OLD_ASSOCIATION_LINGERS = is_code_and_message("IncorrectState", "existing association")
# a stopping instance accepts an association only once it is stopped.
_INSTANCE_IN_TRANSITION = is_code("IncorrectInstanceState")


class ProfileNotFound(Exception):
    pass


class InstancesNotFound(Exception):
    def __init__(self, instance_ids):
        super(InstancesNotFound, self).__init__(", ".join(instance_ids))
        self.instance_ids = instance_ids


class ApplyFailed(Exception):
    """Some changes failed; `results` still lists, per instance, what was done and what was not."""

    def __init__(self, message, results):
        super(ApplyFailed, self).__init__(message)
        self.results = results


# --------------------------------------------------------------------------------------------- input

def check_params(params):
    """Validate every option before any AWS call; raise InvalidInput naming the option and what is allowed."""
    if params.get("instance_ids") is not None:
        check_instance_ids("instance_ids", params["instance_ids"])
    profile = params.get("instance_profile")
    if profile:
        if profile.startswith("arn:"):
            if not _PROFILE_ARN.match(profile):
                raise InvalidInput(
                    "instance_profile=%r is not an instance profile ARN: expected "
                    "arn:aws:iam::<account id>:instance-profile/<path/><name>, or give the profile's name" % profile
                )
        else:
            check_name("instance_profile", profile, max_length=128)
    elif params.get("state", "present") == "present":
        raise InvalidInput("instance_profile is required when state=present: give the profile's name or ARN")
    check_range("max_concurrency", params.get("max_concurrency"), 1, 64)
    check_range("propagation_timeout", params.get("propagation_timeout"), 0, 3600)
    check_range("wait_timeout", params.get("wait_timeout"), 0, 3600)


def chunked(values, size=CHUNK_SIZE):
    values = list(values)
    return [values[i:i + size] for i in range(0, len(values), size)]


def profile_name(name_or_arn):
    return name_or_arn.rsplit("/", 1)[-1]


# --------------------------------------------------------------------------------------------- reads

def get_instance_profile(iam, name_or_arn):
    """The profile as {"arn", "name", "id"}: one GetInstanceProfile, also when an ARN is given (to verify it)."""
    try:
        profile = iam.get_instance_profile(InstanceProfileName=profile_name(name_or_arn))["InstanceProfile"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise ProfileNotFound(name_or_arn) from error
        raise
    if name_or_arn.startswith("arn:") and profile["Arn"] != name_or_arn:
        # Same name under another path or account: not the profile the user named.
        raise ProfileNotFound(name_or_arn)
    return {"arn": profile["Arn"], "name": profile["InstanceProfileName"], "id": profile["InstanceProfileId"]}


def _instance_states(ec2, filters):
    states = {}
    pages = ec2.get_paginator("describe_instances").paginate(Filters=filters, PaginationConfig={"PageSize": PAGE_SIZE})
    for page in pages:
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                states[instance["InstanceId"]] = instance["State"]["Name"]
    return states


def instances_by_ids(ec2, instance_ids):
    """{instance id: state name} for the given ids; raise InstancesNotFound naming any missing or terminated.

    A filter, not InstanceIds, so that unknown ids come back as absent instead of failing the whole call.
    """
    states = {}
    for chunk in chunked(sorted(set(instance_ids))):
        states.update(_instance_states(ec2, [{"Name": "instance-id", "Values": chunk}]))
    missing = [i for i in instance_ids if states.get(i) in (None,) + GONE]
    if missing:
        raise InstancesNotFound(sorted(set(missing)))
    return states


def instances_by_filters(ec2, filters):
    """{instance id: state name} of the instances matching EC2 `filters` (boto3 list form), minus terminated ones."""
    return dict((i, s) for i, s in _instance_states(ec2, filters).items() if s not in GONE)


def normalise_association(raw):
    profile = raw.get("IamInstanceProfile") or {}
    timestamp = raw.get("Timestamp")
    return {
        "association_id": raw["AssociationId"],
        "instance_id": raw["InstanceId"],
        "instance_profile_arn": profile.get("Arn"),
        "instance_profile_id": profile.get("Id"),
        "state": raw.get("State"),
        "timestamp": timestamp.isoformat() if hasattr(timestamp, "isoformat") else timestamp,
    }


def _association_pages(ec2, filters, max_pages=None):
    """(associations, complete): follow NextToken, stopping after `max_pages` pages when given."""
    found, token, pages = [], None, 0
    while True:
        params = {"Filters": filters, "MaxResults": PAGE_SIZE}
        if token:
            params["NextToken"] = token
        page = ec2.describe_iam_instance_profile_associations(**params)
        pages += 1
        found.extend(normalise_association(a) for a in page.get("IamInstanceProfileAssociations", []))
        token = page.get("NextToken")
        if not token:
            return found, True
        if max_pages is not None and pages >= max_pages:
            return found, False


def describe_associations(ec2, instance_ids, states=None):
    """Associations (optionally only in `states`) of the given instances, as a list, in as few calls as we can.

    Filtering by instance id costs one call per 200 instances. The region's whole list costs one call per 1000
    associations, so for many instances try that first, giving up as soon as it would cost as many calls.
    """
    wanted = set(instance_ids)
    if not wanted:
        return []
    state_filter = [{"Name": "state", "Values": list(states)}] if states else []
    chunks = chunked(sorted(wanted))
    if len(chunks) > 1:
        found, complete = _association_pages(ec2, state_filter, max_pages=len(chunks) - 1)
        if complete:
            return [a for a in found if a["instance_id"] in wanted]
    found = []
    for chunk in chunks:
        found.extend(_association_pages(ec2, [{"Name": "instance-id", "Values": chunk}] + state_filter)[0])
    return found


def active_associations(ec2, instance_ids):
    """{instance id: association} for the associations AWS counts as current (associating or associated)."""
    return dict((a["instance_id"], a) for a in describe_associations(ec2, instance_ids, ACTIVE_STATES))


# --------------------------------------------------------------------------------------------- plan

def _entry(instance_id, association, action):
    association = association or {}
    return {
        "instance_id": instance_id,
        "association_id": association.get("association_id"),
        "instance_profile_arn": association.get("instance_profile_arn"),
        "state": association.get("state"),
        "action": action,
        "done": action == "none",
    }


def _matches(association, profile):
    """Whether an association is of `profile` (an ARN, or a name matched against the ARN's last element)."""
    arn = association.get("instance_profile_arn") or ""
    if profile.startswith("arn:"):
        return arn == profile
    return profile_name(arn) == profile


def plan_present(instances, current, profile_arn):
    """Plan per instance: associate where none, replace where another, nothing where the right one is."""
    plan = Plan({})
    for instance_id in instances:
        association = current.get(instance_id)
        if association and association["instance_profile_arn"] == profile_arn:
            continue
        if association is None:
            action = "associate"
        elif instances[instance_id] in REPLACE_REFUSED:
            action = "disassociate_associate"
        else:
            action = "replace"
        plan.before[instance_id] = {"instance_profile_arn": association and association["instance_profile_arn"]}
        plan.after[instance_id] = {"instance_profile_arn": profile_arn}
        plan.add(action, "%s %s with %s" % (action, instance_id, profile_arn), instance_id=instance_id,
                 association_id=association and association["association_id"])
    return plan


def plan_absent(instances, current, profile=None):
    """Plan per instance: disassociate the given profile, or any profile when none is given."""
    plan = Plan({})
    for instance_id in instances:
        association = current.get(instance_id)
        if association is None or (profile and not _matches(association, profile)):
            continue
        plan.before[instance_id] = {"instance_profile_arn": association["instance_profile_arn"]}
        plan.after[instance_id] = {"instance_profile_arn": None}
        plan.add("disassociate", "disassociate %s from %s" % (association["instance_profile_arn"], instance_id),
                 instance_id=instance_id, association_id=association["association_id"])
    return plan


def planned_results(instances, current, plan, profile_arn=None):
    """Per-instance result entries as the plan predicts them (what check mode reports, and the starting point)."""
    actions = dict((c.params["instance_id"], c.action) for c in plan.changes)
    results = []
    for instance_id in instances:
        action = actions.get(instance_id, "none")
        association = current.get(instance_id)
        if action == "disassociate":
            association = dict(association, state="disassociating")
        elif action != "none":
            # AWS gives the new association its id when the write is made.
            association = {"association_id": None, "instance_profile_arn": profile_arn, "state": "associating"}
        results.append(_entry(instance_id, association, action))
    return results


# --------------------------------------------------------------------------------------------- apply

class Writer:
    """The four writes, each retrying only the eventual-consistency errors that AWS gives for them."""

    def __init__(self, ec2, profile_arn=None, propagation_timeout=120, sleep=time.sleep):
        self.ec2 = ec2
        self.profile_arn = profile_arn
        self.timeout = propagation_timeout
        self.sleep = sleep

    def _retry(self, predicate, call):
        return retry_while(predicate, call, self.timeout, sleep=self.sleep)

    def _associate(self, instance_id, after_disassociate=False):
        def lingering(error):
            return _PROFILE_NOT_PROPAGATED(error) or (
                after_disassociate and (_OLD_ASSOCIATION_LINGERS(error) or _INSTANCE_IN_TRANSITION(error))
            )

        try:
            answer = self._retry(lingering, lambda: self.ec2.associate_iam_instance_profile(
                IamInstanceProfile={"Arn": self.profile_arn}, InstanceId=instance_id))
        except ClientError as error:
            # Another run associated this instance between our read and this write: done if with our profile.
            if after_disassociate or not _OLD_ASSOCIATION_LINGERS(error):
                raise
            current = active_associations(self.ec2, [instance_id]).get(instance_id)
            if not current or current["instance_profile_arn"] != self.profile_arn:
                raise
            return current
        return normalise_association(answer["IamInstanceProfileAssociation"])

    def _disassociate(self, association_id):
        answer = self.ec2.disassociate_iam_instance_profile(AssociationId=association_id)
        return normalise_association(answer["IamInstanceProfileAssociation"])

    def associate(self, instance_id, association_id=None):
        return "associate", self._associate(instance_id)

    def replace(self, instance_id, association_id):
        try:
            answer = self._retry(_PROFILE_NOT_PROPAGATED, lambda: self.ec2.replace_iam_instance_profile_association(
                IamInstanceProfile={"Arn": self.profile_arn}, AssociationId=association_id))
        except ClientError as error:
            # The instance stopped between our read and this write: AWS refuses a replace then.
            if error_code(error) != "IncorrectState":
                raise
            return self.disassociate_associate(instance_id, association_id)
        return "replace", normalise_association(answer["IamInstanceProfileAssociation"])

    def disassociate_associate(self, instance_id, association_id):
        self._disassociate(association_id)
        return "disassociate_associate", self._associate(instance_id, after_disassociate=True)

    def disassociate(self, instance_id, association_id):
        return "disassociate", self._disassociate(association_id)

    def appliers(self):
        return {
            "associate": self.associate,
            "replace": self.replace,
            "disassociate_associate": self.disassociate_associate,
            "disassociate": self.disassociate,
        }


def apply_concurrently(plan, appliers, max_concurrency):
    """Run the plan's changes from a pool of `max_concurrency` threads.

    The changes are independent (one per instance), so order does not matter. After the first failure no new
    change starts, so a systematic error (permissions, a deleted profile) stops quickly. Returns
    {instance id: (action done, association) or exception}; instances missing from it were not attempted.
    """
    outcomes = {}
    stop = threading.Event()

    def run(change):
        if stop.is_set():
            return
        try:
            outcomes[change.params["instance_id"]] = appliers[change.action](**change.params)
        except Exception as error:  # pylint: disable=broad-except
            outcomes[change.params["instance_id"]] = error
            stop.set()

    with ThreadPoolExecutor(max_workers=max_concurrency) as pool:
        list(pool.map(run, plan.changes))
    return outcomes


def merge_outcomes(results, outcomes):
    """Fill the per-instance results with what each write did; return the errors as {instance id: message}."""
    errors = {}
    for entry in results:
        if entry["action"] == "none":
            continue
        outcome = outcomes.get(entry["instance_id"])
        if outcome is None:
            entry["error"] = "not attempted: stopped after another instance failed"
        elif isinstance(outcome, Exception):
            entry["error"] = str(outcome)
            errors[entry["instance_id"]] = entry["error"]
        else:
            action, association = outcome
            entry.update(action=action, done=True, association_id=association["association_id"],
                         instance_profile_arn=association["instance_profile_arn"], state=association["state"])
    return errors


def wait_for_associated(ec2, results, timeout, sleep=time.sleep):
    """Poll until every association this task made or found is `associated`; update `results` in place.

    Writes that AWS answered with `associated` already need no read at all.
    """
    def pending():
        return [e for e in results if e["done"] and e["state"] == "associating"]

    def settled():
        waiting = pending()
        if not waiting:
            return True
        by_id = dict((a["association_id"], a) for a in describe_associations(ec2, [e["instance_id"] for e in waiting]))
        for entry in waiting:
            association = by_id.get(entry["association_id"])
            if association:
                entry["state"] = association["state"]
        return not pending()

    return wait_until(settled, timeout, sleep=sleep)


# --------------------------------------------------------------------------------------------- the task

def ensure(reader, writer_client, iam, params, check_mode=False, sleep=time.sleep):
    """Bring the instances' associations to `params` (module options, filters in boto3 list form).

    Returns (changed, result, diff). Raises ProfileNotFound / InstancesNotFound before any write, ApplyFailed
    after a partial apply (with the per-instance results), or botocore's ClientError for a failed read.
    """
    state = params.get("state", "present")
    profile = params.get("instance_profile")
    profile_arn = None
    warnings = []
    if params.get("instance_ids") is not None:
        ids = list(dict.fromkeys(params["instance_ids"]))
        instances = instances_by_ids(reader, ids) if ids else {}
        instances = dict((i, instances[i]) for i in ids)
    else:
        instances = instances_by_filters(reader, params["filters"])
    current = active_associations(reader, list(instances))
    if state == "present":
        profile_arn = _arn_in_use(instances, current, profile) or _profile_arn(iam, profile, check_mode, warnings)
        plan = plan_present(instances, current, profile_arn)
    else:
        plan = plan_absent(instances, current, profile)
    results = planned_results(instances, current, plan, profile_arn)
    result = {"associations": results, "instance_profile_arn": profile_arn, "changes": plan.summaries,
              "warnings": warnings}
    if check_mode:
        return bool(plan), result, plan.diff()

    writer = Writer(writer_client, profile_arn, params.get("propagation_timeout", 120), sleep=sleep)
    errors = {}
    if plan:
        outcomes = apply_concurrently(plan, writer.appliers(), params.get("max_concurrency", 8))
        errors = merge_outcomes(results, outcomes)
    if errors or any(e.get("error") for e in results):
        raise ApplyFailed(_failure_message(results, errors), result)
    if params.get("wait", True) and state == "present":
        try:
            settled = wait_for_associated(reader, results, params.get("wait_timeout", 300), sleep=sleep)
        except ClientError as error:
            raise ApplyFailed("the changes were made, but reading their state failed: %s" % error, result) from error
        if not settled:
            waiting = [e["instance_id"] for e in results if e["state"] == "associating"]
            raise ApplyFailed("timed out after %ss waiting for the associations of %s to become associated"
                              % (params.get("wait_timeout", 300), ", ".join(waiting)), result)
    return bool(plan), result, plan.diff()


def _arn_in_use(instances, current, profile):
    """The profile's ARN when every instance already holds it (then it exists, and the IAM lookup is saved:
    a no-op run reads only EC2); None when any instance needs a change."""
    arns = set(a["instance_profile_arn"] for i, a in current.items() if i in instances and _matches(a, profile))
    if instances and len(arns) == 1 and all(i in current and _matches(current[i], profile) for i in instances):
        return arns.pop()
    return None


def _profile_arn(iam, profile, check_mode, warnings):
    """The profile's ARN. In check mode a missing profile is predicted, since an earlier task of the same
    play (iam_instance_profile, itself in check mode) would have created it: a warning, not a failure."""
    try:
        return get_instance_profile(iam, profile)["arn"]
    except ProfileNotFound:
        if not check_mode or profile.startswith("arn:"):
            raise
    warnings.append(
        "instance profile %s does not exist yet; check mode assumes an earlier task creates it" % profile
    )
    return "arn:aws:iam::<account>:instance-profile/%s" % profile


def _some(ids, limit=20):
    """A readable list of ids; the full lists are in the per-instance results."""
    return ", ".join(ids[:limit]) + (" and %d more" % (len(ids) - limit) if len(ids) > limit else "") or "none"


def _failure_message(results, errors):
    done = [e["instance_id"] for e in results if e["action"] != "none" and e["done"]]
    not_done = [e["instance_id"] for e in results if not e["done"]]
    first = sorted(errors.items())[0] if errors else ("", "")
    return (
        "%d of %d changes failed (first: %s: %s); done: %d (%s); not done: %d (%s). "
        "Re-run the task to complete the rest.%s"
        % (len(errors), len(done) + len(not_done), first[0], first[1], len(done), _some(done), len(not_done),
           _some(not_done), _hint(errors))
    )


def _hint(errors):
    if any("Invalid IAM Instance Profile" in message for message in errors.values()):
        return (" EC2 did not yet know the instance profile when propagation_timeout ran out; a profile created"
                " moments ago can take a minute or two to reach EC2: raise propagation_timeout.")
    return ""


def describe(reader, params):
    """Associations for the _info module: by instance ids, by EC2 filters, by profile, limited to `states`."""
    states = params.get("state") or None
    profile = params.get("instance_profile")
    if params.get("instance_ids"):
        associations = describe_associations(reader, params["instance_ids"], states)
    elif params.get("filters"):
        associations = describe_associations(reader, list(instances_by_filters(reader, params["filters"])), states)
    else:
        state_filter = [{"Name": "state", "Values": list(states)}] if states else []
        associations = _association_pages(reader, state_filter)[0]
    if profile:
        associations = [a for a in associations if _matches(a, profile)]
    return sorted(associations, key=lambda a: (a["instance_id"], a["association_id"]))
