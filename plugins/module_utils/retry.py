# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries for what botocore does not retry: AWS not knowing yet what it just made (eventual consistency).

Throttling and transient 5xx belong to botocore's own retry configuration (see aws.client_config); these
helpers only wait out errors that mean "not visible yet", and only where a call needs it. They take the
clock they sleep on, so the waiting is the caller's to decide (a test gives a virtual one).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

try:
    from botocore.exceptions import ClientError
except ImportError:  # the import sanity test runs without botocore; AnsibleAWSModule reports it
    ClientError = None


class Clock:
    """Real time. Anything with now() and sleep(seconds) can stand in for it."""

    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


def error_code(error):
    return error.response.get("Error", {}).get("Code", "") if ClientError and isinstance(error, ClientError) else ""


def error_message(error):
    return error.response.get("Error", {}).get("Message", "") if ClientError and isinstance(error, ClientError) else ""


def is_code(*codes):
    """Predicate: the error carries one of these AWS error codes."""
    return lambda error: error_code(error) in codes


def is_code_and_message(code, text):
    """Predicate: the error has this code and its message contains `text` (case-insensitive)."""
    return lambda error: error_code(error) == code and text.lower() in error_message(error).lower()


def retry_while(predicate, call, timeout, clock, delay=1.0, max_delay=10.0):
    """Call `call()` again while it raises an error that `predicate(error)` accepts, up to `timeout` seconds.

    Back off exponentially from `delay` to `max_delay`. The last error is raised when time runs out, so the
    caller reports AWS's own words.
    """
    deadline = clock.now() + timeout
    while True:
        try:
            return call()
        except Exception as error:  # pylint: disable=broad-except
            if not predicate(error) or clock.now() + delay > deadline:
                raise
        clock.sleep(delay)
        delay = min(delay * 2, max_delay)


def wait_until(check, timeout, clock, delay=1.0, max_delay=5.0):
    """Poll `check()` until it returns a true value or `timeout` passes; return the last value."""
    deadline = clock.now() + timeout
    while True:
        result = check()
        if result or clock.now() + delay > deadline:
            return result
        clock.sleep(delay)
        delay = min(delay * 2, max_delay)


def done_if(predicate, call):
    """Run `call()`; an error `predicate` accepts means the work is already done (another run made the same
    change first, or the thing to delete is gone), so it counts as success and None is returned."""
    try:
        return call()
    except Exception as error:  # pylint: disable=broad-except
        if not predicate(error):
            raise
        return None
