# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks that run before any AWS call, each failing with the option, the value and what is allowed.

One rule per option, whichever module takes it: timeouts, names, paths and path prefixes are checked here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# IAM's rules for role, profile and policy names, and for paths (IAM API reference, CreateRole).
_NAME = re.compile(r"^[\w+=,.@-]+$")
_PATH = re.compile(r"^/([\x21-\x7e]*/)?$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/([\x21-\x7e]+/)?[\w+=,.@-]+$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role(/[\x21-\x7e]*)?/([\w+=,.@-]{1,64})$")
_PROFILE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:instance-profile/([\x21-\x7e]+/)?[\w+=,.@-]{1,128}$")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8}([0-9a-f]{9})?$")

ROLE_NAME_MAX = 64
PROFILE_NAME_MAX = 128
# Every wait and retry window of the collection's modules, in seconds.
TIMEOUT_RANGE = (0, 3600)


class InvalidInput(ValueError):
    """Raised for bad module input; the engine turns it into fail_json before touching AWS."""


def check_name(option, value, max_length=ROLE_NAME_MAX):
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
            "%s=%r is not a valid IAM path: path must begin and end with / (for example /service/), "
            "use printable ASCII without spaces, and be at most %d characters" % (option, value, max_length)
        )
    return value


def check_path_prefix(option, value):
    """A path prefix for listing. As amazon.aws does, a prefix written without its slashes (service, or
    /service) means /service/; anything else a path may not hold is refused."""
    if value is None:
        return value
    normalised = ("" if value.startswith("/") else "/") + value + ("" if value.endswith("/") else "/")
    return check_path(option, normalised)


def check_policy_arn(option, value):
    if not _POLICY_ARN.match(value or ""):
        raise InvalidInput(
            "%s=%r is not an IAM policy ARN: expected arn:aws:iam::<account id or aws>:policy/<name>" % (option, value)
        )
    return value


def check_range(option, value, low, high):
    if value is not None and not low <= value <= high:
        raise InvalidInput("%s=%r is out of range: allowed values are %d to %d" % (option, value, low, high))
    return value


def check_timeout(option, value):
    return check_range(option, value, *TIMEOUT_RANGE)


def check_instance_ids(option, values):
    bad = [v for v in values if not _INSTANCE_ID.match(v or "")]
    if bad:
        raise InvalidInput(
            "%s has malformed instance ids %s: expected i- followed by 8 or 17 hexadecimal digits"
            % (option, ", ".join(repr(v) for v in bad))
        )
    return values


def role_name(option, value):
    """The role name for `value` (a name or a role ARN); "" stays "" (no role)."""
    if value is None or value == "":
        return value
    match = _ROLE_ARN.match(value)
    if match:
        return match.group(2)
    if value.startswith("arn:"):
        raise InvalidInput(
            "%s=%r is not an IAM role ARN: expected arn:aws:iam::<account id>:role/<name> "
            "or arn:aws:iam::<account id>:role/<path>/<name>" % (option, value)
        )
    if "/" in value:
        raise InvalidInput(
            "%s=%r looks like a role path: give the role's name (%s) or its full ARN "
            "(arn:aws:iam::<account id>:role/<path>/<name>); an instance profile takes no path for its role"
            % (option, value, value.rsplit("/", 1)[-1] or "<name>")
        )
    return check_name(option, value, max_length=ROLE_NAME_MAX)


def check_profile_reference(option, value):
    """An instance profile by name or by ARN."""
    if value.startswith("arn:"):
        if not _PROFILE_ARN.match(value):
            raise InvalidInput(
                "%s=%r is not an instance profile ARN: expected "
                "arn:aws:iam::<account id>:instance-profile/<path/><name>, or give the profile's name" % (option, value)
            )
        return value
    return check_name(option, value, max_length=PROFILE_NAME_MAX)


def is_arn(value):
    return bool(_ARN.match(value or ""))


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
