# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages, each list with what proves it installed (a command, or a file's path).
# What the first-stage agent runs (bearman-cli's tests run them for real).
AGENT_TOOLS := dmidecode ipmitool lldpctl kexec lscpu lsblk
AGENT_PACKAGES := dmidecode ipmitool lldpd kexec-tools util-linux
# The network-boot checks: the DHCP servers of deploy/dhcp/ validate its examples, and
# Debian's iPXE binaries are what /ipxe/bin/ serves. Installing kea-dhcp4-server does
# not start it in a container (no init); under systemd it starts listening nowhere.
BOOT_TOOLS := dnsmasq kea-dhcp4 /usr/lib/ipxe/undionly.kpxe
BOOT_PACKAGES := dnsmasq-base kea-dhcp4-server ipxe
# Building the first-stage image (agent/image/build-first-stage).
FIRST_STAGE_TOOLS := mmdebstrap zstd cpio depmod dpkg-deb
FIRST_STAGE_PACKAGES := mmdebstrap zstd cpio kmod dpkg
# The VM lab: QEMU with the iPXE ROM, ipmi_sim as each VM's BMC, socat for the guests'
# forwards to Bearman, busybox for the lab's second stage.
VM_TOOLS := qemu-system-x86_64 qemu-img ipmi_sim ipmitool socat busybox \
	/usr/lib/ipxe/qemu/efi-e1000.rom
VM_PACKAGES := qemu-system-x86 qemu-utils ipxe-qemu openipmi ipmitool socat busybox-static

# $(call debian_packages,TOOLS,PACKAGES): install PACKAGES unless every one of TOOLS is there.
define debian_packages
	@PATH="$$PATH:/usr/sbin:/sbin"; for tool in $(1); do \
		command -v $$tool >/dev/null 2>&1 || [ -e $$tool ] || missing=1; done; \
		[ -z "$$missing" ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) >/dev/null; }
endef

.PHONY: run test lint setup system-deps vm-deps bench clean proto check-generated first-stage \
	first-stage-image

$(BIN)/.installed: pyproject.toml agent/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ./agent -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

## Set up and serve Bearman on the embedded default at http://127.0.0.1:8000/admin/
## (`make run VMS=2` adds 2 QEMU machines that boot the first-stage image, lab/README.md;
## `make run LAB=5` a process lab of 5 simulated ones; their BMCs need root for UDP port 623)
# Inside each VM's user network Bearman is http://10.0.2.100:8000 (forwarded to this host).
VM_LAB_ENV := ALLOWED_HOSTS=127.0.0.1,localhost,[::1],10.0.2.100 \
	BEARMAN_PUBLIC_URL=http://10.0.2.100:8000
# Every machine of the process lab registers from 127.0.0.1: the per-source limit on new
# registrations (20 a minute by default) must let the whole lab in at once.
PROCESS_LAB_ENV = BEARMAN_REGISTRATION_LIMIT_PER_SOURCE=$$(( $(LAB) * 2 + 20 )) \
	BEARMAN_REGISTRATION_LIMIT_GLOBAL=$$(( $(LAB) * 2 + 600 ))
run: setup $(if $(VMS),vm-deps first-stage)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py ensure_admin
	rm -rf var/metrics  # per-process metric files of the previous run
	$(if $(VMS),$(VM_LAB_ENV)) $(if $(LAB),$(PROCESS_LAB_ENV)) LAB=$(LAB) VMS=$(VMS) \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile web grpc worker worker-operator beat $(if $(LAB),lab) \
		$(if $(VMS),vmlab)

## Debian packages the tests drive: Chromium for the browser tests; the agent's tools
## (ipmitool among them, also the baseline of the power benchmark); docker-compose, which
## checks docker-compose.yml without a Docker engine, and nginx for deploy/nginx's config
system-deps:
	$(call debian_packages,chromium,chromium)
	$(call debian_packages,docker-compose nginx,docker-compose nginx-light)
	$(call debian_packages,$(AGENT_TOOLS),$(AGENT_PACKAGES))
	$(call debian_packages,$(BOOT_TOOLS),$(BOOT_PACKAGES))

## Debian packages of the VM lab (QEMU, the iPXE ROM, ipmi_sim)
vm-deps:
	$(call debian_packages,$(VM_TOOLS),$(VM_PACKAGES))

## Build the first-stage OS into var/first-stage/ (agent/image/build-first-stage: Debian
## bookworm, the agent, Debian's kernel; cached: rebuilt when its inputs change)
first-stage-image: setup
	$(call debian_packages,$(FIRST_STAGE_TOOLS),$(FIRST_STAGE_PACKAGES))
	$(SUDO) env PYTHON=$(CURDIR)/$(BIN)/python agent/image/build-first-stage

## ... and store it as Bearman's boot artifacts with this site's enrollment token
## (the guest needs 640 MB of RAM or more)
first-stage: first-stage-image
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py first_stage_install

## Set up and run the whole test suite (DATABASE_URL=postgres://… runs it on PostgreSQL)
test: setup system-deps vm-deps first-stage-image
	rm -rf var/metrics
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/pytest

lint: setup check-generated
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports

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
	$(BIN)/python bench/cabling_import.py
	$(BIN)/python bench/agent_start.py
	$(BIN)/python bench/power_fanout.py
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python bench/ipman_alloc.py;; \
		*) echo "bench/ipman_alloc.py: set DATABASE_URL=postgres://… to run it";; esac

clean:
	rm -rf $(VENV) $(PROTO_VENV) var test-output
