"""Running ansible, ansible-playbook and ansible-galaxy as a user would: a clean environment, output kept."""

import json
import os
import re
import subprocess
import sys

from tests.support.embedded_aws import is_write
from tests.support.paths import BIN
from tests.support.paths import COLLECTIONS
from tests.support.paths import tool


def clean_env(tmp, collections_path=None):
    """The caller's environment without any AWS setting or Ansible path that could leak in; a private HOME.
    `collections_path` is where Ansible finds collections (none set: Ansible's defaults)."""
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith(("AWS_", "ANSIBLE_", "BOTO", "EC2_")))
    home = os.path.join(str(tmp), "home")
    os.makedirs(home, exist_ok=True)
    # No ~/.aws of the real user: credentials must come from where each test says.
    env["HOME"] = home
    env["AWS_CONFIG_FILE"] = os.path.join(home, "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(home, "no-aws-credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["ANSIBLE_HOME"] = os.path.join(home, ".ansible")
    env["ANSIBLE_LOCAL_TEMP"] = os.path.join(home, "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    if collections_path:
        env["ANSIBLE_COLLECTIONS_PATH"] = collections_path
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def aws_env(tmp, aws, collections_path=COLLECTIONS, keys=None):
    """clean_env plus the embedded AWS through AWS_* variables only (keys, region, endpoint)."""
    env = clean_env(tmp, collections_path)
    env.update(aws.env())
    if keys:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = keys
    return env


def run(command, env, cwd=None, check=True, timeout=600):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert result.returncode == 0, "%s failed (%s):\n%s\n%s" % (
            " ".join(command), result.returncode, result.stdout[-20000:], result.stderr[-5000:])
    return result


def playbook_command(playbook, inventory, extra_vars=(), verbosity=0, check_mode=False):
    command = [tool("ansible-playbook"), playbook, "-i", inventory,
               "-e", "ansible_python_interpreter=%s" % sys.executable]
    for item in extra_vars:
        command += ["-e", item]
    if verbosity:
        command.append("-" + "v" * verbosity)
    if check_mode:
        command.append("--check")
    return command


def write_calls(aws):
    """The write actions the embedded AWS received since its call log was last cleared."""
    return [call["action"] for call in aws.calls() if is_write(call["action"])]


def adhoc_result(stdout, host="localhost"):
    """The result dict that `ansible HOST -m MODULE` prints after `HOST | STATUS =>` (after any diff)."""
    found = re.search(r"^%s \| [A-Z!]+ =>" % re.escape(host), stdout, re.M)
    assert found, "no result for %s in:\n%s" % (host, stdout)
    return json.loads(stdout[found.end():])


def amazon_aws_path():
    import ansible_collections.amazon.aws as amazon_aws

    return list(amazon_aws.__path__)[0]
