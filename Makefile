# ecs-pull-doctor. `make demo` and `make test` work on a fresh clone: they install the local AWS
# emulator (moto) into .venv and start and stop it themselves.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
MOTO := $(VENV)/bin/moto_server
CFN_LINT := $(VENV)/bin/cfn-lint
# The local AWS emulator, and the SAM template's linter (which also runs the tests in tests/infra).
PYTHON_TOOLS := 'moto[server]>=5.2,<5.3' 'cfn-lint>=1.20,<2'
# One build for tests, the demo and CI: --all-targets gives every target the same feature set.
CARGO_BUILD := cargo build --all-targets --locked

.PHONY: help demo test build emulator-install clean

help:
	@echo "make demo   build a broken Fargate service in a local AWS emulator and diagnose it"
	@echo "make test   run the unit and integration tests (starts the emulator itself)"
	@echo "make build  the release binaries (fat LTO; slow)"

$(MOTO) $(CFN_LINT):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PYTHON_TOOLS)

emulator-install: $(MOTO)

test: $(MOTO) $(CFN_LINT)
	$(CFN_LINT) infra/template.yaml
	$(VENV)/bin/python -m unittest discover -s tests/infra
	$(CARGO_BUILD)
	scripts/with-emulator cargo test --all-targets --locked

demo: $(MOTO)
	$(CARGO_BUILD)
	scripts/with-emulator scripts/demo

build:
	cargo build --release --locked --bins

clean:
	rm -rf target/emulator target/demo
