# iamkit.ec2: every entry point a developer or CI uses. `make help` lists them.
# Each layer is one folder of the one test package (`python -m pytest tests` runs them all in one process);
# each installs what it needs itself, so `make <layer>` passes on a fresh machine whatever ran before it.
SHELL := /bin/bash
VENV ?= .venv
# LEG=<leg> runs any target on one leg of the support matrix (tests/matrix/<leg>.txt: ansible-core, Python,
# amazon.aws), in that leg's own venv.
LEGS := $(sort $(basename $(notdir $(wildcard tests/matrix/*-aws*.txt))))
ifdef LEG
VENV := .venv-$(LEG)
endif
PY := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(abspath tests/output/collections)
export ANSIBLE_PYTHON_INTERPRETER := $(abspath $(VENV))/bin/python
# tests/sanity/run.sh takes the venv named here (it activates .venv only when none is).
export VIRTUAL_ENV := $(abspath $(VENV))
LAYERS := lint sanity unit integration reliability ecosystem world molecule ee
PYTEST := $(PY) -m pytest -q
# The slow layers whose tests are independent run on WORKERS pytest-xdist processes (one embedded AWS, or one
# test world per scenario, each); steps they share across the machine take a lock (tests/support/locks.py).
# WORKERS=0 runs them in this process.
PARALLEL_LAYERS := unit integration reliability ecosystem world molecule
WORKERS ?= 2
# The world layer's tests share one host per module, in order, so each module stays on one worker.
DIST_world := --dist loadfile

.PHONY: help venv agent demo test matrix matrix-ci $(LAYERS) build bench reliability-report clean

help:
	@echo "make demo   - the main job: end-to-end run against the embedded AWS"
	@echo "make test   - the whole suite, layer by layer: $(LAYERS)"
	@echo "make <layer> - one layer; make build - the collection tarball; make bench - benchmarks"
	@echo "make agent  - the real CloudWatch agent's .deb and .rpm, built from its source (cached)"
	@echo "make matrix LEG=<leg> - $(MATRIX_LAYERS) on one leg of the support matrix: $(LEGS)"

# The venv is rebuilt when a requirements file changes; constraints.txt pins what CI tested. A leg's venv
# comes from its own pinned file instead (tests/matrix/venv.sh says how).
ifdef LEG
$(VENV)/.installed: requirements.txt tests/matrix/requirements.txt tests/matrix/$(LEG).txt tests/matrix/venv.sh
	tests/matrix/venv.sh $(LEG) $(VENV)
	touch $@
else
$(VENV)/.installed: requirements.txt test-requirements.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade 'pip>=23'
	$(PY) -m pip install --quiet -r test-requirements.txt -c constraints.txt
	touch $@
endif

venv: $(VENV)/.installed

# The real CloudWatch agent, built from its source tarball (AGENT_SOURCE, default ../shared/cloudwatch-agent/
# source/...) with Go and packaged with its own recipe; cached by version and recipe under ~/.cache/iamkit-ec2.
# Every host layer and the demo install it. The last lines printed are the packages' paths.
AGENT_SOURCE ?=
agent: venv
	$(if $(AGENT_SOURCE),IAMKIT_AGENT_SOURCE=$(AGENT_SOURCE)) $(PY) -m tests.support.agent_build

# The main job: the cloudwatch_agent playbook against the embedded AWS and podman hosts (needs root).
demo: venv agent
	$(PY) -m tests.support.system_packages
	$(PY) -m tests.support.demo

# Every layer, the time of each printed at the end (tests/support/layers.py): the others one by one, stopping
# at the first that fails, then the HOST_LAYERS at the same time, as they mostly wait on their podman hosts.
HOST_LAYERS := world molecule ee
test: venv
	@$(PY) -m tests.support.layers --one-by-one $(filter-out $(HOST_LAYERS),$(LAYERS)) --together $(HOST_LAYERS)

# The layers whose hosts install the real agent.
world molecule ee: agent

# One leg of the support matrix: its venv, then MATRIX_LAYERS on it, one by one, each layer's time printed.
MATRIX_LAYERS ?= sanity unit integration
matrix: venv
	@test -n "$(LEG)" || { echo "make matrix LEG=<leg>, one of: $(LEGS)" >&2; exit 2; }
	@$(PY) -m tests.support.layers --label "make matrix LEG=$(LEG)" --one-by-one $(MATRIX_LAYERS)

# Sanity and unit on MATRIX_CI_LEGS (default: every leg), two legs at a time, each leg's time printed.
# CI runs the two ends only (.ci/run says why).
MATRIX_CI_LEGS ?= $(LEGS)
matrix-ci: venv
	@$(PY) -m tests.support.matrix $(MATRIX_CI_LEGS)

$(LAYERS): venv
	$(PYTEST) $(if $(filter $@,$(PARALLEL_LAYERS)),-n $(WORKERS) $(DIST_$@)) tests/$@

# docs/reliability.md and docs/permissions.md from measured figures (not part of make test).
reliability-report: venv
	$(PY) -m tests.reliability.report

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path tests/output/build

bench: venv
	$(PY) -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf tests/output .pytest_cache .ruff_cache
