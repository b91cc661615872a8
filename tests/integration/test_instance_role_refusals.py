"""instance_role refuses before its first write, for the whole play, and says it in the role's variables.

Every reason a run will be refused is found before anything changes: instances outside the play (`--limit`)
that still use the profile a removal would delete, a host whose instance id is unknown, instances EC2 does not
know in the play's region, a policy that does not exist. Each refusal names the role variable to change and the
value it had; AWS, read with boto3 before and after, is unchanged and received no write. Where a refusal is
lifted (instance_role_force), the run is checked in check mode first and for idempotence after.
"""

from tests.integration.role_runs import NO_METADATA
from tests.integration.role_runs import aws_play
from tests.integration.role_runs import aws_snapshot
from tests.integration.role_runs import launch
from tests.integration.role_runs import profile_names
from tests.integration.role_runs import profiles_of
from tests.integration.role_runs import role_names
from tests.integration.role_runs import run_play
from tests.support.ansible_cli import write_calls
from tests.support.fixtures import EC2_TRUST_JSON


def role_play(role_name, **role_vars):
    return aws_play("instance_role", "all", "iamkit.ec2.instance_role",
                    dict({"instance_role_name": role_name, "instance_role_wait_timeout": 30}, **role_vars))


def make_identity(embedded_aws, name, instance_ids):
    """Role, profile and associations made with boto3, as an earlier run of the role would have left them."""
    iam, ec2 = embedded_aws.client("iam"), embedded_aws.client("ec2")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST_JSON)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    for instance_id in instance_ids:
        ec2.associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Name": name})


def assert_refused_and_unchanged(done, embedded_aws, before, words):
    assert done.returncode != 0, done.stdout[-3000:]
    message = " ".join(done.failures())
    for word in words:
        assert word in message, message
    assert write_calls(embedded_aws) == []
    assert aws_snapshot(embedded_aws) == before


def two_instances_to_remove_from(embedded_aws, role):
    """Two instances holding the role's profile, their hosts, the removal play, and AWS as it is before it."""
    first, second = launch(embedded_aws, 2)
    make_identity(embedded_aws, role, [first, second])
    hosts = {"host1": {"instance_role_instance_id": first}, "host2": {"instance_role_instance_id": second}}
    return first, second, hosts, role_play(role, instance_role_state="absent"), aws_snapshot(embedded_aws)


def test_removal_limited_to_one_host_refuses_before_disassociating_it(tmp_path, embedded_aws):
    role = "iamkit-refuse-limit"
    first, second, hosts, play, before = two_instances_to_remove_from(embedded_aws, role)
    words = ["in use", second, "instance_role_force: true", "instance_role_force=false"]

    for check_mode in (True, False):
        done = run_play(tmp_path, embedded_aws, play, hosts, limit="host1", check_mode=check_mode)
        assert_refused_and_unchanged(done, embedded_aws, before, words)
        assert done.changed() == []
    assert profiles_of(embedded_aws, first) == [role]


def test_removal_with_force_from_the_command_line_removes_for_every_instance(tmp_path, embedded_aws):
    role = "iamkit-refuse-forced"
    first, second, hosts, play, before = two_instances_to_remove_from(embedded_aws, role)

    checked = run_play(tmp_path, embedded_aws, play, hosts, ["instance_role_force=true"], limit="host1",
                       check_mode=True)
    assert checked.returncode == 0, checked.failures()
    assert write_calls(embedded_aws) == [] and aws_snapshot(embedded_aws) == before

    done = run_play(tmp_path, embedded_aws, play, hosts, ["instance_role_force=true"], limit="host1")
    assert done.returncode == 0, done.failures()
    assert profiles_of(embedded_aws, first) == [] and profiles_of(embedded_aws, second) == []
    assert role not in role_names(embedded_aws) and role not in profile_names(embedded_aws)

    again = run_play(tmp_path, embedded_aws, play, hosts, ["instance_role_force=true"], limit="host1")
    assert again.returncode == 0 and again.changed() == [] and write_calls(embedded_aws) == []


def test_a_host_without_an_instance_id_refuses_the_whole_play(tmp_path, embedded_aws):
    role = "iamkit-refuse-no-id"
    [known] = launch(embedded_aws)
    hosts = {"host1": {"instance_role_instance_id": known},
             "host2": {"instance_role_metadata_url": NO_METADATA}}
    before = aws_snapshot(embedded_aws)
    done = run_play(tmp_path, embedded_aws, role_play(role), hosts)
    assert_refused_and_unchanged(done, embedded_aws, before, [
        "no instance id for host2", "instance_role_instance_id", "instance_role_metadata_url=" + NO_METADATA,
        "instance_role changed nothing: host2"])
    assert role not in role_names(embedded_aws)
    assert done.stats["host1"]["failures"] == 1, done.stats


def test_instances_not_in_the_region_are_refused_naming_the_region_before_the_role_is_made(tmp_path, embedded_aws):
    role = "iamkit-refuse-region"
    [instance_id] = launch(embedded_aws)
    hosts = {"host1": {"instance_role_instance_id": instance_id}}
    before = aws_snapshot(embedded_aws)
    for check_mode in (True, False):
        done = run_play(tmp_path, embedded_aws, role_play(role), hosts, region="eu-west-3", check_mode=check_mode)
        assert_refused_and_unchanged(done, embedded_aws, before, [
            "in region eu-west-3", instance_id, "instance_role_instance_id",
            'instance_role_instance_id="%s"' % instance_id, "AWS_REGION"])
    assert role not in role_names(embedded_aws)


def test_a_policy_that_does_not_exist_is_named_by_its_role_variable(tmp_path, embedded_aws):
    role = "iamkit-refuse-policy"
    [instance_id] = launch(embedded_aws)
    hosts = {"host1": {"instance_role_instance_id": instance_id}}
    play = role_play(role, instance_role_managed_policies=["CloudWatchAgentServerPolicy", "NoSuchPolicy"])
    before = aws_snapshot(embedded_aws)
    done = run_play(tmp_path, embedded_aws, play, hosts)
    assert_refused_and_unchanged(done, embedded_aws, before, [
        "instance_role_managed_policies: no policy named 'NoSuchPolicy'",
        'instance_role_managed_policies=["CloudWatchAgentServerPolicy", "NoSuchPolicy"]'])
    # The run ends with the role's words (the module's own failure, with its option's name, comes before it).
    assert done.failures()[-1].startswith("instance_role_managed_policies: "), done.failures()
