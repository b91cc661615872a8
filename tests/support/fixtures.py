"""The fixtures every layer shares, defined once (registered by tests/conftest.py as a pytest plugin).

In-process (unit layer, no server): `aws_clients` (moto in this process, AWS managed policies loaded; a
factory of boto3 clients), `iam`, `ec2`, `calls` (every botocore call made), `module_runner`, and
`aws_connection` (the collection's Connection over those clients, on an InstantClock: for engine tests).
Servers (integration and later layers): `embedded_aws` (moto server with the aws_fidelity and faults
extensions, faults off), `enforced_aws` (the same with IAM authorization enforced; never reset).
"""

import json
import os
from unittest import mock

import pytest

from tests.support.aws_fidelity import patched_moto
from tests.support.embedded_aws import EmbeddedAWS
from tests.support.embedded_aws import managed_policies_in_the_used_partition_only
from tests.support.inprocess import REGION
from tests.support.inprocess import InstantClock
from tests.support.inprocess import record_calls
from tests.support.inprocess import run_module

# Make the embedded AWS answer as AWS does where moto differs, and let tests inject faults on demand.
SERVER_EXTENSIONS = ["aws_fidelity", "faults"]
# The trust policy most tests need: EC2 may assume the role.
EC2_TRUST_JSON = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})


def make_role(iam, name, path="/"):
    """A role EC2 may assume, made directly with boto3 (test set-up, not the module under test)."""
    return iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=EC2_TRUST_JSON)["Role"]


# ------------------------------------------------------------------------------------------- in-process

@pytest.fixture
def aws_clients():
    """moto in-process with AWS managed policies, answering as AWS does where moto differs (aws_fidelity);
    yields a factory of boto3 clients."""
    import boto3
    from moto import mock_aws

    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    with mock.patch.dict(os.environ, env), managed_policies_in_the_used_partition_only():
        with mock_aws(config={"iam": {"load_aws_managed_policies": True}}), patched_moto():
            yield lambda service: boto3.client(service, region_name=REGION)


@pytest.fixture
def iam(aws_clients):
    return aws_clients("iam")


@pytest.fixture
def ec2(aws_clients):
    return aws_clients("ec2")


@pytest.fixture
def aws_connection(aws_clients):
    """The collection's Connection (module_utils/aws.py) over the in-process moto clients; its clock is an
    InstantClock (connection.clock.sleeps shows what the code waited)."""
    from ansible_collections.iamkit.ec2.plugins.module_utils.aws import Connection

    return Connection(lambda service, bulk_writes=False: aws_clients(service), region=REGION, clock=InstantClock())


@pytest.fixture
def calls():
    """The botocore calls made in this process during the test (a CallLog)."""
    with record_calls() as log:
        yield log


@pytest.fixture
def module_runner(calls):
    """run(module, args, check_mode=False, diff=False, clock=None) -> result, the call log cleared before each run.

    It brings no AWS of its own: request `aws_clients` (moto in-process) or pass a server's connection."""

    def run(module, args, check_mode=False, diff=False, clock=None):
        calls.clear()
        return run_module(module, args, check_mode=check_mode, diff=diff, clock=clock)

    return run


# ------------------------------------------------------------------------------------------- servers

@pytest.fixture(scope="session")
def embedded_aws(tmp_path_factory):
    """One moto server for the session (aws_fidelity and faults extensions; faults off until a test asks)."""
    aws = EmbeddedAWS.start(str(tmp_path_factory.mktemp("embedded-aws") / "aws.json"), extensions=SERVER_EXTENSIONS)
    yield aws
    aws.stop()


@pytest.fixture(autouse=True)
def no_fault_outlives_its_test(request):
    """Whatever a test switched on in the faults extension of the session's servers is off after it, however
    the test ended: a test that dies half-way must not leave throttling on for the next test of that worker."""
    yield
    for server in ("embedded_aws", "enforced_aws"):
        if server in request.fixturenames:
            request.getfixturevalue(server).faults_off()


@pytest.fixture(scope="session")
def enforced_aws(tmp_path_factory):
    """A moto server that checks every request against the caller's IAM policies. Never reset: the admin
    user the harness made within moto's unchecked requests would go with it."""
    aws = EmbeddedAWS.start(str(tmp_path_factory.mktemp("enforced-aws") / "aws.json"), enforce_iam=True,
                            extensions=SERVER_EXTENSIONS)
    yield aws
    aws.stop()
