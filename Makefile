# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
CYCLES ?= 50

.PHONY: run test bench soak lint install install-dev browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# First start: realistic demo claims, so that the dashboard has something to show.
run: install
	CLAIMS_ENV=$${CLAIMS_ENV:-dev} $(BIN)/claims demo --if-empty --claims 400
	@echo "Dashboard: http://$(HOST):$(PORT)/dashboard (log in with dev-manager-token)"
	CLAIMS_ENV=$${CLAIMS_ENV:-dev} $(BIN)/claims serve --host $(HOST) --port $(PORT)

# pytest exits 5 when it collected no test: that is a failure here, not a pass.
test: install-dev browser-deps
	@$(BIN)/pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no test: failing"; exit 1; fi; \
	exit $$rc
	$(MAKE) lint

# The browser tests drive Debian's Chromium; install it when we can (root with apt-get).
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "chromium and chromium-driver are missing: the browser tests will skip"; fi

# Benchmarks (not part of `make test`): writes docs/benchmarks.md (with the book at 1,000,000
# claims, kept in var/bench/ once loaded, and the pages in Chromium: bench/pages.py) and runs the soak with PostgreSQL restarts, which
# writes docs/reliability.md. QUICK=1: a smoke run of both at small sizes, reports in
# test-artifacts/ (CI runs it).
bench: install-dev
	$(BIN)/python -m bench.run $(if $(QUICK),--quick,)
	$(BIN)/python -m bench.soak $(if $(QUICK),--cycles 3 --report test-artifacts/reliability-quick.md,--cycles $(CYCLES) --kill-postgres)

# Fault-injection soak (opt-in, bounded by CYCLES; KILL_POSTGRES=1 also restarts the
# machine's PostgreSQL server): writes docs/reliability.md.
soak: install-dev
	$(BIN)/python -m bench.soak --cycles $(CYCLES) $(if $(KILL_POSTGRES),--kill-postgres,)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
