"""AWX jobs in the execution environment: the job templates of examples/awx/assets.json launched as AWX
launches them (tests/support/awx_job.py: survey, credentials, private data dir, `ansible-runner worker` in a
podman container of the image), against a test world with IAM enforced, on hosts reached over SSH with the
Machine credential's key, as AWX reaches EC2 instances.

The instance role job runs twice; the CloudWatch agent job, sliced in two as its template says, runs twice
with its slices at once. The second runs must change nothing. Then a second world gets the same playbooks
with the same variables from a plain `ansible-playbook` on this machine: AWS and the hosts must end equal.
Last, ansible-navigator runs the agent playbook with the same image, as a person would before importing it
into AWX.
"""

import json
import os
import shutil
import time

import pytest
import yaml

from tests.ee.conftest import record_figure
from tests.ee.outcome import AGENT_JSON
from tests.ee.outcome import aws_outcome
from tests.ee.outcome import hosts_outcome
from tests.ee.outcome import playbook_writes
from tests.support import awx_job
from tests.support import host_image
from tests.support.ansible_cli import aws_env
from tests.support.ansible_cli import run
from tests.support.paths import COLLECTIONS
from tests.support.paths import tool

INSTANCE_ROLE_JOB = "iamkit.ec2 instance role"
AGENT_JOB = "iamkit.ec2 CloudWatch agent"
APP_ROLE = "iamkit-awx-app"
AGENT_ROLE = "iamkit-awx-agent"
JOB_ROLE = "iamkit-awx-job"
INSTANCE_ROLE_ANSWERS = {"instance_role_name": APP_ROLE,
                         "instance_role_managed_policies": ["AmazonSSMManagedInstanceCore"],
                         "instance_role_state": "present"}
ASSOCIATE_TASK = "Associate the profile with every instance of the play, in one call"
SECRET_CREDENTIAL_INPUTS = ("password", "security_token", "ssh_key_data")


def agent_answers(world, interval=10):
    """What a user answers in the agent survey for this site: its package mirror and the mirror's key."""
    return {"cloudwatch_agent_iam_role_name": AGENT_ROLE, "cloudwatch_agent_namespace": "IamkitAwx",
            "cloudwatch_agent_metrics_collection_interval": interval, "cloudwatch_agent_force_flush_interval": interval,
            "cloudwatch_agent_version": "latest",
            "cloudwatch_agent_download_base_url": world.mirror_url,
            "cloudwatch_agent_gpg_fingerprint": world.state["mirror"]["fingerprint"],
            "cloudwatch_agent_state": "present"}


def temporary_keys(aws):
    """STS keys of a role with AdministratorAccess that the world's admin may assume: an AWX "Amazon Web
    Services" credential with an STS token, so the job gets AWS_SECURITY_TOKEN too."""
    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": iam.get_user()["User"]["Arn"]}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=JOB_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=JOB_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    role_arn = "arn:aws:iam::%s:role/%s" % (aws.account_id, JOB_ROLE)
    return aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="awx-job")["Credentials"]


def job_ids():
    """AWX job ids; unique on the machine, since ansible-runner names the job's container after its id."""
    next_id = (os.getpid() % 100000) * 100
    while True:
        next_id += 1
        yield next_id


@pytest.fixture(scope="module")
def awx_site(ssh_worlds, ee_image_name, awx_assets):
    """The AWX side of the site: a world, and the credentials a user would create in AWX for it."""
    site = ssh_worlds("awx")
    aws = site.world.aws
    keys = temporary_keys(aws)
    site.credentials = {
        "iamkit.ec2 AWS keys": {"username": keys["AccessKeyId"], "password": keys["SecretAccessKey"],
                                "security_token": keys["SessionToken"]},
        "iamkit.ec2 AWS region": {"region": aws.region, "endpoint_url": aws.endpoint},
        "iamkit.ec2 hosts (SSH)": {"username": "root", "ssh_key_data": site.private_key, "become_method": "sudo"},
    }
    site.job_ids = job_ids()
    return site


@pytest.fixture(scope="module")
def awx_runs(awx_site, awx_assets, node_env, tmp_path_factory):
    """Every AWX job of this module, in order, with what AWS received during the second runs."""
    world, aws = awx_site.world, awx_site.world.aws
    work = str(tmp_path_factory.mktemp("awx-jobs"))
    runs = {}

    def instance_role_job():
        return awx_job.launch(awx_assets, INSTANCE_ROLE_JOB, INSTANCE_ROLE_ANSWERS, awx_site.inventory(),
                              awx_site.credentials, node_env, work, job_id=next(awx_site.job_ids))

    def agent_jobs():
        return awx_job.launch_sliced(awx_assets, AGENT_JOB, agent_answers(world), awx_site.inventory(),
                                     awx_site.credentials, node_env, work, first_job_id=next(awx_site.job_ids) * 10)

    for name, launch in (("instance_role", instance_role_job), ("agent", agent_jobs)):
        moment = time.monotonic()
        runs[name] = launch()
        record_figure("awx job %s, first run" % name, time.monotonic() - moment)
        if name == "instance_role":
            runs["aws_after_instance_role"] = aws_outcome(world, [APP_ROLE])
        aws.reset_calls()
        moment = time.monotonic()
        runs[name + "_again"] = launch()
        record_figure("awx job %s, second run" % name, time.monotonic() - moment)
        runs[name + "_again_writes"] = playbook_writes(aws)
    runs["aws"] = aws_outcome(world, [APP_ROLE, AGENT_ROLE])
    runs["hosts"] = hosts_outcome(world)
    runs["work"] = work
    return runs


def all_jobs(runs):
    return [runs["instance_role"], runs["instance_role_again"]] + runs["agent"] + runs["agent_again"]


def read_artifact(job, name):
    with open(os.path.join(job.artifact_dir, name)) as handle:
        return handle.read().strip()


def test_every_job_succeeded_with_its_artifacts(awx_runs, awx_site):
    for job in all_jobs(awx_runs):
        assert (job.status, job.rc) == ("successful", 0), job.stdout[-5000:] + job.worker_stderr[-2000:]
        assert (read_artifact(job, "status"), read_artifact(job, "rc")) == ("successful", "0")
        assert os.listdir(os.path.join(job.artifact_dir, "job_events"))
        assert job.host_summary("failures") == {} and job.host_summary("dark") == {}, job.stats
        assert sorted(job.host_summary("ok")) == job.hosts, job.stats
    first = awx_runs["instance_role"]
    assert first.host_summary("changed"), "the first instance role job changed nothing: %s" % first.stats
    for job in awx_runs["agent"]:
        assert sorted(job.host_summary("changed")) == job.hosts, job.stats


def test_the_jobs_ran_in_the_image_with_awx_credentials(awx_runs, awx_assets):
    """The container AWX's rules make: the example's image, as root, the job's env injected by the
    credential types (names only: values never on the command line), the Machine key through ssh-agent."""
    environment = awx_assets["execution_environments"][0]
    for job in all_jobs(awx_runs):
        with open(os.path.join(job.artifact_dir, "command")) as handle:
            command = json.load(handle)["command"]
        assert command[:2] == ["podman", "run"] and environment["image"] in command
        assert "--user=root" in command and "--pull=%s" % environment["pull"] in command
        assert command[command.index(environment["image"]) + 1] == "ssh-agent"
        with open(os.path.join(job.artifact_dir, "env.list")) as handle:
            names = {line.split("=", 1)[0] for line in handle.read().splitlines()}
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN",
                "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "JOB_ID"} <= names
        joined = " ".join(command)
        assert "AWS_SECRET_ACCESS_KEY=" not in joined and "PRIVATE KEY" not in joined


def test_no_secret_in_the_job_output(awx_runs, awx_site):
    secrets = [inputs[key] for inputs in awx_site.credentials.values() for key in SECRET_CREDENTIAL_INPUTS
               if inputs.get(key)]
    for job in all_jobs(awx_runs):
        for secret in secrets:
            assert secret.strip() not in job.stdout
            assert secret.strip() not in read_artifact(job, "stdout")


def test_second_jobs_change_nothing(awx_runs):
    for job in [awx_runs["instance_role_again"]] + awx_runs["agent_again"]:
        assert job.host_summary("changed") == {}, job.stdout[-5000:]
    assert awx_runs["instance_role_again_writes"] == []
    assert awx_runs["agent_again_writes"] == []


def test_slices_split_the_hosts_and_associate_each_share_in_one_task(awx_runs, awx_site):
    """AWX's slices: hosts by name, every second one per slice; each slice's play runs the association once
    (run_once) for all the hosts of its slice, and only those."""
    world = awx_site.world
    slices = awx_runs["agent"]
    assert [job.hosts for job in slices] == [["host1"], ["host2"]]
    for job in slices:
        results = job.task_results(ASSOCIATE_TASK)
        assert len(results) == 1, results
        associated = sorted(item["instance_id"] for item in results[0][1]["associations"])
        assert associated == sorted(world.host(name)["instance_id"] for name in job.hosts)


class UnsafeText(str):
    """A string AWX wrote as !unsafe."""


def unsafe_yaml(text):
    """env/extravars as Ansible reads it, with !unsafe strings told apart."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: UnsafeText(loader.construct_scalar(node)))
    return yaml.load(text, Loader=Loader)


def test_the_jobs_got_exactly_the_survey_answers(awx_runs, awx_site, awx_assets):
    """The extra variables AWX wrote are the template's, the answers and AWX's own awx_*/tower_* variables,
    nothing else; the answers are !unsafe (never templated); and the outcome follows them."""
    world = awx_site.world
    for job, answers in ((awx_runs["instance_role"], INSTANCE_ROLE_ANSWERS),
                         (awx_runs["agent"][0], agent_answers(world))):
        template_vars = yaml.safe_load(awx_job.job_template(awx_assets, job_name(job, awx_runs))["extra_vars"]) or {}
        extra_vars = unsafe_yaml(job.extra_vars_file)
        own = {key: value for key, value in extra_vars.items() if not key.startswith(("awx_", "tower_"))}
        assert own == dict(template_vars, **answers)
        assert all(isinstance(extra_vars[key], UnsafeText) for key, value in answers.items() if isinstance(value, str))
        with open(os.path.join(job.artifact_dir, "command")) as handle:
            assert "@/runner/env/extravars" in " ".join(json.load(handle)["command"])
    assert awx_runs["aws"]["roles"][APP_ROLE]["managed_policies"] == ["AmazonSSMManagedInstanceCore"]
    assert awx_runs["aws"]["roles"][AGENT_ROLE]["managed_policies"] == ["CloudWatchAgentServerPolicy"]
    assert awx_runs["aws"]["associations"] == {host["name"]: [AGENT_ROLE] for host in world.hosts}
    for outcome in awx_runs["hosts"].values():
        assert outcome["config"]["metrics"]["namespace"] == "IamkitAwx", outcome["config"]
        assert outcome["config"]["agent"]["metrics_collection_interval"] == 10
        assert outcome["status"]["status"] == "running" and outcome["service"] == "active"


def job_name(job, runs):
    return INSTANCE_ROLE_JOB if job is runs["instance_role"] else AGENT_JOB


# ----------------------------------------------------------------------------------- the plain run

def plain_playbook(site, playbook, answers, template, tmp_path):
    """`ansible-playbook iamkit.ec2.<playbook>` on this machine, with the same variables, user and become as
    the job template gives the job, and the admin's keys of the world in the environment."""
    env = aws_env(tmp_path, site.world.aws, COLLECTIONS)
    # Hosts pick their own Python (interpreter discovery, as in the job); the controller side is this venv's.
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)
    env["ANSIBLE_HOST_KEY_CHECKING"] = "False"
    variables = str(tmp_path / ("%s-vars.json" % playbook))
    with open(variables, "w") as handle:
        json.dump(answers, handle)
    inventory = site.inventory_file(str(tmp_path / "hosts.json"))
    command = [tool("ansible-playbook"), "iamkit.ec2.%s" % playbook, "-i", inventory,
               "-e", "@" + variables, "-u", "root", "--private-key", site.key_path]
    if template["become_enabled"]:
        command.append("--become")
    return run(command, env=env, timeout=900)


@pytest.fixture(scope="module")
def plain_runs(ssh_worlds, awx_assets, tmp_path_factory):
    site = ssh_worlds("plain")
    tmp = tmp_path_factory.mktemp("plain")
    runs = {"site": site}
    for playbook, job, answers in (("instance_role", INSTANCE_ROLE_JOB, INSTANCE_ROLE_ANSWERS),
                                   ("cloudwatch_agent", AGENT_JOB, agent_answers(site.world))):
        moment = time.monotonic()
        plain_playbook(site, playbook, answers, awx_job.job_template(awx_assets, job), tmp)
        record_figure("plain ansible-playbook %s" % playbook, time.monotonic() - moment)
        if playbook == "instance_role":
            runs["aws_after_instance_role"] = aws_outcome(site.world, [APP_ROLE])
    runs["aws"] = aws_outcome(site.world, [APP_ROLE, AGENT_ROLE])
    runs["hosts"] = hosts_outcome(site.world)
    return runs


def test_aws_and_hosts_end_as_after_a_plain_playbook_run(awx_runs, plain_runs):
    for outcome in plain_runs["hosts"].values():
        assert outcome["package"].startswith("install ok installed") and outcome["service"] == "active", outcome
        assert outcome["config"]["metrics"]["namespace"] == "IamkitAwx"
    assert awx_runs["aws_after_instance_role"] == plain_runs["aws_after_instance_role"]
    assert awx_runs["aws"] == plain_runs["aws"]
    assert awx_runs["hosts"] == plain_runs["hosts"]


# ----------------------------------------------------------------------------------- ansible-navigator

def navigator_run(site, image, answers, tmp_path, label):
    """`ansible-navigator run` of the project's agent playbook in the image, as a person runs it from the
    project folder: their SSH key in ~/.ssh (navigator mounts it into the container), AWS settings passed
    through by name. Returns the playbook artifact navigator writes (tasks and their results)."""
    home = tmp_path / ("home-" + label)
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_ed25519"
    key.write_text(site.private_key)
    key.chmod(0o600)
    # A person's shell: no Ansible or AWS settings of this test run, podman set up, the world's AWS access.
    env = {key: value for key, value in host_image.podman_env().items() if not key.startswith(("ANSIBLE_", "AWS_"))}
    env.update(site.world.aws.env())
    env["HOME"] = str(home)
    env["ANSIBLE_HOST_KEY_CHECKING"] = "False"
    variables = tmp_path / ("navigator-%s.json" % label)
    variables.write_text(json.dumps(answers))
    artifact = tmp_path / ("navigator-%s-artifact.json" % label)
    command = [tool("ansible-navigator"), "run", "cloudwatch_agent.yml",
               "-i", site.inventory_file(str(tmp_path / "navigator-hosts.json")), "-e", "@%s" % variables,
               "-u", "root", "--become", "--mode", "stdout",
               "--execution-environment-image", image, "--pull-policy", "never", "--container-engine", "podman",
               "--container-options=--network=host",
               "--playbook-artifact-enable", "true", "--playbook-artifact-save-as", str(artifact),
               "--log-file", str(tmp_path / ("navigator-%s.log" % label))]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        command += ["--pass-environment-variable", name]
    project = tmp_path / ("project-" + label)
    shutil.copytree(awx_job.PROJECT, str(project))
    result = run(command, env=env, cwd=str(project), timeout=900)
    with open(artifact) as handle:
        return json.load(handle), result.stdout


def changed_hosts(artifact):
    return sorted({task["__host"] for play in artifact["plays"] for task in play["tasks"] if task["__changed"]})


@pytest.fixture(scope="session")
def posix_message_queues():
    """ansible-navigator refuses podman without /dev/mqueue (it runs containers with --ipc=host); machines
    whose /dev lacks it get the folder, as navigator's own hint says."""
    if not os.path.isdir("/dev/mqueue"):
        os.makedirs("/dev/mqueue")


def test_navigator_runs_the_playbook_in_the_image(plain_runs, ee_image_name, posix_message_queues, tmp_path):
    """On the converged plain world, a new collection interval changes the agent's configuration on every
    host; the same run again changes nothing."""
    site = plain_runs["site"]
    answers = agent_answers(site.world, interval=30)
    moment = time.monotonic()
    artifact, stdout = navigator_run(site, ee_image_name, answers, tmp_path, "first")
    record_figure("ansible-navigator run cloudwatch_agent", time.monotonic() - moment)
    assert artifact["status"] == "successful", stdout[-5000:]
    assert changed_hosts(artifact) == ["host1", "host2"]
    for host in site.world.hosts:
        config = json.loads(site.world.exec(host["name"], "cat", AGENT_JSON).stdout)
        assert config["agent"]["metrics_collection_interval"] == 30
    site.world.aws.reset_calls()
    artifact, stdout = navigator_run(site, ee_image_name, answers, tmp_path, "again")
    assert artifact["status"] == "successful", stdout[-5000:]
    assert changed_hosts(artifact) == []
    assert playbook_writes(site.world.aws) == []
    assert site.world.aws.env()["AWS_SECRET_ACCESS_KEY"] not in json.dumps(artifact)
