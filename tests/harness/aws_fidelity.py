"""Embedded-AWS extension: make moto answer as AWS does where the association modules depend on it.

Loaded by `embedded_aws.py serve --extension aws_fidelity` (install(front) runs in the server process), and
usable in-process by unit tests through `patched_moto()`. Each patch below exists because moto 5 differs from
AWS in a way that would let a wrong module pass:

- DescribeIamInstanceProfileAssociations: moto reads `MaxItems` instead of `MaxResults`, so it always pages at
  100 and pagination bugs at other page sizes go unseen. AWS honours MaxResults in 5..1000.
- EC2 filters: AWS refuses more than 200 values in one call (FilterLimitExceeded); moto takes any number, so a
  module that forgets to chunk would pass here and fail on AWS.
- ReplaceIamInstanceProfileAssociation: AWS replaces only on a running instance and answers IncorrectState
  otherwise; moto replaces on a stopped one too, hiding the disassociate-then-associate path.
- After a replace, moto's DescribeInstances keeps the old profile; AWS shows the new one.

Fault injection (front.controls["faults"], server only) answers chosen actions with AWS errors a given number of
times: the "Invalid IAM Instance Profile" error AWS gives right after a profile is created (moto has no
propagation delay) and RequestLimitExceeded throttling (moto never throttles).
"""

import threading
from contextlib import contextmanager

# AWS's per-call limit on filter values (EC2 API reference, "Filter" and FilterLimitExceeded).
MAX_FILTER_VALUES = 200
MIN_RESULTS, MAX_RESULTS = 5, 1000
# What moto's describe answers with when MaxResults is omitted (its historical page size).
DEFAULT_PAGE = 100


def _ec2_error(code, message):
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _check_filter_limit(filters):
    for values in (filters or {}).values():
        if len(values) > MAX_FILTER_VALUES:
            raise _ec2_error(
                "FilterLimitExceeded",
                "The maximum number of filter values specified on a single call is %d" % MAX_FILTER_VALUES,
            )
    return filters


def _patches():
    """(owner, attribute, replacement) for every patch; built lazily so importing needs no moto."""
    from moto.core.responses import ActionResult
    from moto.ec2.models.iam_instance_profile import IamInstanceProfileAssociationBackend
    from moto.ec2.responses._base_response import EC2BaseResponse
    from moto.ec2.responses.iam_instance_profiles import IamInstanceProfiles

    original_filters = EC2BaseResponse._filters_from_querystring
    original_replace = IamInstanceProfileAssociationBackend.replace_iam_instance_profile_association

    def filters_from_querystring(self):
        return _check_filter_limit(original_filters(self))

    def describe_iam_instance_profile_associations(self):
        max_results = self._get_int_param("MaxResults")
        if max_results is not None and not MIN_RESULTS <= max_results <= MAX_RESULTS:
            raise _ec2_error(
                "InvalidParameterValue",
                "Value (%s) for parameter maxResults is invalid. Expecting a value between %d and %d."
                % (max_results, MIN_RESULTS, MAX_RESULTS),
            )
        associations, next_token = self.ec2_backend.describe_iam_instance_profile_associations(
            self._get_param("AssociationIds", []),
            self._filters_from_querystring(),
            max_results or DEFAULT_PAGE,
            self._get_param("NextToken"),
        )
        return ActionResult({"IamInstanceProfileAssociations": associations, "NextToken": next_token})

    def replace_iam_instance_profile_association(self, association_id, *args, **kwargs):
        current = [a for a in self.iam_instance_profile_associations.values() if a.association_id == association_id]
        if current and current[0].instance._state.name != "running":
            # AWS's words for a replace on an instance that is not running.
            raise _ec2_error("IncorrectState", "The association %s is not the active association" % association_id)
        association = original_replace(self, association_id, *args, **kwargs)
        self.modify_instance_attribute(
            association.instance_id, "iam_instance_profile",
            {"Arn": association.iam_instance_profile.arn, "Id": association.association_id},
        )
        return association

    return [
        (EC2BaseResponse, "_filters_from_querystring", filters_from_querystring),
        (IamInstanceProfiles, "describe_iam_instance_profile_associations", describe_iam_instance_profile_associations),
        (IamInstanceProfileAssociationBackend, "replace_iam_instance_profile_association",
         replace_iam_instance_profile_association),
    ]


def patch_moto():
    """Apply the fidelity patches to moto's classes in this process; return a function that undoes them."""
    undo = []
    for owner, name, replacement in _patches():
        original = owner.__dict__[name]
        if getattr(original, "_iamkit_fidelity", False):
            continue
        replacement._iamkit_fidelity = True
        setattr(owner, name, replacement)
        undo.append((owner, name, original))

    def restore():
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)

    return restore


@contextmanager
def patched_moto():
    restore = patch_moto()
    try:
        yield
    finally:
        restore()


# --------------------------------------------------------------------------------------------- faults

def _invalid_profile(params):
    if params.get("IamInstanceProfile.Arn"):
        value, parameter, kind = params["IamInstanceProfile.Arn"], "iamInstanceProfile.arn", "ARN"
    else:
        value, parameter, kind = params.get("IamInstanceProfile.Name", ""), "iamInstanceProfile.name", "name"
    # AWS's answer while a new instance profile has not yet reached EC2.
    message = "Value (%s) for parameter %s is invalid. Invalid IAM Instance Profile %s" % (value, parameter, kind)
    return "400 Bad Request", "InvalidParameterValue", message


PRESETS = {
    "invalid_profile": _invalid_profile,
    "throttle": lambda params: ("503 Service Unavailable", "RequestLimitExceeded", "Request limit exceeded."),
}


def _error_body(code, message):
    from xml.sax.saxutils import escape

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
        "</Error></Errors><RequestID>iamkit-fault</RequestID></Response>" % (escape(code), escape(message))
    ).encode()


class Faults:
    """Pending injected errors, per action, consumed one per matching request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = []

    def control(self, method, payload):
        """POST {"action", "count", "kind": invalid_profile|throttle} or {"action", "count", "code", "message",
        "status"} adds faults (optional "after": pass that many matching requests first); DELETE clears them;
        every method answers with what is still pending."""
        with self.lock:
            if method == "POST":
                fault = dict(payload)
                if fault.get("kind") not in (None,) + tuple(PRESETS):
                    return {"error": "kind must be one of %s" % ", ".join(sorted(PRESETS))}
                fault["count"] = int(fault.get("count", 1))
                self.pending.append(fault)
            elif method == "DELETE":
                self.pending = []
            return [dict((k, v) for k, v in f.items()) for f in self.pending]

    def take(self, action):
        with self.lock:
            for fault in self.pending:
                if fault["action"] == action and fault.get("after", 0) > 0:
                    # Let this many matching requests through first: a failure mid-way through a batch.
                    fault["after"] -= 1
                    return None
                if fault["action"] == action and fault["count"] > 0:
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self.pending.remove(fault)
                    return fault
        return None

    def hook(self, call):
        fault = self.take(call["action"])
        if fault is None:
            return None
        if fault.get("kind"):
            status, code, message = PRESETS[fault["kind"]](call["params"])
        else:
            status = fault.get("status", 400)
            status = status if isinstance(status, str) else "%d Injected Fault" % status
            code, message = fault.get("code", "InternalError"), fault.get("message", "injected fault")
        return status, [("Content-Type", "text/xml")], _error_body(code, message)


def install(front):
    patch_moto()
    faults = Faults()
    front.hooks.append(faults.hook)
    front.controls["faults"] = faults.control
    front.state["extras"]["aws_fidelity"] = True
