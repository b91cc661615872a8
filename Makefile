# iamkit.ec2: every entry point a developer or CI uses. `make help` lists them.
# Each layer is one folder of the one test package (`python -m pytest tests` runs them all in one process);
# each installs what it needs itself, so `make <layer>` passes on a fresh machine whatever ran before it.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(abspath tests/output/collections)
export ANSIBLE_PYTHON_INTERPRETER := $(abspath $(VENV))/bin/python
LAYERS := lint sanity unit integration reliability ecosystem world molecule ee
PYTEST := $(PY) -m pytest -q
# The slow layers whose tests are independent run on WORKERS pytest-xdist processes (one embedded AWS, or one
# test world per scenario, each); steps they share across the machine take a lock (tests/support/locks.py).
# WORKERS=0 runs them in this process.
PARALLEL_LAYERS := unit integration ecosystem molecule
WORKERS ?= 2

.PHONY: help venv demo test $(LAYERS) build bench reliability-report clean

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

venv: $(VENV)/.installed

# The main job: the cloudwatch_agent playbook against the embedded AWS and podman hosts (needs root).
demo: venv
	$(PY) -m tests.support.system_packages
	$(PY) -m tests.support.demo

# Every layer in turn, stopping at the first that fails; the time of each is printed at the end.
test: venv
	@times=(); status=0; \
	for layer in $(LAYERS); do \
	  echo "==== make test: layer $$layer"; started=$$SECONDS; \
	  $(MAKE) --no-print-directory $$layer; code=$$?; \
	  times+=("$$layer $$((SECONDS - started)) s"); \
	  if [ $$code -ne 0 ]; then echo "==== make test: layer '$$layer' FAILED"; status=1; break; fi; \
	done; \
	echo "==== make test: time per layer"; printf '  %s\n' "$${times[@]}"; \
	[ $$status -eq 0 ] && echo "==== make test: all layers passed ($(LAYERS))"; exit $$status

$(LAYERS): venv
	$(PYTEST) $(if $(filter $@,$(PARALLEL_LAYERS)),-n $(WORKERS)) tests/$@

# docs/reliability.md and docs/permissions.md from measured figures (not part of make test).
reliability-report: venv
	$(PY) -m tests.reliability.report

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path tests/output/build

bench: venv
	$(PY) -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf tests/output .pytest_cache .ruff_cache
