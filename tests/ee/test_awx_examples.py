"""examples/awx: what `awx import` / the AWX API would accept, and surveys that ask only for what the
collection's playbooks take (the roles' meta/argument_specs.yml), with the roles' own defaults and choices."""

import os

import pytest
import yaml

from tests.support import awx_job
from tests.support.paths import ROOT
from tests.support.paths import collection_version

# AWX survey types -> the argument spec types their answers satisfy.
SPEC_TYPES = {"text": "str", "textarea": "str", "password": "str", "multiplechoice": "str", "integer": "int",
              "float": "float", "multiselect": "list"}


def load_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def roles_of(template):
    """The roles the job template's playbook runs: project file -> collection playbook -> its roles."""
    roles = []
    for play in load_yaml(os.path.join(awx_job.PROJECT, template["playbook"])):
        namespace, name, playbook = play["ansible.builtin.import_playbook"].split(".")
        assert (namespace, name) == ("iamkit", "ec2"), play
        for inner in load_yaml(os.path.join(ROOT, "playbooks", playbook + ".yml")):
            roles += [entry["role"].rsplit(".", 1)[-1] for entry in inner["roles"]]
    return roles


def spec_options(role):
    specs = load_yaml(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"))
    return specs["argument_specs"]["main"]["options"]


@pytest.fixture(params=["iamkit.ec2 instance role", "iamkit.ec2 CloudWatch agent"])
def template(request, awx_assets):
    return awx_job.job_template(awx_assets, request.param)


def test_survey_passes_awx_validation(template):
    assert template["survey_enabled"]
    assert awx_job.survey_spec_errors(template["related"]["survey_spec"]) == []


def test_survey_asks_only_for_role_variables_with_their_types_defaults_and_choices(template):
    options = {}
    for role in roles_of(template):
        options.update(spec_options(role))
    for question in template["related"]["survey_spec"]["spec"]:
        variable = question["variable"]
        assert variable in options, "%s is no variable of %s" % (variable, roles_of(template))
        option = options[variable]
        assert SPEC_TYPES[question["type"]] == option.get("type", "str"), variable
        if "choices" in option:
            assert awx_job.choices_of(question) == option["choices"], variable
        if "default" in option and option["default"] is not None:
            assert question["default"] == option["default"], variable
        assert question["required"] or option.get("default") is not None, variable


def test_survey_defaults_are_answers_awx_accepts(template):
    """The defaults the AWX form starts from launch a job, each one valid by AWX's rules."""
    answers = {}
    for question in template["related"]["survey_spec"]["spec"]:
        default = question["default"]
        answers[question["variable"]] = default.splitlines() if question["type"] == "multiselect" else default
    if template["name"] == "iamkit.ec2 instance role":
        answers["instance_role_name"] = "web-server"
    extra_vars = awx_job.launch_extra_vars(template, answers)[0]
    assert extra_vars == answers


@pytest.mark.parametrize("answer, message", [
    ({"cloudwatch_agent_state": "gone"}, "expected to be one of"),
    ({"cloudwatch_agent_metrics_collection_interval": "10"}, "expected to be a integer"),
    ({"cloudwatch_agent_gpg_fingerprint": "ABC"}, "too small"),
    ({"cloudwatch_agent_config": {}}, "not allowed on launch"),
])
def test_awx_refuses_answers_outside_the_survey(awx_assets, answer, message):
    """AWX's rules (tests/support/awx_job.py) keep bad answers from ever reaching the playbook."""
    template = awx_job.job_template(awx_assets, "iamkit.ec2 CloudWatch agent")
    answers = {question["variable"]: question["default"] for question in template["related"]["survey_spec"]["spec"]}
    answers.update(answer)
    with pytest.raises(awx_job.LaunchError, match=message):
        awx_job.launch_extra_vars(template, answers)


def test_job_templates_refer_to_what_the_assets_hold(awx_assets, template):
    assert os.path.isfile(os.path.join(awx_job.PROJECT, template["playbook"]))
    for kind, key in (("projects", template["project"]), ("inventory", template["inventory"]),
                      ("execution_environments", template["execution_environment"])):
        assert awx_job.by_natural_key(awx_assets, kind, key)
    for key in template["related"]["credentials"]:
        assert awx_job.by_natural_key(awx_assets, "credentials", key)
        managed, custom = awx_job.credential_type(awx_assets, key["credential_type"])
        assert managed or custom


def test_execution_environment_is_this_version(awx_assets):
    images = [environment["image"] for environment in awx_assets["execution_environments"]]
    assert images and all(image.endswith(":%s" % collection_version()) for image in images)


def test_region_credential_type_gives_the_aws_region_and_endpoint(awx_assets):
    key = {"name": "AWS region and endpoint", "kind": "cloud", "type": "credential_type"}
    custom = awx_job.credential_type(awx_assets, key)[1]
    env = {}
    awx_job.inject_custom(custom, {"region": "eu-west-1", "endpoint_url": ""}, env)
    assert env == {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": ""}


def test_no_secret_in_the_assets(awx_assets):
    for credential in awx_assets["credentials"]:
        for name, value in credential["inputs"].items():
            if name in ("password", "security_token", "ssh_key_data", "become_password"):
                assert value == "$encrypted$", (credential["name"], name)
