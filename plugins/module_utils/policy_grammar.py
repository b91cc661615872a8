# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Policy documents checked as IAM would take them, before any write, so that nothing is half-applied (a role
created, then its inline policy refused)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.iamkit.ec2.plugins.module_utils.policy import PolicyError
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import parse_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import statement_name

# The rules come from AWS's IAM User Guide: "Grammar of the IAM JSON policy language"
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
        where = "%s: %s" % (option, statement_name(index, statement))
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
        where = "%s: %s" % (option, statement_name(index, statement))
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
        where = "%s: %s" % (option, statement_name(index, statement))
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
