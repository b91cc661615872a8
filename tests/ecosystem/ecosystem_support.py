"""Helpers of the ecosystem layer (tests/ecosystem): running ansible commands in a clean environment."""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.dirname(sys.executable)
VERSION = "0.1.0"


def tool(name):
    return os.path.join(BIN, name)


def amazon_aws_path():
    import ansible_collections.amazon.aws as amazon_aws

    return list(amazon_aws.__path__)[0]


def run(command, env, cwd=None, check=True, timeout=600):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert result.returncode == 0, "%s failed (%s):\n%s\n%s" % (
            " ".join(command), result.returncode, result.stdout[-20000:], result.stderr[-5000:])
    return result


def clean_env(tmp):
    """The caller's environment without any AWS setting or Ansible path that could leak in."""
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith(("AWS_", "ANSIBLE_", "BOTO", "EC2_")))
    home = os.path.join(str(tmp), "home")
    os.makedirs(home, exist_ok=True)
    # No ~/.aws of the real user: credentials must come from where each test says.
    env["HOME"] = home
    env["AWS_CONFIG_FILE"] = os.path.join(home, "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(home, "no-aws-credentials")
    env["ANSIBLE_HOME"] = os.path.join(home, ".ansible")
    env["ANSIBLE_LOCAL_TEMP"] = os.path.join(home, "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def write_calls(aws):
    from embedded_aws import is_write

    return [call["action"] for call in aws.calls() if is_write(call["action"])]


def adhoc_result(stdout, host="localhost"):
    """The result dict that `ansible HOST -m MODULE` prints after `HOST | STATUS =>` (after any diff)."""
    found = re.search(r"^%s \| [A-Z!]+ =>" % re.escape(host), stdout, re.M)
    assert found, "no result for %s in:\n%s" % (host, stdout)
    return json.loads(stdout[found.end():])


def readme_blocks(language):
    """The fenced code blocks of README.md in `language`, in order, as text."""
    blocks, current = [], None
    with open(os.path.join(ROOT, "README.md")) as handle:
        for line in handle:
            stripped = line.rstrip("\n")
            if current is None and stripped == "```" + language:
                current = []
            elif current is not None and stripped == "```":
                blocks.append("\n".join(current) + "\n")
                current = None
            elif current is not None:
                current.append(stripped)
    return blocks


def readme_block_with(language, marker):
    """The one README block in `language` that contains `marker`."""
    found = [block for block in readme_blocks(language) if marker in block]
    assert len(found) == 1, "README.md should have one %s block with %r, has %d" % (language, marker, len(found))
    return found[0]


def readme_commands(marker):
    """The commands (non-comment lines) of the README bash block that contains `marker`."""
    block = readme_block_with("bash", marker)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
