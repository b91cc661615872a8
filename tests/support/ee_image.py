#!/usr/bin/env python
"""The execution environment image: examples/execution-environment.yml built by ansible-builder with podman.

    python -m tests.support.ee_image build [--base-image IMAGE --build-arg KEY=VALUE ...] [--cache DIR]
    python -m tests.support.ee_image prepare DIR     # the build folder only: definition + collections/
    python -m tests.support.ee_image name            # localhost/iamkit-ec2-ee:<version from galaxy.yml>

`build` works offline, as the project's machines are (no container registry, no Galaxy):
- the base image is made here, like the test world's host image (host_image.py): Debian 12 from debootstrap,
  the machine's own CA certificates (so pip trusts the same TLS as the machine does), and Python with pip in
  a virtual environment at /opt/ee-python (Debian's system Python refuses ensurepip, which ansible-builder
  runs), first on PATH. Its name carries the hash of its recipe, so it is built once per recipe;
- the collections come as tarballs beside the definition (collections/requirements.yml lists them): this
  checkout built with `ansible-galaxy collection build`, and the amazon.aws of the venv's `ansible` package
  rebuilt the same way from its installed files;
- ansible-builder builds the definition unchanged; only build arguments differ per base image: the base,
  its package manager and its Python (LOCAL_BASE_BUILD_ARGS). With --base-image (a registry is reachable)
  the definition's own defaults apply unless --build-arg says otherwise.
The image is tagged localhost/iamkit-ec2-ee:<collection version> and labelled with the hash of what went
into it (collections' file checksums, definition, base image, build arguments); when the tagged image
carries the same hash the build is skipped.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

import yaml

from tests.support import host_image
from tests.support.ansible_cli import amazon_aws_path
from tests.support.ansible_cli import clean_env
from tests.support.paths import ROOT
from tests.support.paths import collection_version
from tests.support.paths import tool
from tests.support.system_packages import install_world_packages

DEFINITION = os.path.join(ROOT, "examples", "execution-environment.yml")
# The build folder of this checkout (tests/output is not part of the collection).
BUILD_DIR = os.path.join(ROOT, "tests", "output", "ee")
EE_REPOSITORY = "localhost/iamkit-ec2-ee"
BASE_REPOSITORY = "localhost/iamkit-ec2-ee-base"
CONTENT_LABEL = "io.iamkit.ee-content"
VENV = "/opt/ee-python"
# Where the machine keeps the CA certificates it adds to Debian's (update-ca-certificates reads them here).
LOCAL_CA_DIR = "/usr/local/share/ca-certificates"

# What goes into the local base image. Changing anything here changes its hash, hence the image.
BASE_RECIPE = {
    "suite": "bookworm",
    "variant": "minbase",
    # python3-venv brings the pip wheel a virtual environment installs; ca-certificates the trust store.
    "include": ["python3", "python3-venv", "ca-certificates"],
    "venv": VENV,
    "revision": 1,
}
BASE_CHANGES = ["ENV PATH=%s/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" % VENV,
                "CMD=/bin/bash"]
# The definition's defaults fit RHEL-family bases (dnf, /usr/bin/python3.11); the local base is Debian.
LOCAL_BASE_BUILD_ARGS = {"PKGMGR": "/usr/bin/apt-get", "PYCMD": "%s/bin/python3" % VENV}


def image_name():
    return "%s:%s" % (EE_REPOSITORY, collection_version())


# ----------------------------------------------------------------------------------- the local base image

def local_certificates():
    """{file name: content} of the CA certificates this machine adds to the system's."""
    if not os.path.isdir(LOCAL_CA_DIR):
        return {}
    found = {}
    for name in sorted(os.listdir(LOCAL_CA_DIR)):
        if name.endswith(".crt"):
            with open(os.path.join(LOCAL_CA_DIR, name)) as handle:
                found[name] = handle.read()
    return found


def base_recipe_hash(mirror):
    certificates = hashlib.sha256(json.dumps(local_certificates(), sort_keys=True).encode()).hexdigest()
    return host_image.recipe_hash(mirror, dict(BASE_RECIPE, certificates=certificates))


def make_base_rootfs(target, mirror):
    host_image.build_rootfs(target, mirror, BASE_RECIPE)
    for name, content in local_certificates().items():
        with open(os.path.join(target, LOCAL_CA_DIR.lstrip("/"), name), "w") as handle:
            handle.write(content)
    subprocess.run(["chroot", target, "update-ca-certificates"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["chroot", target, "python3", "-m", "venv", VENV], check=True)


def ensure_base_image(cache=None, log=print):
    """Name of the local base image, building or importing it when missing. Returns (name, how, seconds)."""
    started = time.monotonic()
    mirror = host_image.debian_mirror()
    digest = base_recipe_hash(mirror)
    name = "%s:%s" % (BASE_REPOSITORY, digest)
    tarball = os.path.join(host_image.cache_dir(cache), "ee-base-%s.tar" % digest)

    def make_rootfs(target):
        log("ee base image: debootstrap %s from %s (once per recipe)" % (BASE_RECIPE["suite"], mirror))
        make_base_rootfs(target, mirror)

    how = host_image.ensure_imported_image(name, tarball, make_rootfs, BASE_CHANGES, cache)
    return name, how, time.monotonic() - started


# ----------------------------------------------------------------------------------- the build folder

def build_collection(source, output, env):
    """Tarball of the collection in `source` (a folder with galaxy.yml) written into `output`."""
    result = subprocess.run([tool("ansible-galaxy"), "collection", "build", source, "--output-path", output,
                             "--force"], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError("ansible-galaxy collection build %s failed:\n%s%s" % (source, result.stdout, result.stderr))
    return result.stdout.strip().rsplit(" ", 1)[-1]


def rebuild_installed_collection(installed, output, env):
    """Tarball of an installed collection (MANIFEST.json, no galaxy.yml), such as the `ansible` package's
    amazon.aws: its files copied with a galaxy.yml made from MANIFEST.json's collection_info, then built."""
    with open(os.path.join(installed, "MANIFEST.json")) as handle:
        info = json.load(handle)["collection_info"]
    work = tempfile.mkdtemp(prefix="iamkit-collection-")
    try:
        source = os.path.join(work, info["name"])
        shutil.copytree(installed, source,
                        ignore=shutil.ignore_patterns("__pycache__", "MANIFEST.json", "FILES.json"))
        with open(os.path.join(source, "galaxy.yml"), "w") as handle:
            yaml.safe_dump({key: value for key, value in info.items() if value is not None}, handle)
        return build_collection(source, output, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prepare(folder):
    """The build folder: the definition (copied unchanged) and collections/ with the two tarballs and the
    requirements file naming them. Paths in it are relative to the folder, where the image's galaxy stage
    runs (ansible-builder copies collections/ to /build/collections). Returns the definition's path."""
    collections = os.path.join(folder, "collections")
    shutil.rmtree(collections, ignore_errors=True)
    os.makedirs(collections)
    env = clean_env(tempfile.mkdtemp(prefix="iamkit-ee-home-"), collections_path=os.path.join(folder, "none"))
    tarballs = [build_collection(ROOT, collections, env),
                rebuild_installed_collection(amazon_aws_path(), collections, env)]
    requirements = {"collections": [{"name": "collections/" + os.path.basename(path), "type": "file"}
                                    for path in tarballs]}
    with open(os.path.join(collections, "requirements.yml"), "w") as handle:
        handle.write("# Written by tests.support.ee_image prepare: the tarballs beside this file.\n")
        yaml.safe_dump(requirements, handle, sort_keys=False)
    definition = os.path.join(folder, "execution-environment.yml")
    shutil.copyfile(DEFINITION, definition)
    return definition


def collection_content(tarball):
    """What a collection tarball holds, independent of its timestamps: MANIFEST.json and FILES.json (which
    carries the checksum of every file)."""
    with tarfile.open(tarball) as archive:
        return {name: archive.extractfile(name).read().decode() for name in ("MANIFEST.json", "FILES.json")}


def content_hash(folder, base_image, build_args):
    """Hash of everything the image is built from."""
    collections = os.path.join(folder, "collections")
    parts = {"base_image": base_image, "build_args": build_args, "collections": {}}
    for name in sorted(os.listdir(collections)):
        path = os.path.join(collections, name)
        if name.endswith(".tar.gz"):
            parts["collections"][name] = collection_content(path)
        else:
            with open(path) as handle:
                parts["collections"][name] = handle.read()
    with open(os.path.join(folder, "execution-environment.yml")) as handle:
        parts["definition"] = handle.read()
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------- the image

def image_content_hash(name, env):
    """The content label of image `name`, or None when there is no such image."""
    result = subprocess.run(["podman", "image", "inspect", "--format", "{{ index .Labels \"%s\" }}" % CONTENT_LABEL,
                             name], env=env, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def builder_command(definition, context, name, digest, build_args):
    command = [tool("ansible-builder"), "build", "-f", definition, "--context", context,
               "--container-runtime", "podman", "--tag", name, "--verbosity", "2",
               # Host networking: the build reaches PyPI and the Debian mirror as the machine does; the label
               # is what the next build compares with.
               "--extra-build-cli-args=--network=host --label %s=%s" % (CONTENT_LABEL, digest)]
    for key, value in sorted(build_args.items()):
        command += ["--build-arg", "%s=%s" % (key, value)]
    return command


def ensure_image(base_image=None, build_args=None, cache=None, log=print):
    """Tag of the execution environment image, building it when its content changed.
    Returns (name, how, seconds, timings): how is "cached" or "built"."""
    started = time.monotonic()
    install_world_packages()
    timings = {}
    if base_image:
        args = dict(build_args or {})
    else:
        base_image, how, timings["base_image"] = ensure_base_image(cache, log)
        log("ee base image %s: %s in %.1f s" % (base_image, how, timings["base_image"]))
        args = dict(LOCAL_BASE_BUILD_ARGS, **(build_args or {}))
    args["EE_BASE_IMAGE"] = base_image

    folder = BUILD_DIR
    moment = time.monotonic()
    definition = prepare(folder)
    timings["prepare"] = round(time.monotonic() - moment, 1)
    digest = content_hash(folder, base_image, args)
    name = image_name()
    env = host_image.podman_env(cache)
    if image_content_hash(name, env) == digest:
        return name, "cached", time.monotonic() - started, timings

    log("ee image %s: ansible-builder build on %s (content %s)" % (name, base_image, digest))
    moment = time.monotonic()
    context = os.path.join(folder, "context")
    result = subprocess.run(builder_command(definition, context, name, digest, args), env=env, cwd=folder,
                            capture_output=True, text=True, check=False)
    with open(os.path.join(folder, "build.log"), "w") as handle:
        handle.write(result.stdout + result.stderr)
    if result.returncode != 0:
        log_path = os.path.join(folder, "build.log")
        raise RuntimeError("ansible-builder build failed (rc %s), log in %s:\n%s"
                           % (result.returncode, log_path, (result.stdout + result.stderr)[-6000:]))
    timings["build"] = round(time.monotonic() - moment, 1)
    return name, "built", time.monotonic() - started, timings


def run_in_image(name, command, cache=None, check=True):
    """A command in a throwaway container of the image (as root, the way AWX runs jobs)."""
    return subprocess.run(["podman", "run", "--rm", "--user=root", "--network=host", name] + command,
                          env=host_image.podman_env(cache), capture_output=True, text=True, check=check)


def parse_build_args(items):
    args = {}
    for item in items or []:
        key, value = item.partition("=")[::2]
        args[key] = value
    return args


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["build", "prepare", "name"])
    parser.add_argument("folder", nargs="?", help="prepare: the build folder to write")
    parser.add_argument("--base-image", help="a base image from a registry, instead of the local Debian base")
    parser.add_argument("--build-arg", action="append", help="KEY=VALUE for ansible-builder (PKGMGR, PYCMD...)")
    parser.add_argument("--cache", help="cache folder (default $IAMKIT_CACHE_DIR or ~/.cache/iamkit-ec2)")
    args = parser.parse_args(argv)
    if args.command == "name":
        print(image_name())
        return 0
    if args.command == "prepare":
        if not args.folder:
            parser.error("prepare needs the folder to write")
        print(prepare(os.path.abspath(args.folder)))
        return 0
    name, how, seconds, timings = ensure_image(args.base_image, parse_build_args(args.build_arg), args.cache,
                                               log=lambda text: print(text, file=sys.stderr))
    print("ee image %s: %s in %.1f s %s" % (name, how, seconds, json.dumps(timings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
