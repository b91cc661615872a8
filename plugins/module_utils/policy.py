# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Policy documents: parse, validate, and compare by meaning rather than by spelling.

IAM returns documents in whatever shape they were written, and users write the same policy many ways
(one action as a string or a one-element list, statements in another order, the account as an id or as
a root ARN). Comparing the normalised forms keeps a module from calling an update that changes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from urllib.parse import unquote

# A missing Version means the 2008 policy language to AWS; users who omit it nearly always mean the
# current one, and amazon.aws writes the current one, so both compare as 2012-10-17.
DEFAULT_VERSION = "2012-10-17"

# Keys whose value may be one string or a list of strings with the same meaning.
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")


class PolicyError(ValueError):
    """A policy document that is not JSON, or not shaped like an IAM policy."""


def parse_policy(document, option):
    """Return the document as a dict; `option` names where it came from for the error message."""
    if isinstance(document, dict):
        parsed = document
    else:
        text = document
        if isinstance(text, str) and text.lstrip().startswith("%7B"):
            text = unquote(text)
        try:
            parsed = json.loads(text)
        except (TypeError, ValueError) as error:
            raise PolicyError("%s is not valid JSON: %s" % (option, error)) from None
    if not isinstance(parsed, dict):
        raise PolicyError("%s must be a JSON object with a Statement, got %s" % (option, type(parsed).__name__))
    if "Statement" not in parsed:
        raise PolicyError("%s has no Statement: an IAM policy needs a Statement list" % option)
    statements = parsed["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise PolicyError("%s: Statement must be an object or a list of objects" % option)
    for index, statement in enumerate(statements):
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(
                "%s: every statement needs Effect Allow or Deny, got %r in %s"
                % (option, statement.get("Effect"), _statement_name(index, statement))
            )
    # Written as it is compared: without a Version, IAM would apply the 2008 language (and refuse
    # policy variables), which is not what users who omit it mean.
    result = dict(parsed)
    result.setdefault("Version", DEFAULT_VERSION)
    return result


def _as_sorted_list(value):
    values = value if isinstance(value, list) else [value]
    return sorted(set(_principal_value(v) if isinstance(v, str) else json.dumps(v, sort_keys=True) for v in values))


def _principal_value(value):
    match = _ROOT_ARN.match(value)
    return match.group(1) if match else value


def _normalise_principal(principal):
    if not isinstance(principal, dict):
        return principal
    return dict((kind, _as_sorted_list(value)) for kind, value in principal.items())


def _normalise_condition(condition):
    return dict(
        (operator, dict((key, sorted(set(v if isinstance(v, list) else [v]), key=str)) for key, v in tests.items()))
        for operator, tests in condition.items()
    )


def _normalise_statement(statement):
    result = {}
    for key, value in statement.items():
        if key == "Sid" and not value:
            continue
        if key in _LIST_KEYS:
            values = value if isinstance(value, list) else [value]
            result[key] = sorted(set(values))
        elif key in ("Principal", "NotPrincipal"):
            result[key] = _normalise_principal(value)
        elif key == "Condition" and isinstance(value, dict):
            result[key] = _normalise_condition(value)
        else:
            result[key] = value
    return result


def normalise_policy(document):
    """The canonical form of a policy (dict or JSON), used only for comparison."""
    if document is None:
        return None
    parsed = parse_policy(document, "policy")
    statements = parsed["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    canonical = [_normalise_statement(s) for s in statements]
    canonical.sort(key=lambda s: json.dumps(s, sort_keys=True))
    result = dict((k, v) for k, v in parsed.items() if k not in ("Statement", "Version"))
    result["Version"] = parsed.get("Version") or DEFAULT_VERSION
    result["Statement"] = canonical
    return result


def policies_equal(a, b):
    return normalise_policy(a) == normalise_policy(b)


# Principals a trust policy may name for cross-account access: an account id (the account's root, so the
# account's own IAM policies decide which of its users and roles may assume) or an IAM role or user ARN.
_ACCOUNT_PRINCIPAL = re.compile(r"^\d{12}$")
# Actions that let a principal assume a role, as a trust policy may write them.
_ASSUME_ACTIONS = re.compile(r"^(\*|sts:\*|sts:AssumeRole\*?)$", re.I)


def trust_policy(services=None, accounts=None, external_id=None):
    """A trust policy letting AWS services and/or accounts, roles and users assume a role.

    One statement per kind of principal, because the sts:ExternalId condition concerns only the accounts:
    AWS services never send an external id, so a shared condition would lock them out.
    """
    statements = []
    if services:
        statements.append(_assume_statement({"Service": _one_or_sorted(services)}))
    if accounts:
        statement = _assume_statement({"AWS": _one_or_sorted(accounts)})
        if external_id is not None:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        statements.append(statement)
    return {"Version": DEFAULT_VERSION, "Statement": statements}


def _assume_statement(principal):
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}


def _one_or_sorted(values):
    values = sorted(set(values))
    return values[0] if len(values) == 1 else values


def trusted_principals(document):
    """Who may assume a role by its trust policy: services, accounts, other AWS principals (ARNs or "*"),
    federated providers, and the external ids required. Only Allow statements that grant an AssumeRole
    action count; a Deny is not subtracted (the whole document is returned beside this summary)."""
    found = {"services": set(), "accounts": set(), "arns": set(), "federated": set(), "external_ids": set()}
    if not document:
        return dict((key, []) for key in found)
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if statement.get("Effect") != "Allow" or not any(_ASSUME_ACTIONS.match(a) for a in actions):
            continue
        principal = statement.get("Principal", {})
        if principal == "*":
            principal = {"AWS": "*"}
        for kind, values in principal.items():
            for value in values if isinstance(values, list) else [values]:
                found[_principal_kind(kind, value)].add(_principal_value(value))
        for tests in (statement.get("Condition") or {}).values():
            for key, value in tests.items():
                if key.lower() == "sts:externalid":
                    found["external_ids"].update(value if isinstance(value, list) else [value])
    return dict((key, sorted(values)) for key, values in found.items())


def _principal_kind(kind, value):
    if kind == "Service":
        return "services"
    if kind == "Federated":
        return "federated"
    return "accounts" if _ACCOUNT_PRINCIPAL.match(_principal_value(value)) else "arns"


# ------------------------------------------------------------------------------------------ validation
# What IAM refuses, checked before any write so that nothing is half-applied (a role created, then its inline
# policy refused). The rules come from AWS's IAM User Guide: "Grammar of the IAM JSON policy language"
# (reference_policies_grammar: the statement's blocks, Effect, the Version values, the principal map's keys)
# and its element pages: Sid (letters and digits, unique in a policy), Principal (not in identity-based
# policies, required in a role's trust policy), NotPrincipal (in neither). The Resource refused in a trust
# policy and the actions a trust policy may name follow IAM's MalformedPolicyDocument answers, also encoded in
# moto's moto/iam/policy_validation.py.

POLICY_VERSIONS = ("2008-10-17", "2012-10-17")
_POLICY_KEYS = ("Version", "Id", "Statement")
_STATEMENT_KEYS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                   "NotResource", "Condition")
_PRINCIPAL_KINDS = ("AWS", "Federated", "Service", "CanonicalUser")
# The actions a role's trust policy may allow or deny: assuming the role and what goes with a session.
TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:TagSession",
                 "sts:SetSourceIdentity", "sts:SetContext")
_SID = re.compile(r"^[A-Za-z0-9]*$")
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[^:]+$")


def _statement_name(index, statement):
    sid = statement.get("Sid")
    return "Statement[%d] (Sid %r)" % (index, sid) if sid else "Statement[%d]" % index


def _values(statement, key):
    value = statement[key]
    return value if isinstance(value, list) else [value]


def _check_document(parsed, option):
    """The checks every IAM policy shares: top-level keys, Version, statement keys, Sid, one action block."""
    unknown = sorted(set(parsed) - set(_POLICY_KEYS))
    if unknown:
        raise PolicyError("%s: unknown top-level key %s; a policy has only %s"
                          % (option, ", ".join(unknown), ", ".join(_POLICY_KEYS)))
    if "Version" in parsed and parsed["Version"] not in POLICY_VERSIONS:
        raise PolicyError("%s: Version must be one of %s, got %r"
                          % (option, ", ".join(POLICY_VERSIONS), parsed["Version"]))
    statements = parsed["Statement"] if isinstance(parsed["Statement"], list) else [parsed["Statement"]]
    if not statements:
        raise PolicyError("%s: Statement is empty; a policy needs at least one statement" % option)
    seen_sids = set()
    for index, statement in enumerate(statements):
        where = "%s: %s" % (option, _statement_name(index, statement))
        unknown = sorted(set(statement) - set(_STATEMENT_KEYS))
        if unknown:
            raise PolicyError("%s has unknown key %s; a statement has only %s"
                              % (where, ", ".join(unknown), ", ".join(_STATEMENT_KEYS)))
        sid = statement.get("Sid")
        if sid is not None and (not isinstance(sid, str) or not _SID.match(sid)):
            raise PolicyError("%s: Sid may hold only ASCII letters and digits" % where)
        if sid:
            if sid in seen_sids:
                raise PolicyError("%s: Sid %r is used by an earlier statement; Sids must be unique in a policy"
                                  % (where, sid))
            seen_sids.add(sid)
        _check_one_of(statement, ("Action", "NotAction"), where)
        for action in _values(statement, "Action" if "Action" in statement else "NotAction"):
            if not isinstance(action, str) or not (action == "*" or _ACTION.match(action)):
                raise PolicyError("%s: %r is not an action; write service:action, such as s3:GetObject, or *"
                                  % (where, action))
        condition = statement.get("Condition", {})
        if not (isinstance(condition, dict) and all(isinstance(v, dict) for v in condition.values())):
            raise PolicyError("%s: Condition must map each operator to an object of keys and values" % where)
    return statements


def _check_one_of(statement, keys, where):
    present = [key for key in keys if key in statement]
    if len(present) != 1:
        raise PolicyError("%s needs exactly one of %s, found %s"
                          % (where, " or ".join(keys), " and ".join(present) or "neither"))
    if _values(statement, present[0]) == []:
        raise PolicyError("%s: %s is empty" % (where, present[0]))


def validate_permissions_policy(document, option):
    """A permissions (identity-based) policy, such as an inline policy of a role, as IAM would take it;
    returns the parsed document. PolicyError names `option` and the statement otherwise."""
    parsed = parse_policy(document, option)
    for index, statement in enumerate(_check_document(parsed, option)):
        where = "%s: %s" % (option, _statement_name(index, statement))
        for key in ("Principal", "NotPrincipal"):
            if key in statement:
                raise PolicyError("%s has %s, which a permissions policy cannot have: it applies to the role it "
                                  "is attached to (who may assume the role goes in the trust policy)" % (where, key))
        _check_one_of(statement, ("Resource", "NotResource"), where)
    return parsed


def validate_trust_policy(document, option):
    """A role's trust policy (who may assume it) as IAM would take it; returns the parsed document."""
    parsed = parse_policy(document, option)
    for index, statement in enumerate(_check_document(parsed, option)):
        where = "%s: %s" % (option, _statement_name(index, statement))
        if "NotPrincipal" in statement:
            raise PolicyError("%s has NotPrincipal, which a trust policy cannot have; use Principal" % where)
        if "Principal" not in statement:
            raise PolicyError("%s has no Principal: a trust policy statement names who may assume the role, "
                              "for example {\"Service\": \"ec2.amazonaws.com\"}" % where)
        _check_principal(statement["Principal"], where)
        for key in ("Resource", "NotResource"):
            if key in statement:
                raise PolicyError("%s has %s, which a trust policy cannot have: the resource is the role itself"
                                  % (where, key))
        if "Action" in statement:
            for action in _values(statement, "Action"):
                if not _is_trust_action(action):
                    raise PolicyError("%s: a trust policy may name only the actions %s (or sts:* wildcards), got %r"
                                      % (where, ", ".join(TRUST_ACTIONS), action))
    return parsed


def _check_principal(principal, where):
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise PolicyError("%s: Principal must be \"*\" or an object with keys among %s"
                          % (where, ", ".join(_PRINCIPAL_KINDS)))
    unknown = sorted(set(principal) - set(_PRINCIPAL_KINDS))
    if unknown:
        raise PolicyError("%s: Principal has unknown kind %s; allowed: %s"
                          % (where, ", ".join(unknown), ", ".join(_PRINCIPAL_KINDS)))


def _is_trust_action(action):
    if not isinstance(action, str):
        return False
    if action == "*":
        return True
    service, _sep, name = action.partition(":")
    if service.lower() != "sts":
        return False
    if "*" in name or "?" in name:
        return True
    return ("sts:" + name).lower() in [known.lower() for known in TRUST_ACTIONS]
