"""An AWX job, launched the way AWX launches one, without AWX: the job template, survey and credential types of
examples/awx/assets.json turned into an ansible-runner private data dir, streamed to `ansible-runner worker`
(what receptor runs on an execution node), run there in a podman container of the execution environment,
and streamed back for its events, status and artifacts.

    job = awx_job.launch(assets, "iamkit.ec2 CloudWatch agent", answers, inventory, credentials, node_env)
    jobs = awx_job.launch_sliced(...)          # one job per slice, run at once, as AWX runs job slices

Each rule below is AWX's or ansible-runner's, taken from their source (files named where used):
ansible/awx (awx/main/tasks/jobs.py, awx/main/tasks/receptor.py, awx/main/models/mixins.py,
awx/main/models/inventory.py, awx/main/models/credential.py, awx/main/models/unified_jobs.py,
awx/main/utils/safe_yaml.py, awx/api/views/__init__.py) and ansible/awx-plugins
(src/awx_plugins/credentials/injectors.py and plugins.py: the managed credential types).
What differs from AWX is said where it happens: the container joins the host network (the test world's
services are on 127.0.0.1) instead of AWX's default slirp4netns, and the worker's artifacts are kept.
"""

import copy
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading

import ansible_runner
import yaml
from jinja2 import sandbox

from tests.support.paths import BIN
from tests.support.paths import ROOT

ASSETS = os.path.join(ROOT, "examples", "awx", "assets.json")
PROJECT = os.path.join(ROOT, "examples", "awx", "project")
# awx/main/constants.py: JOB_VARIABLE_PREFIXES and SURVEY_TYPE_MAPPING.
JOB_VARIABLE_PREFIXES = ("awx", "tower")
SURVEY_TYPE_MAPPING = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                       "integer": int, "float": (float, int)}
# The managed credential types the assets name (awx-plugins src/awx_plugins/credentials/plugins.py): their
# fields; AWX injects them with code (injectors.py), not with templates.
MANAGED_TYPES = {
    ("Amazon Web Services", "cloud"): {"namespace": "aws", "fields": ["username", "password", "security_token"],
                                       "secret": ["password", "security_token"]},
    ("Machine", "ssh"): {"namespace": "ssh", "fields": ["username", "password", "ssh_key_data", "ssh_key_unlock",
                                                        "become_method", "become_username", "become_password"],
                         "secret": ["password", "ssh_key_data", "ssh_key_unlock", "become_password"]},
}
# awx/main/tasks/jobs.py build_execution_environment_params: AWX's own container options. AWX adds
# settings.DEFAULT_CONTAINER_RUN_OPTIONS (slirp4netns networking); the test world needs the host network.
CONTAINER_OPTIONS = ["--user=root"]
TEST_WORLD_CONTAINER_OPTIONS = ("--network=host",)


class LaunchError(Exception):
    """AWX would refuse to start the job (the API's 400 answer)."""


def load_assets(path=ASSETS):
    with open(path) as handle:
        return json.load(handle)


def job_template(assets, name):
    return next(template for template in assets["job_templates"] if template["name"] == name)


def by_natural_key(assets, kind, key):
    return next(item for item in assets[kind] if item["natural_key"] == key)


# ----------------------------------------------------------------------------------- the survey

def survey_spec_errors(spec):
    """What AWX's API refuses in a survey spec (awx/api/views/__init__.py JobTemplateSurveySpec._validate_spec_data)."""
    errors = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(spec.get(field), kind):
            errors.append("survey field %r missing or not a %s" % (field, kind.__name__))
    if errors:
        return errors
    if not spec["spec"]:
        errors.append("'spec' doesn't contain any items")
    variables = set()
    for index, item in enumerate(spec["spec"]):
        for field in ("type", "question_name", "variable", "required"):
            if not isinstance(item.get(field), bool if field == "required" else str):
                errors.append("question %d: %r missing or of the wrong type" % (index, field))
        if item.get("variable") in variables:
            errors.append("question %d: variable %r duplicated" % (index, item.get("variable")))
        variables.add(item.get("variable"))
        kind = item.get("type")
        if kind not in SURVEY_TYPE_MAPPING:
            errors.append("question %d: type %r is not one of %s" % (index, kind, sorted(SURVEY_TYPE_MAPPING)))
            continue
        if item.get("default", "") != "" and not isinstance(item["default"], SURVEY_TYPE_MAPPING[kind]):
            errors.append("question %d: default %r is not a %s" % (index, item["default"], kind))
        for key in ("min", "max"):
            if item.get(key) is not None and not isinstance(item[key], int):
                errors.append("question %d: %s is not an integer" % (index, key))
        if kind in ("multiselect", "multiplechoice"):
            if "choices" not in item:
                errors.append("question %d: type %s must specify choices" % (index, kind))
                continue
            defaults = item.get("default", "")
            defaults = defaults.splitlines() if isinstance(defaults, str) else defaults
            defaults = [choice for choice in defaults if choice.strip()]
            if kind == "multiplechoice" and len(defaults) > 1:
                errors.append("question %d: multiple choice can only have one default" % index)
            if any(choice not in choices_of(item) for choice in defaults):
                errors.append("question %d: default choice must be one of the choices" % index)
    return errors


def choices_of(item):
    choices = item["choices"]
    if isinstance(choices, str):
        choices = [choice for choice in choices.splitlines() if choice.strip() != ""]
    return choices


def answer_errors(item, data, validate_required=True):
    """What AWX refuses in one answer (awx/main/models/mixins.py SurveyJobTemplateMixin._survey_element_validation)."""
    variable, kind = item["variable"], item["type"]
    if variable not in data:
        return ["'%s' value missing" % variable] if item["required"] and validate_required else []
    value = data[variable]
    if kind in ("text", "textarea", "password"):
        if not isinstance(value, str):
            return ["Value %s for '%s' expected to be a string." % (value, variable)]
        if item.get("min") not in ("", None) and len(value) < int(item["min"]):
            return ["'%s' value %s is too small (length is %s must be at least %s)."
                    % (variable, value, len(value), item["min"])]
        if item.get("max") not in ("", None) and len(value) > int(item["max"]):
            return ["'%s' value %s is too large (must be no more than %s)." % (variable, value, item["max"])]
    elif kind in ("integer", "float"):
        numeric = (int,) if kind == "integer" else (float, int)
        if type(value) not in numeric:
            return ["Value %s for '%s' expected to be a %s." % (value, variable, kind)]
        if item.get("min") not in ("", None) and value < item["min"]:
            return ["'%s' value %s is too small (must be at least %s)." % (variable, value, item["min"])]
        if item.get("max") not in ("", None) and value > item["max"]:
            return ["'%s' value %s is too large (must be no more than %s)." % (variable, value, item["max"])]
    elif kind == "multiselect":
        if not isinstance(value, list):
            return ["'%s' value is expected to be a list." % variable]
        return ["Value %s for '%s' expected to be one of %s." % (choice, variable, choices_of(item))
                for choice in value if choice not in choices_of(item)]
    elif kind == "multiplechoice" and value not in choices_of(item):
        return ["Value %s for '%s' expected to be one of %s." % (value, variable, choices_of(item))]
    return []


def launch_extra_vars(template, answers):
    """The job's extra variables from a launch with `answers`, or LaunchError with AWX's reasons.
    Rules: _accept_or_ignore_variables (survey answers checked, other variables refused unless the template
    asks for variables on launch), then _update_unified_job_kwargs (template extra_vars, then survey
    defaults that pass validation, then the answers), both in awx/main/models/mixins.py."""
    spec = template["related"]["survey_spec"] if template["survey_enabled"] else {"spec": []}
    errors, leftover = [], dict(answers)
    for item in spec["spec"]:
        errors += answer_errors(item, answers)
        leftover.pop(item["variable"], None)
    if leftover and not template["ask_variables_on_launch"]:
        errors.append("Variables %s are not allowed on launch." % ", ".join(sorted(leftover)))
    if errors:
        raise LaunchError("; ".join(errors))
    extra_vars = yaml.safe_load(template["extra_vars"] or "") or {}
    safe = dict(extra_vars)
    for item in spec["spec"]:
        default = item.get("default")
        if default is not None and not answer_errors(item, {item["variable"]: default}):
            extra_vars[item["variable"]] = default
    extra_vars.update(answers)
    return extra_vars, safe


def awx_meta_vars(job_id, template, user="admin"):
    """The awx_*/tower_* variables AWX adds to every job (awx/main/models/unified_jobs.py and jobs.py awx_meta_vars)."""
    meta = {}
    for prefix in JOB_VARIABLE_PREFIXES:
        meta.update({"%s_job_id" % prefix: job_id, "%s_job_launch_type" % prefix: "manual",
                     "%s_user_name" % prefix: user, "%s_job_template_name" % prefix: template["name"],
                     "%s_inventory_name" % prefix: template["inventory"]["name"],
                     "%s_project_revision" % prefix: ""})
    return meta


def safe_dump(extra_vars, safe):
    """awx/main/utils/safe_yaml.py safe_dump: every string not set by the template itself is !unsafe, so a
    survey answer is never templated by Ansible."""
    class UnsafeDumper(yaml.SafeDumper):
        def represent_data(self, data):
            if isinstance(data, str):
                return self.represent_scalar("!unsafe", data)
            return super().represent_data(data)

    text = ""
    for key, value in extra_vars.items():
        dumper = yaml.SafeDumper if key in safe and safe[key] == value else UnsafeDumper
        text += yaml.dump_all([{key: value}], None, Dumper=dumper, default_flow_style=False)
    return text


# ----------------------------------------------------------------------------------- credentials

def credential_type(assets, key):
    """(managed definition or None, custom definition or None) of a credential type natural key."""
    managed = MANAGED_TYPES.get((key["name"], key["kind"]))
    if managed:
        return managed, None
    return None, by_natural_key(assets, "credential_types", key)


def inject_aws(inputs, env):
    """awx-plugins src/awx_plugins/credentials/injectors.py aws()."""
    env["AWS_ACCESS_KEY_ID"] = inputs.get("username", "")
    env["AWS_SECRET_ACCESS_KEY"] = inputs.get("password", "")
    if inputs.get("security_token"):
        env["AWS_SECURITY_TOKEN"] = inputs["security_token"]
        env["AWS_SESSION_TOKEN"] = env["AWS_SECURITY_TOKEN"]


def inject_custom(definition, inputs, env):
    """The env injectors of a custom credential type, rendered as awx/main/models/credential.py
    CredentialType.inject_credential does: a sandboxed Jinja environment over the non-empty inputs."""
    namespace = {name: value for name, value in inputs.items() if value not in ("", None)}
    for field in definition["inputs"].get("fields", []):
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    renderer = sandbox.ImmutableSandboxedEnvironment()
    for name, template in definition.get("injectors", {}).get("env", {}).items():
        env[name] = renderer.from_string(template).render(**namespace)


# ----------------------------------------------------------------------------------- inventory and args

def inventory_script(inventory, slice_number=1, slice_count=1):
    """The executable inventory AWX writes (jobs.py write_inventory_file), with the hosts of one slice:
    hosts ordered by name, then every slice_count-th from slice_number (inventory.py get_sliced_hosts),
    and the remote_host_id/remote_tower_id variables AWX adds (get_script_data with towervars)."""
    names = sorted(inventory["hosts"])
    if slice_count > 1 and slice_number > 0:
        names = names[slice_number - 1::slice_count]
    data = {"all": {"hosts": names}, "_meta": {"hostvars": {}}}
    if inventory.get("variables"):
        data["all"]["vars"] = inventory["variables"]
    for index, name in enumerate(sorted(inventory["hosts"]), start=1):
        if name in names:
            hostvars = dict(inventory["hosts"][name])
            for prefix in ("host", "tower"):
                hostvars.update({"remote_%s_enabled" % prefix: "true", "remote_%s_id" % prefix: index})
            data["_meta"]["hostvars"][name] = hostvars
    return names, "#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(data)


def playbook_args(template, machine_inputs):
    """jobs.py RunJob.build_args: the SSH user (root unless the Machine credential names one), become."""
    args = []
    if template["job_type"] == "check":
        args.append("--check")
    args += ["-u", machine_inputs.get("username") or "root"]
    if template["become_enabled"]:
        args.append("--become")
    if template["diff_mode"]:
        args.append("--diff")
    if machine_inputs.get("become_method"):
        args += ["--become-method", machine_inputs["become_method"]]
    if machine_inputs.get("become_username"):
        args += ["--become-user", machine_inputs["become_username"]]
    if template["forks"]:
        args.append("--forks=%d" % template["forks"])
    if template["verbosity"]:
        args.append("-" + "v" * min(5, template["verbosity"]))
    return args


def job_env(job_id, inventory_id):
    """jobs.py RunJob.build_env, the parts a job in an execution environment sees."""
    collections = "/runner/requirements_collections:~/.ansible/collections:/usr/share/ansible/collections"
    return {
        "JOB_ID": str(job_id), "INVENTORY_ID": str(inventory_id), "PROJECT_REVISION": "",
        "ANSIBLE_RETRY_FILES_ENABLED": "False", "MAX_EVENT_RES": "700000", "AWX_HOST": "https://awx.example.invalid",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": "/runner/cp",
        "ANSIBLE_COLLECTIONS_PATHS": collections, "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_ROLES_PATH": "/runner/requirements_roles:~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles",
    }


# ----------------------------------------------------------------------------------- the job

class Job:
    """What AWX records of a finished job: status, rc, events, the host summaries and where its files are."""

    def __init__(self, job_id, private_data_dir, hosts):
        self.job_id = job_id
        self.private_data_dir = private_data_dir
        self.hosts = hosts
        self.events = []
        self.status = None
        self.rc = None

    @property
    def artifact_dir(self):
        return os.path.join(self.private_data_dir, "artifacts", str(self.job_id))

    @property
    def stats(self):
        """The playbook_on_stats event data: {"changed": {host: n}, "ok": ..., "failures": ..., "dark": ...}."""
        found = [event["event_data"] for event in self.events if event.get("event") == "playbook_on_stats"]
        return found[-1] if found else {}

    def host_summary(self, counter):
        return dict(self.stats.get(counter) or {})

    def task_results(self, task_name):
        """(host, result) of every runner_on_ok/failed event of the named task."""
        return [(event["event_data"]["host"], event["event_data"].get("res", {}))
                for event in self.events
                if event.get("event") in ("runner_on_ok", "runner_on_failed")
                and event["event_data"].get("task") == task_name]

    @property
    def stdout(self):
        return "\n".join(event["stdout"] for event in self.events if event.get("stdout"))

    @property
    def extra_vars_file(self):
        with open(os.path.join(self.private_data_dir, "env", "extravars")) as handle:
            return handle.read()


def write_private_data(folder, name, content, mode=0o600):
    """jobs.py write_private_data_file: files only the job's user reads."""
    path = os.path.join(folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(content)
    os.chmod(path, mode)
    return path


def prepare_job(assets, template, answers, inventory, credentials, job_id, work_dir,
                slice_number=1, slice_count=1, extra_container_options=()):
    """The private data dir and runner parameters of one job (BaseTask.run in jobs.py), without running it."""
    extra_vars, safe = launch_extra_vars(template, answers)
    extra_vars.update(awx_meta_vars(job_id, template))
    # jobs.py build_private_data_dir: a folder per job with inventory/ and env/, mode 0700.
    private = tempfile.mkdtemp(prefix="awx_%s_" % job_id, dir=work_dir)
    os.chmod(private, stat.S_IRWXU)
    shutil.copytree(PROJECT, os.path.join(private, "project"))
    os.mkdir(os.path.join(private, "cp"), 0o700)
    write_private_data(private, "env/extravars", safe_dump(extra_vars, safe))
    names, script = inventory_script(inventory, slice_number, slice_count)
    inventory_path = write_private_data(private, "inventory/hosts", script, mode=0o700)

    env = job_env(job_id, inventory.get("id", 1))
    machine, ssh_key = {}, None
    for key in template["related"]["credentials"]:
        managed, custom = credential_type(assets, key["credential_type"])
        inputs = credentials[key["name"]]
        if custom:
            inject_custom(custom, inputs, env)
        elif managed["namespace"] == "aws":
            inject_aws(inputs, env)
        elif managed["namespace"] == "ssh":
            # build_private_data_files: an ssh key goes to ssh-agent (runner's ssh_key), never to a file
            machine = inputs
            ssh_key = inputs.get("ssh_key_data")
            if ssh_key and not ssh_key.endswith("\n"):
                ssh_key += "\n"
    write_private_data(private, "env/cmdline", " ".join(playbook_args(template, machine)))
    # Runner settings AWX writes; it then streams the output into its database. The test reads the worker's
    # artifacts from disk instead, so the output file is kept (AWX_RUNNER_SUPPRESS_OUTPUT_FILE is True there).
    write_private_data(private, "env/settings", json.dumps(
        {"job_timeout": template["timeout"], "suppress_ansible_output": True, "suppress_output_file": False}))

    environment = by_natural_key(assets, "execution_environments", template["execution_environment"])
    options = CONTAINER_OPTIONS + list(extra_container_options)
    if environment.get("pull"):
        options.append("--pull=%s" % environment["pull"])
    params = {
        "ident": job_id, "private_data_dir": private, "playbook": template["playbook"],
        "inventory": inventory_path, "suppress_env_files": True, "envvars": env,
        "fact_cache_type": "jsonfile" if template["use_fact_cache"] else "",
        # build_execution_environment_params
        "container_image": environment["image"], "process_isolation": True,
        "process_isolation_executable": "podman", "container_options": options,
    }
    if ssh_key:
        params["ssh_key"] = ssh_key
    return Job(job_id, private, names), params


def run_on_execution_node(job, params, node_env, node_dir):
    """receptor.py AWXReceptorJob: transmit the job, run `ansible-runner worker --private-data-dir=... --delete`
    on the execution node (here a subprocess with the node's environment), process what it streams back."""
    transmitted = os.path.join(node_dir, "transmit-%s" % job.job_id)
    results = os.path.join(node_dir, "results-%s" % job.job_id)
    with open(transmitted, "wb") as stream:
        ansible_runner.interface.run(streamer="transmit", _output=stream, **params)
    node_private = tempfile.mkdtemp(prefix="awx_%s_" % job.job_id, dir=node_dir)
    with open(transmitted, "rb") as stdin, open(results, "wb") as stdout:
        worker = subprocess.run([os.path.join(BIN, "ansible-runner"), "worker", "--private-data-dir=%s" % node_private,
                                 "--delete"], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=node_env,
                                check=False)
    os.remove(transmitted)  # it holds the job's secrets, as the stream between AWX and the node does
    # receptor.py: the controller's artifacts are replaced by what the node sends back
    shutil.rmtree(os.path.join(job.private_data_dir, "artifacts"), ignore_errors=True)
    with open(results, "rb") as stream:
        result = ansible_runner.interface.run(streamer="process", quiet=True, _input=stream,
                                              event_handler=lambda event: job.events.append(event) or True,
                                              **params)
    os.remove(results)
    job.status = result.status
    rc_file = os.path.join(job.artifact_dir, "rc")
    job.rc = int(open(rc_file).read()) if os.path.exists(rc_file) else None
    job.worker_stderr = worker.stderr.decode(errors="replace")
    return job


def launch(assets, template_name, answers, inventory, credentials, node_env, work_dir, job_id=1,
           extra_container_options=TEST_WORLD_CONTAINER_OPTIONS):
    """One job of a job template (no slicing)."""
    template = job_template(assets, template_name)
    job, params = prepare_job(assets, template, answers, inventory, credentials, job_id, work_dir,
                              extra_container_options=extra_container_options)
    return run_on_execution_node(job, params, node_env, work_dir)


def launch_sliced(assets, template_name, answers, inventory, credentials, node_env, work_dir, first_job_id=1,
                  extra_container_options=TEST_WORLD_CONTAINER_OPTIONS):
    """The job_slice_count jobs of a sliced job template, each with its share of the hosts, all at once (AWX
    starts the slices of its workflow together, on whichever execution nodes have capacity)."""
    template = job_template(assets, template_name)
    count = template["job_slice_count"]
    jobs, threads = [], []
    for number in range(1, count + 1):
        job, params = prepare_job(assets, copy.deepcopy(template), answers, inventory, credentials,
                                  first_job_id + number - 1, work_dir, number, count, extra_container_options)
        jobs.append(job)
        threads.append(threading.Thread(target=run_on_execution_node, args=(job, params, node_env, work_dir)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return jobs
