# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Policy documents: parse, build, and compare by meaning rather than by spelling.

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
                % (option, statement.get("Effect"), statement_name(index, statement))
            )
    # Written as it is compared: without a Version, IAM would apply the 2008 language (and refuse
    # policy variables), which is not what users who omit it mean.
    result = dict(parsed)
    result.setdefault("Version", DEFAULT_VERSION)
    return result


def statement_name(index, statement):
    """How an error names a statement: its index and, when it has one, its Sid."""
    sid = statement.get("Sid")
    return "Statement[%d] (Sid %r)" % (index, sid) if sid else "Statement[%d]" % index


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
