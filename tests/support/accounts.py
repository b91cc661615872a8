"""Embedded-AWS extension: a second account, and AssumeRole decided as AWS decides it, across accounts too.

Loaded by `embedded_aws.py serve --extension accounts` (install(front) runs in the server process). moto keeps
accounts apart by access key (moto/iam/models.py get_account_id_from: a key belongs to the account whose IAM
backend holds it), and sts:AssumeRole into a role ARN of another account mints keys in that account
(moto/sts/models.py STSBackend._create_access_key), so credentials from AssumeRole act in the role's account.
What moto leaves out, and the cross-account stories depend on, is added here:

- A second account (SECOND_ACCOUNT_ID) with its own admin user (AdministratorAccess), made directly in moto's IAM
  backend because the unchecked requests of enforced IAM are spent on the first account's admin. Its keys are in
  the state file under `second_account`.
- AssumeRole under enforced IAM. moto looks the role up in the caller's account only, so a role of another
  account is never checked against its trust policy (moto/iam/access_control.py,
  IAMRequestBase._is_assuming_role_operation), and it compares principals as exact strings, so a trust policy
  naming a role never matches that role's sessions, nor an account id the account's principals. Here the call is
  allowed when the caller's own policies allow sts:AssumeRole on the role, the role exists, and its trust policy
  lets the caller in (trust_allows). AWS requires both policies for a role of another account, and for a trust
  policy that names an account or a role rather than the exact user or session (IAM User Guide, "Policy
  evaluation logic", "Cross-account policy evaluation logic" and "AWS JSON policy elements: Principal"); for a
  user named directly in a same-account trust policy AWS would not need the user's own policy, so requiring it
  here is stricter than AWS, never laxer.
- IAM refuses a trust policy that names a role or user that does not exist (MalformedPolicyDocument, "Invalid
  principal in policy"); moto accepts it, which would hide a play that creates the trusting role too early.
- S3 buckets are not shared between accounts (moto's own switch MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS=false): AWS
  grants access to another account's bucket only through a bucket policy or an ACL, which moto does not evaluate,
  so refusing is the strict answer.
"""

import fnmatch
import json
import os
import re

from tests.support.embedded_aws import PARTITION

SECOND_ACCOUNT_ID = "111122223333"
ADMIN_USER = "iamkit-admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"

_ASSUME_ROLE = "sts:AssumeRole"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_ENTITY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(.+)$")


# ------------------------------------------------------------------------------------------- the second account

def create_admin(account_id, user_name=ADMIN_USER):
    """An admin user with keys in account_id, made in moto's backend (no request, so nothing to authorise)."""
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id][PARTITION]
    iam.create_user(region_name="us-east-1", user_name=user_name)
    iam.attach_user_policy(ADMIN_POLICY, user_name)
    key = iam.create_access_key(user_name)
    return {"account_id": account_id, "access_key": key.access_key_id, "secret_key": key.secret_access_key}


# ------------------------------------------------------------------------------------------- trust policies

def as_list(value):
    return value if isinstance(value, list) else [value]


def action_concerned(statement, action=_ASSUME_ROLE):
    """Whether the statement's Action (or NotAction) covers the action; IAM matches actions case-insensitively."""
    def matches(patterns):
        return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in as_list(patterns))

    if "NotAction" in statement:
        return not matches(statement["NotAction"])
    return matches(statement.get("Action", []))


def principal_matches(value, caller):
    """One AWS principal of a policy against the caller: "*", its account (id or root ARN), or its ARNs."""
    if value == "*":
        return True
    if _ACCOUNT_ID.match(value):
        return value == caller["account_id"]
    root = _ROOT_ARN.match(value)
    if root:
        return root.group(1) == caller["account_id"]
    return value in caller["arns"]


def principal_named(principal, caller):
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(principal_matches(value, caller) for value in as_list(principal.get("AWS", [])))


def condition_holds(operator, expected, actual):
    """True or False for the string operators of IAM's condition language; None for an operator not modelled."""
    if operator.endswith("IfExists"):
        if actual is None:
            return True
        operator = operator[: -len("IfExists")]
    expected = [str(value) for value in as_list(expected)]
    if operator == "StringEquals":
        return actual is not None and actual in expected
    if operator == "StringLike":
        return actual is not None and any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
    if operator == "StringNotEquals":
        return actual is None or actual not in expected
    return None


def conditions_hold(condition, context):
    """All tests of a Condition block (AND); None when one of them uses an operator not modelled here."""
    results = []
    for operator, tests in (condition or {}).items():
        for key, expected in tests.items():
            results.append(condition_holds(operator, expected, context.get(key.lower())))
    if None in results:
        return None
    return all(results)


def trust_allows(document, caller, context):
    """Whether a trust policy lets the caller assume the role: an Allow that names it, and no Deny that does.

    Strict where the model ends: an Allow whose condition is not modelled grants nothing, a Deny whose condition
    is not modelled applies, and NotPrincipal never grants."""
    allowed = False
    for statement in as_list(document.get("Statement", [])):
        if not action_concerned(statement):
            continue
        holds = conditions_hold(statement.get("Condition"), context)
        if statement.get("Effect") == "Deny":
            named = ("NotPrincipal" in statement and not principal_named(statement["NotPrincipal"], caller)) or \
                principal_named(statement.get("Principal"), caller)
            if named and holds is not False:
                return False
        elif statement.get("Effect") == "Allow" and "Principal" in statement:
            allowed = allowed or (principal_named(statement["Principal"], caller) and holds is True)
    return allowed


# ------------------------------------------------------------------------------------------- moto, patched

def caller_of(request):
    """The account and the ARNs a policy may name the caller of a moto IAMRequest by."""
    from moto.iam.access_control import AssumedRoleAccessKey
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    account_id = request.account_id
    key = request._access_key
    if isinstance(key, AssumedRoleAccessKey):
        roles = [role.role_arn for role in sts_backends[account_id][PARTITION].assumed_roles
                 if role.access_key_id == key._access_key_id]
        return {"account_id": account_id, "arns": set([key.arn] + roles), "principal_arn": (roles or [key.arn])[0]}
    user_arn = iam_backends[account_id][PARTITION].get_user(key._owner_user_name).arn
    return {"account_id": account_id, "arns": {key.arn, user_arn}, "principal_arn": user_arn}


def target_role(role_arn):
    """The role an AssumeRole names, looked up in its own account; None when it does not exist."""
    from moto.iam.models import iam_backends

    entity = _ENTITY_ARN.match(role_arn or "")
    if not entity or entity.group(2) != "role":
        return None
    try:
        return iam_backends[entity.group(1)][PARTITION].get_role_by_arn(role_arn)
    except Exception:
        return None


def identity_allows(request, resource):
    """The caller's own policies, evaluated by moto (Allow needed, any Deny wins)."""
    from moto.iam.access_control import IAMPolicy
    from moto.iam.access_control import PermissionResult

    permitted = False
    for policy in request._access_key.collect_policies():
        result = IAMPolicy(policy).is_action_permitted(request._action, resource)
        if result == PermissionResult.DENIED:
            return False
        permitted = permitted or result == PermissionResult.PERMITTED
    return permitted


def check_assume_role(request, resource):
    role = target_role(resource)
    if role is None or not identity_allows(request, resource):
        request._raise_access_denied()
    caller = caller_of(request)
    data = request._data or {}
    external_id = data.get("ExternalId")
    context = {
        "sts:externalid": external_id[0] if isinstance(external_id, list) else external_id,
        "aws:principalaccount": caller["account_id"],
        "aws:principalarn": caller["principal_arn"],
    }
    if not trust_allows(json.loads(role.assume_role_policy_document), caller, context):
        request._raise_access_denied()


def missing_principals(document_text):
    """Role and user ARNs a trust policy names that do not exist in their accounts."""
    from moto.iam.models import iam_backends

    try:
        document = json.loads(document_text)
    except (TypeError, ValueError):
        return []  # not JSON: moto's own validation answers
    missing = []
    for statement in as_list(document.get("Statement", [])) if isinstance(document, dict) else []:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if not isinstance(principal, dict):
            continue
        for value in as_list(principal.get("AWS", [])):
            entity = _ENTITY_ARN.match(value) if isinstance(value, str) else None
            if not entity:
                continue
            iam = iam_backends[entity.group(1)][PARTITION]
            names = iam.get_roles() if entity.group(2) == "role" else iam.users.values()
            if not any(item.arn == value for item in names):
                missing.append(value)
    return missing


def refuse_missing_principals(document_text):
    from moto.iam.exceptions import MalformedPolicyDocument

    missing = missing_principals(document_text)
    if missing:
        raise MalformedPolicyDocument('Invalid principal in policy: "AWS":"%s"' % missing[0])


def patch_moto():
    from moto.iam.access_control import IAMRequestBase
    from moto.iam.models import IAMBackend

    original_check = IAMRequestBase.check_action_permitted
    if getattr(original_check, "_iamkit_accounts", False):
        return
    original_create = IAMBackend.create_role
    original_update = IAMBackend.update_assume_role_policy

    def check_action_permitted(self, resource):
        if self._action == _ASSUME_ROLE:
            return check_assume_role(self, resource)
        return original_check(self, resource)

    def create_role(self, role_name, assume_role_policy_document, *args, **kwargs):
        refuse_missing_principals(assume_role_policy_document)
        return original_create(self, role_name, assume_role_policy_document, *args, **kwargs)

    def update_assume_role_policy(self, role_name, policy_document):
        refuse_missing_principals(policy_document)
        return original_update(self, role_name, policy_document)

    check_action_permitted._iamkit_accounts = True
    IAMRequestBase.check_action_permitted = check_action_permitted
    IAMBackend.create_role = create_role
    IAMBackend.update_assume_role_policy = update_assume_role_policy


def install(front):
    os.environ["MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS"] = "false"
    patch_moto()
    front.state["second_account"] = create_admin(SECOND_ACCOUNT_ID)
    front.state["extras"]["accounts"] = True
