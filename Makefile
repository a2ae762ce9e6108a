# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint setup system-deps bench clean proto check-generated

$(BIN)/.installed: pyproject.toml agent/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ./agent -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

## Set up and serve Bearman on the embedded default at http://127.0.0.1:8000/admin/
run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py ensure_admin
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

## Debian packages the tests drive: Chromium for the browser tests
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

## Set up and run the whole test suite (DATABASE_URL=postgres://… runs it on PostgreSQL)
test: setup system-deps
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/pytest

lint: setup check-generated
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

PROTOS := $(wildcard protos/bearman/v1/*.proto)
# The generated modules live in the agent's package, importable as bearman_agent.wire.bearman.v1
# (a plain `bearman.v1` would collide with the Django project's package).
define protoc
	$(BIN)/python -m grpc_tools.protoc -Ibearman_agent/wire=protos \
		--python_out=$(1) --pyi_out=$(1) --grpc_python_out=$(1) $(PROTOS)
endef

## Regenerate the gRPC code from protos/
proto: setup
	$(call protoc,agent)

## Fail when the checked-in generated code differs from what protos/ generates
check-generated: setup
	@tmp=$$(mktemp -d) && $(call protoc,$$tmp) && \
		diff -r -x __init__.py -x __pycache__ $$tmp/bearman_agent/wire agent/bearman_agent/wire \
		&& rm -rf $$tmp && echo "generated code is up to date"

bench: setup
	$(BIN)/python bench/admin_list.py
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python bench/ipman_alloc.py;; \
		*) echo "bench/ipman_alloc.py: set DATABASE_URL=postgres://… to run it";; esac

clean:
	rm -rf $(VENV) var test-output
