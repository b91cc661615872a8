# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks that run before any AWS call, each failing with the option, the value and what is allowed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# IAM's rules for role, profile and policy names, and for paths (IAM API reference, CreateRole).
_NAME = re.compile(r"^[\w+=,.@-]+$")
_PATH = re.compile(r"^/([\x21-\x7e]*/)?$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/([\x21-\x7e]+/)?[\w+=,.@-]+$")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8}([0-9a-f]{9})?$")


class InvalidInput(ValueError):
    """Raised for bad module input; the module turns it into fail_json before touching AWS."""


def check_name(option, value, max_length=64):
    if not _NAME.match(value or "") or len(value) > max_length:
        raise InvalidInput(
            "%s=%r is not a valid IAM name: use 1 to %d characters from letters, digits and +=,.@_-"
            % (option, value, max_length)
        )
    return value


def check_path(option, value, max_length=512):
    if value is None:
        return value
    if not _PATH.match(value) or len(value) > max_length:
        raise InvalidInput(
            "%s=%r is not a valid IAM path: it must begin and end with '/' (for example /service/), "
            "use printable ASCII without spaces, and be at most %d characters" % (option, value, max_length)
        )
    return value


def check_policy_arn(option, value):
    if not _POLICY_ARN.match(value or ""):
        raise InvalidInput(
            "%s=%r is not an IAM policy ARN: expected arn:aws:iam::<account id or aws>:policy/<name>" % (option, value)
        )
    return value


def is_arn(value):
    return bool(_ARN.match(value or ""))


def check_range(option, value, low, high):
    if value is not None and not low <= value <= high:
        raise InvalidInput("%s=%r is out of range: allowed values are %d to %d" % (option, value, low, high))
    return value


def check_instance_ids(option, values):
    bad = [v for v in values if not _INSTANCE_ID.match(v or "")]
    if bad:
        raise InvalidInput(
            "%s has malformed instance ids %s: expected i- followed by 8 or 17 hexadecimal digits"
            % (option, ", ".join(repr(v) for v in bad))
        )
    return values


def name_from_arn(value):
    """The last path element of an ARN (role/path/Name -> Name), or the value itself when it is a name."""
    return value.rsplit("/", 1)[-1] if is_arn(value) else value


# Who a trust policy may name in trusted_accounts: an account id, the account's root ARN, or an IAM role
# or user ARN (IAM API reference: AWS JSON policy elements, Principal).
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:root$")
_ROLE_OR_USER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/([\x21-\x7e]+/)?[\w+=,.@-]{1,64}$")
# sts:AssumeRole's ExternalId: 2 to 1224 characters from letters, digits and +=,.@:/- (STS API reference).
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


def check_trusted_principal(option, value):
    """An account id or an IAM root, role or user ARN; returned as given (IAM stores an id as its root ARN)."""
    text = value if isinstance(value, str) else ""
    if _ACCOUNT_ID.match(text) or _ROOT_ARN.match(text) or _ROLE_OR_USER_ARN.match(text):
        return text
    raise InvalidInput(
        "%s has %r, which is neither a 12-digit AWS account id nor an IAM ARN of a role, a user or an account "
        "root: expected 123456789012, arn:aws:iam::123456789012:root, arn:aws:iam::123456789012:role/NAME or "
        "arn:aws:iam::123456789012:user/NAME" % (option, value)
    )


def check_external_id(option, value):
    if not _EXTERNAL_ID.match(value or ""):
        raise InvalidInput(
            "%s=%r is not a valid external id: use 2 to 1224 characters from letters, digits and +=,.@:/-"
            % (option, value)
        )
    return value
