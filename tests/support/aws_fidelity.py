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
- RemoveRoleFromInstanceProfile of a role the profile does not hold: AWS answers NoSuchEntity (IAM API
  reference, RemoveRoleFromInstanceProfile, Errors); moto fails with an internal error (HTTP 500), which
  would hide how a module treats "already removed" (two runs removing the same role at once).
- UpdateRole: AWS changes only what the call gives (IAM API reference, UpdateRole: each parameter is
  optional); moto resets an omitted Description to empty and MaxSessionDuration to 3600.
- ListInstanceProfiles: AWS lists only the profiles under PathPrefix; moto ignores it and lists them all.
- A role's PermissionsBoundary: AWS answers PermissionsBoundaryType "Policy" (IAM API reference,
  AttachedPermissionsBoundary: "can only have a value of Policy"; `aws iam get-role` shows it, and amazon.aws's
  iam_role target, run against AWS, asserts it); moto answers the model's enum name "PermissionsBoundaryPolicy".
- With IAM enforced, AWS authorizes a call on one SSM parameter against that parameter's ARN (Service
  Authorization Reference, Systems Manager, resource type "parameter"); moto checks every SSM call against
  the resource "*", so a grant scoped to parameters (CloudWatchAgentServerPolicy's
  parameter/AmazonCloudWatch-*) is refused there while AWS allows it.
- PutMetricData: AWS stores the metrics of `EntityMetricData` (each entity's MetricData) as well as those of
  `MetricData` (CloudWatch API reference, PutMetricData); moto reads only MetricData, answers 200 and drops the
  rest. The CloudWatch agent sends every metric of an EC2 instance as EntityMetricData (entity: the instance).
- Errors of the query-protocol services (CloudWatch, STS, IAM): AWS answers <ErrorResponse><Error><Code>...;
  moto's authorization errors (AccessDenied, SignatureDoesNotMatch, InvalidClientTokenId) come as
  <ErrorResponse><Errors><Error>, which botocore reads but aws-sdk-go v1 (the CloudWatch agent's SDK,
  private/protocol/query/unmarshal_error.go) does not: the agent would log an empty code instead of AccessDenied.

Faults AWS produces and moto does not (throttling, 5xx, propagation delay, races) belong to the `faults`
extension (tests/support/faults.py); this one only makes moto's answers right.
"""

from contextlib import contextmanager

# AWS's per-call limit on filter values (EC2 API reference, "Filter" and FilterLimitExceeded).
MAX_FILTER_VALUES = 200
MIN_RESULTS, MAX_RESULTS = 5, 1000
# What a patched class had no attribute of its own for (restore removes the patch).
_ABSENT = object()
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


class _Patched(property):
    """A property that can carry the patched mark (a plain property takes no attributes)."""


def _patches():
    """(owner, attribute, replacement) for every patch; built lazily so importing needs no moto."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult
    from moto.core.responses import EmptyResult
    from moto.ec2.models.iam_instance_profile import IamInstanceProfileAssociationBackend
    from moto.ec2.responses._base_response import EC2BaseResponse
    from moto.ec2.responses.iam_instance_profiles import IamInstanceProfiles
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import IAMBackend
    from moto.iam.models import Role
    from moto.iam.responses import IamResponse
    from moto.ssm.responses import SimpleSystemManagerResponse

    original_filters = EC2BaseResponse._filters_from_querystring
    original_replace = IamInstanceProfileAssociationBackend.replace_iam_instance_profile_association
    original_remove_role = IAMBackend.remove_role_from_instance_profile

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

    def remove_role_from_instance_profile(self, profile_name, role_name):
        profile = self.get_instance_profile(profile_name)
        if role_name not in [role.name for role in profile.roles]:
            raise NotFoundException("The role with name %s cannot be found in instance profile %s."
                                    % (role_name, profile_name))
        return original_remove_role(self, profile_name, role_name)

    def update_role(self):
        role = self.backend.get_role(self._get_param("RoleName"))
        description = self._get_param("Description")
        duration = self._get_param("MaxSessionDuration")
        self.backend.update_role(role.name, role.description if description is None else description,
                                 role.max_session_duration if duration is None else duration)
        return EmptyResult()

    def list_instance_profiles(self):
        prefix = self._get_param("PathPrefix") or "/"
        profiles = [p for p in self.backend.get_instance_profiles() if p.path.startswith(prefix)]
        return ActionResult({"InstanceProfiles": profiles})

    def ssm_parameter_resource(self):
        name = self._get_param("Name")
        if not isinstance(name, str) or not name:
            return "*"
        return "arn:aws:ssm:%s:%s:parameter/%s" % (self.region, self.current_account, name.lstrip("/"))

    def put_metric_data(self):
        metric_data = list(self._get_param("MetricData", []))
        for entity in self._get_param("EntityMetricData", []):
            metric_data.extend(entity.get("MetricData", []))
        self.cloudwatch_backend.put_metric_data(self._get_param("Namespace"), metric_data)
        return EmptyResult()

    def permissions_boundary(role):
        if not role.permissions_boundary_arn:
            return None
        return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": role.permissions_boundary_arn}

    return [
        (CloudWatchResponse, "put_metric_data", put_metric_data),
        (SimpleSystemManagerResponse, "_determine_resource", ssm_parameter_resource),
        (Role, "permissions_boundary", _Patched(permissions_boundary)),
        (IAMBackend, "remove_role_from_instance_profile", remove_role_from_instance_profile),
        (IamResponse, "update_role", update_role),
        (IamResponse, "list_instance_profiles", list_instance_profiles),
        (EC2BaseResponse, "_filters_from_querystring", filters_from_querystring),
        (IamInstanceProfiles, "describe_iam_instance_profile_associations", describe_iam_instance_profile_associations),
        (IamInstanceProfileAssociationBackend, "replace_iam_instance_profile_association",
         replace_iam_instance_profile_association),
    ]


def patch_moto():
    """Apply the fidelity patches to moto's classes in this process; return a function that undoes them."""
    undo = []
    for owner, name, replacement in _patches():
        original = owner.__dict__.get(name, _ABSENT)
        if getattr(original, "_iamkit_fidelity", False):
            continue
        replacement._iamkit_fidelity = True
        setattr(owner, name, replacement)
        undo.append((owner, name, original))

    def restore():
        for owner, name, original in reversed(undo):
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)

    return restore


@contextmanager
def patched_moto():
    restore = patch_moto()
    try:
        yield
    finally:
        restore()


QUERY_PROTOCOL_SERVICES = ("monitoring", "sts", "iam")
MOTO_ERROR_START, AWS_ERROR_START = b"<ErrorResponse><Errors><Error>", b"<ErrorResponse><Error>"
MOTO_ERROR_END = b"</Error></Errors></ErrorResponse>"
AWS_ERROR_END = b"</Error><RequestId>iamkit</RequestId></ErrorResponse>"


def query_error_shape(call, status, body):
    """An error of a query-protocol service in AWS's shape (see the module's docstring)."""
    if call["service"] in QUERY_PROTOCOL_SERVICES and not str(status).startswith("2") and MOTO_ERROR_START in body:
        return body.replace(MOTO_ERROR_START, AWS_ERROR_START).replace(MOTO_ERROR_END, AWS_ERROR_END)
    return body


def install(front):
    patch_moto()
    front.response_filters.append(query_error_shape)
    front.state["extras"]["aws_fidelity"] = True
