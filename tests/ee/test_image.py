"""The execution environment image `make ee` builds: what it holds, read from inside a container of it, and
that a build with nothing changed is skipped."""

import json
import os
import tarfile

from tests.support import ee_image
from tests.support.ansible_cli import amazon_aws_path
from tests.support.paths import collection_version

COLLECTIONS_IN_IMAGE = "/usr/share/ansible/collections/ansible_collections"


def in_image(name, *command):
    return ee_image.run_in_image(name, list(command)).stdout


def test_image_is_tagged_with_the_collection_version(ee_image_name):
    assert ee_image_name == "localhost/iamkit-ec2-ee:%s" % collection_version()


def test_image_holds_this_checkout_and_amazon_aws(ee_image_name):
    """The collections in the image are the ones of this checkout and of the venv's `ansible` package:
    FILES.json (every file's checksum) equals that of a tarball built from the checkout now."""
    listing = in_image(ee_image_name, "ansible-galaxy", "collection", "list", "--format", "json")
    found = {name: info["version"] for path in json.loads(listing).values() for name, info in path.items()}
    with open(os.path.join(amazon_aws_path(), "MANIFEST.json")) as handle:
        amazon_version = json.load(handle)["collection_info"]["version"]
    assert found["iamkit.ec2"] == collection_version()
    assert found["amazon.aws"] == amazon_version

    tarball = os.path.join(ee_image.BUILD_DIR, "collections", "iamkit-ec2-%s.tar.gz" % collection_version())
    with tarfile.open(tarball) as archive:
        built = json.load(archive.extractfile("FILES.json"))
    inside = json.loads(in_image(ee_image_name, "cat", COLLECTIONS_IN_IMAGE + "/iamkit/ec2/FILES.json"))
    assert inside == built


def test_image_has_what_the_collection_needs_at_run_time(ee_image_name):
    script = ("import boto3, botocore, jsonschema, ansible_runner, ansible.release as r; "
              "print(boto3.__version__, botocore.__version__, r.__version__)")
    versions = in_image(ee_image_name, "python3", "-c", script).split()
    assert len(versions) == 3 and versions[2].startswith("2.19.")
    assert in_image(ee_image_name, "gpg", "--version").startswith("gpg (GnuPG)")
    for command in ("ssh", "ssh-agent", "ssh-add", "ansible-playbook", "ansible-runner"):
        assert in_image(ee_image_name, "sh", "-c", "command -v %s" % command).strip(), command


def test_unchanged_content_skips_the_build(ee_build, node_env):
    """The tag's content label is the hash of what went in; asking again finds it and builds nothing."""
    label = ee_image.image_content_hash(ee_build["name"], node_env)
    assert label
    name, how, seconds, timings = ee_image.ensure_image(log=print)
    assert (name, how) == (ee_build["name"], "cached")
    assert ee_image.image_content_hash(name, node_env) == label
    assert "build" not in timings


def test_content_hash_follows_collection_files_not_tarball_dates(tmp_path):
    """Two tarballs with the same FILES.json hash alike whatever their timestamps; a changed file changes it."""
    def folder(label, files_json, mtime):
        root = tmp_path / label
        (root / "collections").mkdir(parents=True)
        (root / "execution-environment.yml").write_text("version: 3\n")
        member_dir = tmp_path / ("members-" + label)
        member_dir.mkdir()
        for name, text in (("MANIFEST.json", '{"collection_info": {}}'), ("FILES.json", files_json)):
            (member_dir / name).write_text(text)
            os.utime(member_dir / name, (mtime, mtime))
        with tarfile.open(root / "collections" / "x-y-1.0.0.tar.gz", "w:gz") as archive:
            for name in ("MANIFEST.json", "FILES.json"):
                archive.add(member_dir / name, arcname=name)
        return str(root)

    first = ee_image.content_hash(folder("a", '{"files": [1]}', 1000), "base", {})
    assert first == ee_image.content_hash(folder("b", '{"files": [1]}', 2000000), "base", {})
    assert first != ee_image.content_hash(folder("c", '{"files": [2]}', 1000), "base", {})
    assert first != ee_image.content_hash(folder("d", '{"files": [1]}', 1000), "other-base", {})
