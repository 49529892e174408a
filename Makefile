# ecs-pull-doctor. `make demo` and `make test` work on a fresh clone: they install the local AWS
# emulator (moto) into .venv and start and stop it themselves.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
MOTO := $(VENV)/bin/moto_server
CFN_LINT := $(VENV)/bin/cfn-lint
# The local AWS emulator, the SAM template's linter (which also runs the tests in tests/infra), and the
# JSON Schema validator of the chat messages.
PYTHON_TOOLS := 'moto[server]>=5.2,<5.3' 'cfn-lint>=1.20,<2' 'jsonschema>=4.18,<5'
CDK := infra/cdk
# One build for tests, the demo and CI: --all-targets gives every target the same feature set.
CARGO_BUILD := cargo build --all-targets --locked
# Deployment tools, installed only by the targets that deploy.
DEPLOY_TOOLS := 'cargo-lambda>=1.8,<2' 'ziglang>=0.13,<0.16' 'aws-sam-cli>=1.140,<2'
STACK ?= ecs-pull-doctor
# make deploy PARAMETERS="MemberRoleName=ecs-pull-doctor-member OrganizationId=o-..." overrides the template's.
PARAMETERS ?=
OVERRIDES := $(if $(strip $(PARAMETERS)),--parameter-overrides $(PARAMETERS),)

.PHONY: help demo test test-infra fuzz bench build deploy invoke emulator-install deploy-tools clean

help:
	@echo "make demo    build broken Fargate services in a local AWS emulator, diagnose and fix them"
	@echo "make test    every test: template checks, CDK assertions, unit and emulator integration tests"
	@echo "make fuzz    property tests of the parsers and the policy evaluator, FUZZ_CASES each (default 1000000)"
	@echo "make bench   calls, sequential rounds and wall time per scenario; the release Lambda binary's init, memory, zip"
	@echo "make build   the Lambda artifact: cargo lambda build --release --arm64 (fat LTO; slow)"
	@echo "make deploy  sam build && sam deploy (guided the first time)"
	@echo "make invoke TASK=<task ARN>   diagnose a task with the deployed function"

$(MOTO) $(CFN_LINT):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PYTHON_TOOLS)

emulator-install: $(MOTO)

$(CDK)/node_modules: $(CDK)/package-lock.json
	cd $(CDK) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test-infra: $(CFN_LINT) $(CDK)/node_modules
	$(CFN_LINT) infra/template.yaml infra/member.json
	$(VENV)/bin/python -m unittest discover -s tests/infra
	cd $(CDK) && npx tsc -p . && npm test --silent

# Figures, not a test: calls, sequential rounds and wall time per scenario family with BENCH_LATENCY_MS
# (default 50) added to every AWS call, then the release Lambda binary's init time, peak memory and zip
# size. The release build (fat LTO) takes about 20 minutes the first time.
bench: $(MOTO)
	cargo build --release --locked --bin ecs-pull-doctor-lambda
	scripts/with-emulator bash -c 'cargo run --locked -q --example bench && \
	  $(VENV)/bin/python scripts/bench-lambda target/release/ecs-pull-doctor-lambda target/bench/lambda-task.json'

# Formatting and lints (clippy with every warning an error), then every test; the fault suite
# runs after the rest, with its counts printed (cargo hides a passing test's output).
test: test-infra $(MOTO)
	cargo fmt --check
	$(CARGO_BUILD)
	cargo clippy --all-targets --locked -- -D warnings
	scripts/with-emulator bash -c 'cargo test --all-targets --locked -- --skip faults:: && \
	  cargo test --locked --lib classify::tests::corpus_count -- --nocapture --exact && \
	  cargo test --locked --test integration faults:: -- --nocapture'

# Property tests of everything that reads outside input, FUZZ_CASES cases each (bounded by count).
FUZZ_CASES ?= 1000000
fuzz:
	$(CARGO_BUILD)
	@echo "fuzz: $(FUZZ_CASES) cases per target"
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --locked --lib fuzz_ -- --test-threads 2

demo: $(MOTO)
	$(CARGO_BUILD)
	scripts/with-emulator scripts/demo

deploy-tools: $(MOTO)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(DEPLOY_TOOLS)

# cargo-lambda and zig come from PyPI into .venv; cargo-lambda takes the target directory from the
# environment, not from --target-dir.
build: deploy-tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" CARGO_TARGET_DIR="$(CURDIR)/target" cargo lambda build --release --arm64 --bin ecs-pull-doctor-lambda

# SAM's rust-cargolambda build method is still a preview feature: opted into here, not at a prompt.
deploy: deploy-tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SAM_CLI_BETA_RUST_CARGO_LAMBDA=1 sam build -t infra/template.yaml
	if [ -f samconfig.toml ]; then $(VENV)/bin/sam deploy $(OVERRIDES); else $(VENV)/bin/sam deploy --guided --stack-name $(STACK) --capabilities CAPABILITY_IAM $(OVERRIDES); fi

invoke: deploy-tools
	@[ -n "$${TASK:-}" ] || { echo "make invoke: give TASK=<task ARN>" >&2; exit 2; }
	$(VENV)/bin/sam remote invoke DoctorFunction --stack-name $(STACK) --event '{"taskArn": "$(TASK)"}'

clean:
	rm -rf target/emulator target/demo
