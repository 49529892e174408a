# ecs-pull-doctor. `make demo` and `make test` work on a fresh clone: they install the local AWS
# emulator (moto) into .venv and start and stop it themselves.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
MOTO := $(VENV)/bin/moto_server
MOTO_VERSION := moto[server]>=5.2,<5.3
# One build for tests, the demo and CI: --all-targets gives every target the same feature set.
CARGO_BUILD := cargo build --all-targets --locked

.PHONY: help demo test build emulator-install clean

help:
	@echo "make demo   build a broken Fargate service in a local AWS emulator and diagnose it"
	@echo "make test   run the unit and integration tests (starts the emulator itself)"
	@echo "make build  the release binaries (fat LTO; slow)"

$(MOTO):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '$(MOTO_VERSION)'

emulator-install: $(MOTO)

test: $(MOTO)
	$(CARGO_BUILD)
	scripts/with-emulator cargo test --all-targets --locked

demo: $(MOTO)
	$(CARGO_BUILD)
	scripts/with-emulator scripts/demo

build:
	cargo build --release --locked --bins

clean:
	rm -rf target/emulator target/demo
