"""Eventual-consistency retries: retried while AWS says "not yet", given up after the timeout."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code_and_message
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import retry_while


def aws_error(code, message="m"):
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def failing(times, error):
    state = {"left": times}

    def call():
        if state["left"]:
            state["left"] -= 1
            raise error
        return "done"

    return call


def test_retries_the_named_error_with_backoff_then_succeeds():
    clock = Clock()
    result = retry_while(is_code("NoSuchEntity"), failing(3, aws_error("NoSuchEntity")), 60,
                         sleep=clock.sleep, clock=clock)
    assert result == "done"
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_other_errors_are_raised_at_once():
    clock = Clock()
    with pytest.raises(ClientError):
        retry_while(is_code("NoSuchEntity"), failing(1, aws_error("AccessDenied")), 60, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []


def test_gives_up_with_aws_error_when_time_runs_out():
    clock = Clock()
    predicate = is_code_and_message("InvalidParameterValue", "invalid iam instance profile")
    error = aws_error("InvalidParameterValue", "Value (p) for parameter iamInstanceProfile.name is invalid. "
                                               "Invalid IAM Instance Profile name")
    with pytest.raises(ClientError):
        retry_while(predicate, failing(100, error), 20, sleep=clock.sleep, clock=clock)
    assert sum(clock.sleeps) <= 20 and len(clock.sleeps) >= 4
