"""Eventual-consistency retries: retried while AWS says "not yet", given up after the timeout."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.iamkit.ec2.plugins.module_utils.retry import done_if
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code_and_message
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import retry_while
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import wait_until
from tests.support.inprocess import InstantClock


def aws_error(code, message="m"):
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


def failing(times, error):
    state = {"left": times}

    def call():
        if state["left"]:
            state["left"] -= 1
            raise error
        return "done"

    return call


def test_retries_the_named_error_with_backoff_then_succeeds():
    clock = InstantClock()
    result = retry_while(is_code("NoSuchEntity"), failing(3, aws_error("NoSuchEntity")), 60, clock)
    assert result == "done"
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_other_errors_are_raised_at_once():
    clock = InstantClock()
    with pytest.raises(ClientError):
        retry_while(is_code("NoSuchEntity"), failing(1, aws_error("AccessDenied")), 60, clock)
    assert clock.sleeps == []


def test_gives_up_with_aws_error_when_time_runs_out():
    clock = InstantClock()
    predicate = is_code_and_message("InvalidParameterValue", "invalid iam instance profile")
    error = aws_error("InvalidParameterValue", "Value (p) for parameter iamInstanceProfile.name is invalid. "
                                               "Invalid IAM Instance Profile name")
    with pytest.raises(ClientError):
        retry_while(predicate, failing(100, error), 20, clock)
    assert sum(clock.sleeps) <= 20 and len(clock.sleeps) >= 4


def test_wait_until_polls_with_backoff_and_returns_the_last_value():
    clock = InstantClock()
    answers = iter([None, None, "ready"])
    assert wait_until(lambda: next(answers), 60, clock) == "ready"
    assert clock.sleeps == [1.0, 2.0]
    assert wait_until(lambda: None, 3, clock) is None
    assert sum(clock.sleeps[2:]) <= 3


def test_done_if_turns_the_named_error_into_success_and_raises_others():
    assert done_if(is_code("NoSuchEntity"), failing(1, aws_error("NoSuchEntity"))) is None
    assert done_if(is_code("NoSuchEntity"), failing(0, aws_error("NoSuchEntity"))) == "done"
    with pytest.raises(ClientError):
        done_if(is_code("NoSuchEntity"), failing(1, aws_error("DeleteConflict")))
