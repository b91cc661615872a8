"""README.md's code blocks, for the tests that run what the README shows."""

import os

from tests.support.paths import ROOT


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
