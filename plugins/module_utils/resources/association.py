# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Associations between EC2 instances and an IAM instance profile: read in batches, plan one write per
instance (independent, so the engine runs them from a pool), settle until AWS says `associated`.

Also the listing of the _info module; the instances in the way of deleting a profile are in profile_users.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.iamkit.ec2.plugins.module_utils import ec2_calls
from ansible_collections.iamkit.ec2.plugins.module_utils import iam_calls
from ansible_collections.iamkit.ec2.plugins.module_utils.engine import Refused
from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import profile_users
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import error_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import wait_until

# ReplaceIamInstanceProfileAssociation works only on running instances; for these, disassociate then associate.
REPLACE_REFUSED = ("stopped", "stopping")
# Instances on their way out cannot take a profile; with instance_ids they count as missing.
GONE = ("shutting-down", "terminated")


# --------------------------------------------------------------------------------------------- read

def associations_of(aws, instance_ids, states=None):
    """Associations (optionally only in `states`) of the given instances, in as few calls as possible.

    Filtering by instance id costs one call per 200 instances. The region's whole list costs one call per 1000
    associations, so for many instances try that first, giving up as soon as it would cost as many calls.
    """
    wanted = set(instance_ids)
    if not wanted:
        return []
    state_filter = [{"Name": "state", "Values": list(states)}] if states else []
    chunks = ec2_calls.chunked(sorted(wanted))
    if len(chunks) > 1:
        found, complete = ec2_calls.describe_associations(aws, state_filter, max_pages=len(chunks) - 1)
        if complete:
            return [a for a in found if a["instance_id"] in wanted]
    found = []
    for chunk in chunks:
        found.extend(ec2_calls.describe_associations(aws, [{"Name": "instance-id", "Values": chunk}] + state_filter)[0])
    return found


def active_associations(aws, instance_ids):
    """{instance id: association} for the associations AWS counts as current (associating or associated)."""
    return dict((a["instance_id"], a) for a in associations_of(aws, instance_ids, ec2_calls.ACTIVE_STATES))


def instances_by_ids(aws, instance_ids):
    """{instance id: state name}, in the order given; Refused naming any instance missing or terminated.
    A filter, not InstanceIds, so that unknown ids come back as absent instead of failing the whole call."""
    states = {}
    for chunk in ec2_calls.chunked(sorted(set(instance_ids))):
        states.update(ec2_calls.describe_instance_states(aws, [{"Name": "instance-id", "Values": chunk}]))
    missing = sorted(set(i for i in instance_ids if states.get(i) in (None,) + GONE))
    if missing:
        # The region is named: an instance "missing" from the wrong region is the usual cause.
        raise Refused("instance_ids: these instances do not exist or are terminated in region %s: %s; nothing was "
                      "changed" % (aws.region, ", ".join(missing)), missing_instance_ids=missing, region=aws.region)
    return dict((i, states[i]) for i in instance_ids)


def read(aws, desired):
    if desired.get("instance_ids") is not None:
        instances = instances_by_ids(aws, desired["instance_ids"]) if desired["instance_ids"] else {}
    else:
        found = ec2_calls.describe_instance_states(aws, desired["filters"])
        instances = dict((i, s) for i, s in found.items() if s not in GONE)
    return {"instances": instances, "associations": active_associations(aws, list(instances))}


def profile_name(name_or_arn):
    return name_or_arn.rsplit("/", 1)[-1]


def matches(association, profile):
    """Whether an association is of `profile` (an ARN, or a name matched against the ARN's last element)."""
    arn = association.get("instance_profile_arn") or ""
    return arn == profile if profile.startswith("arn:") else profile_name(arn) == profile


# --------------------------------------------------------------------------------------------- plan

def plan(aws, current, desired):
    plan = Plan({}, concurrency=desired.get("max_concurrency") or 1)
    plan.notes.update(current=current, steps={}, profile_arn=None)
    if desired.get("filters") is not None and not current["instances"]:
        plan.warn("filters %s match no running or stopped instance in region %s: nothing to do"
                  % (desired["filters"], aws.region))
    if desired.get("state", "present") == "present":
        plan.notes["profile_arn"] = _profile_arn(aws, plan, current, desired["instance_profile"])
        _plan_present(plan, current, plan.notes["profile_arn"], desired.get("propagation_timeout", 120))
    else:
        _plan_absent(plan, current, desired.get("instance_profile"))
    return plan


def _plan_present(plan, current, profile_arn, timeout):
    for instance_id, run_state in current["instances"].items():
        association = current["associations"].get(instance_id)
        old_arn = association and association["instance_profile_arn"]
        if old_arn == profile_arn:
            continue
        if association is None:
            action, call, extra = "associate", _associate, {}
        elif run_state in REPLACE_REFUSED:
            action, call, extra = "disassociate_associate", _disassociate_associate, {
                "association_id": association["association_id"]}
        else:
            action, call, extra = "replace", _replace, {"association_id": association["association_id"]}
        plan.add("%s %s with %s" % (action, instance_id, profile_arn), call,
                 before={instance_id: {"instance_profile_arn": old_arn}},
                 after={instance_id: {"instance_profile_arn": profile_arn}},
                 timeout=timeout, instance_id=instance_id, profile_arn=profile_arn, **extra)
        plan.notes["steps"][instance_id] = (action, plan.steps[-1])


def _plan_absent(plan, current, profile):
    for instance_id in current["instances"]:
        association = current["associations"].get(instance_id)
        if association is None or (profile and not matches(association, profile)):
            continue
        _add_disassociation(plan, instance_id, association, "disassociate %s from %s"
                            % (association["instance_profile_arn"], instance_id))
        plan.notes["steps"][instance_id] = ("disassociate", plan.steps[-1])


def _add_disassociation(plan, instance_id, association, summary):
    plan.add(summary, profile_users.disassociate,
             before={instance_id: {"instance_profile_arn": association["instance_profile_arn"]}},
             after={instance_id: {"instance_profile_arn": None}},
             instance_id=instance_id, association_id=association["association_id"])


def _arn_in_use(current, profile):
    """The profile's ARN when every instance already holds it (then it exists, and the IAM lookup is saved:
    a no-op run reads only EC2); None when any instance needs a change."""
    instances, associations = current["instances"], current["associations"]
    if not instances or not all(i in associations and matches(associations[i], profile) for i in instances):
        return None
    arns = set(associations[i]["instance_profile_arn"] for i in instances)
    return arns.pop() if len(arns) == 1 else None


def _profile_arn(aws, plan, current, profile):
    """The profile's ARN, looked up in IAM unless the instances show it. A missing profile is planned on as an
    assumption (check mode of a play whose earlier task would create it); a real run refuses it."""
    arn = _arn_in_use(current, profile)
    if arn:
        return arn
    found = iam_calls.get_instance_profile(aws, profile_name(profile))
    if found is not None and (not profile.startswith("arn:") or found["Arn"] == profile):
        return found["Arn"]
    refusal = "instance_profile: no IAM instance profile %s in this account; nothing was changed" % profile
    if profile.startswith("arn:"):
        # Same name under another path or account: not the profile the user named.
        raise Refused(refusal)
    plan.assume(refusal, "instance profile %s does not exist yet; check mode assumes an earlier task creates it"
                % profile)
    return "arn:aws:iam::<account>:instance-profile/%s" % profile


# --------------------------------------------------------------------------------------------- steps

def _associate(aws, timeout, instance_id, profile_arn):
    try:
        return "associate", ec2_calls.associate(aws, timeout, instance_id, profile_arn)
    except Exception as error:  # pylint: disable=broad-except
        # Another run associated this instance between our read and this write: done if with our profile.
        if not ec2_calls.ASSOCIATION_EXISTS(error):
            raise
        found = active_associations(aws, [instance_id]).get(instance_id)
        if not found or found["instance_profile_arn"] != profile_arn:
            raise
        return "associate", found


def _replace(aws, timeout, instance_id, association_id, profile_arn):
    try:
        return "replace", ec2_calls.replace(aws, timeout, association_id, profile_arn)
    except Exception as error:  # pylint: disable=broad-except
        # The instance stopped between our read and this write: AWS refuses a replace then.
        if error_code(error) != "IncorrectState":
            raise
    return _disassociate_associate(aws, timeout, instance_id, association_id, profile_arn)


def _disassociate_associate(aws, timeout, instance_id, association_id, profile_arn):
    ec2_calls.disassociate(aws, association_id)
    return "disassociate_associate", ec2_calls.associate(aws, timeout, instance_id, profile_arn,
                                                         after_disassociate=True)


# --------------------------------------------------------------------------------------------- settle, result

def settle(aws, desired, plan):
    """The state after the writes: each write's answer, then, with wait, polling until every association
    this task made is `associated` (answers that say so already need no read)."""
    state = copy.deepcopy(plan.notes["current"])
    for instance_id, (_action, step) in plan.notes["steps"].items():
        association = step.outcome[1]
        if association is None:
            state["associations"].pop(instance_id, None)
        else:
            state["associations"][instance_id] = association
    if desired.get("state", "present") == "present" and desired.get("wait", True):
        _wait_for_associated(aws, state, desired.get("wait_timeout", 300))
    return state


def _wait_for_associated(aws, state, timeout):
    def pending():
        return [a for a in state["associations"].values() if a.get("state") == "associating"]

    def settled():
        waiting = pending()
        if waiting:
            by_id = dict((a["association_id"], a) for a in associations_of(aws, [a["instance_id"] for a in waiting]))
            for association in waiting:
                if association["association_id"] in by_id:
                    state["associations"][association["instance_id"]] = by_id[association["association_id"]]
        return not pending()

    if not wait_until(settled, timeout, aws.clock):
        raise Refused("timed out after %ss waiting for the associations of %s to become associated"
                      % (timeout, ", ".join(sorted(a["instance_id"] for a in pending()))))


def predict(current, plan):
    """Check mode reports the associations as they are, each with the action a real run would take."""
    return current


def result(state, plan):
    """Per instance: the association as it stands, the action taken (or to take) and whether it was done."""
    entries = []
    for instance_id in state["instances"]:
        association = state["associations"].get(instance_id) or {}
        action, step = plan.notes["steps"].get(instance_id, ("none", None))
        if step is not None and step.done:
            action = step.outcome[0]
        entry = {
            "instance_id": instance_id,
            "association_id": association.get("association_id"),
            "instance_profile_arn": association.get("instance_profile_arn"),
            "state": association.get("state"),
            "action": action,
            "done": step is None or step.done,
        }
        if step is not None and step.error:
            entry["error"] = step.error
        entries.append(entry)
    return {"associations": entries, "instance_profile_arn": plan.notes.get("profile_arn")}


def failure_hint(error):
    if ec2_calls.PROFILE_NOT_PROPAGATED(error):
        return (" EC2 did not yet know the instance profile when propagation_timeout ran out; a profile created"
                " moments ago can take a minute or two to reach EC2: raise propagation_timeout.")
    return ""


# --------------------------------------------------------------------------------------------- info

def describe(aws, params):
    """Associations for the _info module: by instance ids, by EC2 filters, or all; by profile and states."""
    states = params.get("state") or None
    if params.get("instance_ids"):
        found = associations_of(aws, params["instance_ids"], states)
    elif params.get("filters") is not None:
        found = associations_of(aws, list(read(aws, params)["instances"]), states)
    else:
        found = ec2_calls.describe_associations(aws, [{"Name": "state", "Values": list(states)}] if states else [])[0]
    if params.get("instance_profile"):
        found = [a for a in found if matches(a, params["instance_profile"])]
    return sorted(found, key=lambda a: (a["instance_id"], a["association_id"]))
