"""AWX / Automation Controller: a job's "Amazon Web Services" credential reaches the modules only as
environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and AWS_SECURITY_TOKEN when the credential
has an STS token: AWX's credential injector for the type). The modules must use them.

The embedded AWS enforces IAM here, so a request signed with any other key is refused: a module that
ignored the environment (or read another source) fails instead of passing by accident.
"""

import json
import sys

import pytest

from tests.support.ansible_cli import adhoc_result
from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import run
from tests.support.ansible_cli import tool
from tests.support.ansible_cli import write_calls
from tests.support.embedded_aws import EmbeddedAWS

ROLE = "iamkit-awx-job-role"
JOB_ROLE = "iamkit-awx-credential"


@pytest.fixture(scope="module")
def enforcing_aws(tmp_path_factory):
    state = str(tmp_path_factory.mktemp("aws-enforced") / "aws.json")
    aws = EmbeddedAWS.start(state, enforce_iam=True)
    yield aws
    aws.stop()


def awx_env(collections_path, tmp_path, access_key, secret_key, security_token=None):
    """Exactly what AWX puts in a job's environment for an "Amazon Web Services" credential."""
    env = clean_env(tmp_path)
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path
    env["AWS_ACCESS_KEY_ID"] = access_key
    env["AWS_SECRET_ACCESS_KEY"] = secret_key
    if security_token:
        env["AWS_SECURITY_TOKEN"] = security_token
    return env


def adhoc(env, aws, module, args, check_mode=False):
    """`ansible localhost -m MODULE -a JSON`; region and endpoint are module arguments, as a job template's
    extra variables or module_defaults would give them (the credential type sets neither)."""
    module_args = dict(args, region=aws.region, endpoint_url=aws.endpoint)
    command = [tool("ansible"), "localhost", "-m", module, "-a", json.dumps(module_args),
               "-e", "ansible_python_interpreter=%s" % sys.executable]
    if check_mode:
        command.append("--check")
    result = run(command, env=env, check=False)
    return result.returncode, adhoc_result(result.stdout)


def role_exists(aws, name):
    names = [role["RoleName"] for role in aws.client("iam").list_roles()["Roles"]]
    return name in names


def test_long_term_keys_from_the_environment(enforcing_aws, collections_path, tmp_path):
    aws = enforcing_aws
    env = awx_env(collections_path, tmp_path, aws.access_key, aws.secret_key)
    args = {"name": ROLE, "trusted_services": ["ec2.amazonaws.com"], "create_instance_profile": False}

    aws.reset_calls()
    code, result = adhoc(env, aws, "iamkit.ec2.iam_role", args, check_mode=True)
    assert (code, result["changed"]) == (0, True), result
    assert write_calls(aws) == [] and not role_exists(aws, ROLE)

    code, result = adhoc(env, aws, "iamkit.ec2.iam_role", args)
    assert (code, result["changed"]) == (0, True), result
    assert result["iam_role"]["role_name"] == ROLE and role_exists(aws, ROLE)

    aws.reset_calls()
    code, result = adhoc(env, aws, "iamkit.ec2.iam_role", args)
    assert (code, result["changed"]) == (0, False), result
    assert write_calls(aws) == []


def test_a_wrong_secret_in_the_environment_is_refused(enforcing_aws, collections_path, tmp_path):
    """The negative of the test above: the environment is what signs the requests."""
    aws = enforcing_aws
    env = awx_env(collections_path, tmp_path, aws.access_key, "not-the-secret")
    aws.reset_calls()
    code, result = adhoc(env, aws, "iamkit.ec2.iam_role_info", {"name": ROLE})
    assert code != 0, result
    assert result["error"]["code"] == "SignatureDoesNotMatch", result
    assert write_calls(aws) == []


@pytest.fixture
def temporary_credentials(enforcing_aws):
    """STS credentials of a role the admin may assume, as an AWX credential with a security token holds."""
    aws = enforcing_aws
    iam = aws.client("iam")
    if not role_exists(aws, JOB_ROLE):
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": iam.get_user()["User"]["Arn"]}, "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName=JOB_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName=JOB_ROLE, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    role_arn = "arn:aws:iam::%s:role/%s" % (aws.account_id, JOB_ROLE)
    return aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="awx-job")["Credentials"]


def test_temporary_credentials_as_awx_injects_them(enforcing_aws, collections_path, tmp_path,
                                                   temporary_credentials):
    aws, creds = enforcing_aws, temporary_credentials
    env = awx_env(collections_path, tmp_path, creds["AccessKeyId"], creds["SecretAccessKey"],
                  security_token=creds["SessionToken"])
    aws.reset_calls()
    code, result = adhoc(env, aws, "iamkit.ec2.iam_role_info", {"name": JOB_ROLE})
    assert code == 0, result
    assert [role["role_name"] for role in result["iam_roles"]] == [JOB_ROLE]
    assert write_calls(aws) == []
