# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries for what botocore does not retry: IAM's eventual consistency right after a create.

Throttling and transient 5xx belong to botocore's own retry configuration (see aws.client_config); this
module only waits out errors that mean "AWS does not know yet what it just made".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

try:
    from botocore.exceptions import ClientError
except ImportError:  # the import sanity test runs without botocore; AnsibleAWSModule reports it
    ClientError = None


def error_code(error):
    return error.response.get("Error", {}).get("Code", "") if ClientError and isinstance(error, ClientError) else ""


def error_message(error):
    return error.response.get("Error", {}).get("Message", "") if ClientError and isinstance(error, ClientError) else ""


def retry_while(predicate, call, timeout, delay=1.0, max_delay=10.0, sleep=time.sleep, clock=time.monotonic):
    """Call `call()` again while it raises a ClientError that `predicate(error)` accepts, up to `timeout` seconds.

    Back off exponentially from `delay` to `max_delay`. The last error is raised when time runs out, so the
    caller reports AWS's own words.
    """
    deadline = clock() + timeout
    while True:
        try:
            return call()
        except Exception as error:  # pylint: disable=broad-except
            if not predicate(error) or clock() + delay > deadline:
                raise
        sleep(delay)
        delay = min(delay * 2, max_delay)


def wait_until(check, timeout, delay=1.0, max_delay=5.0, sleep=time.sleep, clock=time.monotonic):
    """Poll `check()` until it returns a true value or `timeout` passes; return the last value."""
    deadline = clock() + timeout
    while True:
        result = check()
        if result or clock() + delay > deadline:
            return result
        sleep(delay)
        delay = min(delay * 2, max_delay)


def is_code(*codes):
    """Predicate: the error carries one of these AWS error codes."""
    return lambda error: error_code(error) in codes


def is_code_and_message(code, text):
    """Predicate: the error has this code and its message contains `text` (case-insensitive)."""
    return lambda error: error_code(error) == code and text.lower() in error_message(error).lower()


def already_done_if(predicate, method):
    """`method`, where an error `predicate` accepts means another run made the same change first (a race
    between two jobs converging the same resource): the call counts as done instead of failing."""
    def call(**params):
        try:
            return method(**params)
        except Exception as error:  # pylint: disable=broad-except
            if not predicate(error):
                raise
            return None
    return call
