# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# What the first-stage agent runs (bearman-cli's tests run them for real).
AGENT_TOOLS := dmidecode ipmitool lldpctl kexec lscpu lsblk
AGENT_PACKAGES := dmidecode ipmitool lldpd kexec-tools util-linux
# The network-boot checks: the DHCP servers of deploy/dhcp/ validate its examples, and
# Debian's iPXE binaries are what /ipxe/bin/ serves. Installing kea-dhcp4-server does
# not start it in a container (no init); under systemd it starts listening nowhere.
BOOT_TOOLS := dnsmasq kea-dhcp4
BOOT_PACKAGES := dnsmasq-base kea-dhcp4-server ipxe

.PHONY: run test lint setup system-deps bench clean proto check-generated first-stage

$(BIN)/.installed: pyproject.toml agent/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ./agent -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

## Set up and serve Bearman on the embedded default at http://127.0.0.1:8000/admin/
## (`make run LAB=5` adds a virtual lab of 5 machines; its BMCs need root for UDP port 623)
run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py ensure_admin
	rm -rf var/metrics  # per-process metric files of the previous run
	LAB=$(LAB) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile \
		web grpc worker beat $(if $(LAB),lab)

## Debian packages the tests drive: Chromium for the browser tests; the agent's tools
## (ipmitool among them, also the baseline of the power benchmark)
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@PATH="$$PATH:/usr/sbin:/sbin"; for tool in $(AGENT_TOOLS); do \
		command -v $$tool >/dev/null 2>&1 || missing=1; done; [ -z "$$missing" ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(AGENT_PACKAGES) >/dev/null; }
	@PATH="$$PATH:/usr/sbin:/sbin"; for tool in $(BOOT_TOOLS); do \
		command -v $$tool >/dev/null 2>&1 || missing=1; done; \
		[ -e /usr/lib/ipxe/undionly.kpxe ] || missing=1; [ -z "$$missing" ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BOOT_PACKAGES) >/dev/null; }

## Build the first-stage OS (agent/image/build-first-stage: Debian bookworm, the agent, Debian's
## kernel; cached: rebuilt when its inputs change) and store it as Bearman's boot artifacts
## with this site's enrollment token (var/first-stage/; the guest needs 640 MB of RAM or more)
FIRST_STAGE_TOOLS := mmdebstrap zstd cpio depmod dpkg-deb
FIRST_STAGE_PACKAGES := mmdebstrap zstd cpio kmod dpkg
first-stage: setup
	@PATH="$$PATH:/usr/sbin:/sbin"; for tool in $(FIRST_STAGE_TOOLS); do \
		command -v $$tool >/dev/null 2>&1 || missing=1; done; [ -z "$$missing" ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(FIRST_STAGE_PACKAGES) >/dev/null; }
	$(SUDO) env PYTHON=$(CURDIR)/$(BIN)/python agent/image/build-first-stage
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py first_stage_install

## Set up and run the whole test suite (DATABASE_URL=postgres://… runs it on PostgreSQL)
test: setup system-deps
	rm -rf var/metrics
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/pytest

lint: setup check-generated
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

PROTOS := $(wildcard protos/bearman/v1/*.proto)
# The generated modules live in the agent's package, importable as bearman_agent.wire.bearman.v1
# (a plain `bearman.v1` would collide with the Django project's package).
# The generator is pinned old on purpose, in its own virtualenv: its code runs on the
# agent's Python 3.9 runtimes (grpcio >= 1.66.2, protobuf >= 5.29) and on the server's.
PROTO_VENV := .venv-proto
$(PROTO_VENV)/.installed:
	$(PYTHON) -m venv $(PROTO_VENV)
	$(PROTO_VENV)/bin/pip install --quiet 'grpcio-tools==1.66.2' 'protobuf==5.29.6'
	touch $@

define protoc
	$(PROTO_VENV)/bin/python -m grpc_tools.protoc -Ibearman_agent/wire=protos \
		--python_out=$(1) --pyi_out=$(1) --grpc_python_out=$(1) $(PROTOS)
endef

## Regenerate the gRPC code from protos/
proto: $(PROTO_VENV)/.installed
	$(call protoc,agent)

## Fail when the checked-in generated code differs from what protos/ generates
check-generated: $(PROTO_VENV)/.installed
	@tmp=$$(mktemp -d) && $(call protoc,$$tmp) && \
		diff -r -x __init__.py -x __pycache__ $$tmp/bearman_agent/wire agent/bearman_agent/wire \
		&& rm -rf $$tmp && echo "generated code is up to date"

bench: setup system-deps
	$(BIN)/python bench/admin_list.py
	$(BIN)/python bench/agent_start.py
	$(BIN)/python bench/power_fanout.py
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python bench/ipman_alloc.py;; \
		*) echo "bench/ipman_alloc.py: set DATABASE_URL=postgres://… to run it";; esac

clean:
	rm -rf $(VENV) $(PROTO_VENV) var test-output
