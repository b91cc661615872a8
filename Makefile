# iamkit.ec2: every entry point a developer or CI uses. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(abspath tests/output/collections)
export ANSIBLE_PYTHON_INTERPRETER := $(abspath $(VENV))/bin/python
LAYERS := lint sanity unit integration reliability ecosystem world molecule

.PHONY: help venv demo test $(LAYERS) collection-link build bench reliability-report clean

help:
	@echo "make demo   - the main job: end-to-end run against the embedded AWS"
	@echo "make test   - the whole suite, layer by layer: $(LAYERS)"
	@echo "make <layer> - one layer; make build - the collection tarball; make bench - benchmarks"

# The venv is rebuilt when a requirements file changes; constraints.txt pins what CI tested.
$(VENV)/.installed: requirements.txt test-requirements.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade 'pip>=23'
	$(PY) -m pip install --quiet -r test-requirements.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed collection-link

# Ansible finds this checkout as iamkit.ec2 through a link in tests/output/collections.
collection-link:
	@mkdir -p tests/output/collections/ansible_collections/iamkit
	@ln -sfn $(abspath .) tests/output/collections/ansible_collections/iamkit/ec2

# The main job: the cloudwatch_agent playbook against the embedded AWS and podman hosts (needs root and podman).
demo: venv collection-link
	bash tests/harness/system_packages.sh
	$(PY) tests/harness/demo.py

test: venv
	@for layer in $(LAYERS); do \
	  echo "==== make test: layer $$layer"; \
	  $(MAKE) --no-print-directory $$layer || { echo "==== make test: layer '$$layer' FAILED"; exit 1; }; \
	done; echo "==== make test: all layers passed ($(LAYERS))"

lint: venv
	bash tests/sanity/lint.sh

sanity: venv
	bash tests/sanity/run.sh

unit: venv
	$(PY) -m pytest tests/unit -q

integration: venv
	$(PY) -m pytest tests/integration -q

# Faults survived, least privilege proven, bad input refused, nothing lost, no secret shown.
reliability: venv collection-link
	$(PY) -m pytest tests/reliability -q

# docs/reliability.md and docs/permissions.md from measured figures (not part of make test).
reliability-report: venv collection-link
	$(PY) tests/reliability/report.py

# AWX / execution environments, the aws_ec2 inventory, README commands and module docs, on the built tarball.
ecosystem: venv
	$(PY) -m pytest tests/ecosystem -q

# The test world (podman hosts that behave like EC2 instances) proven on its own; needs root and podman.
world: venv collection-link
	bash tests/harness/system_packages.sh
	$(PY) -m pytest tests/world -q

molecule: venv collection-link
	bash tests/harness/molecule.sh

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path tests/output/build

bench: venv collection-link
	$(PY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf tests/output .pytest_cache .ruff_cache
