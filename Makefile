# Two entry points do all the setup: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check --no-compile
# pip compiles the packages' bytecode on one core as it installs; this compiles it on every core
# after. Files written for other Python versions do not compile, as under pip: not an error.
BYTECODE := $(PY) -m compileall -q -j 0 $(VENV)/lib >/dev/null || true

.PHONY: run test lint bench browser frontend clean

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py

# The tests without a browser run on every core (up to 4 processes, each test file in one, so a
# file's shared fixtures are made once: the exported scripts, the MLflow server); the browser
# tests share one served app and run one at a time after them. Both parts always run; either
# failing fails.
test: $(VENV)/.test-installed browser
	$(PY) -m ruff check .
	$(PY) -m pytest -m "not browser" --numprocesses=auto --maxprocesses=4 --dist loadfile; unit=$$?; \
	$(PY) -m pytest -m browser tests/e2e; browser=$$?; \
	test $$unit -eq 0 -a $$browser -eq 0

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .

bench: $(VENV)/.test-installed browser
	$(PY) -m benchmarks.engine_overhead
	$(PY) -m benchmarks.training_stream
	$(PY) -m benchmarks.page
	$(PY) -m benchmarks.editor
	$(PY) -m benchmarks.runs

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.installed: requirements.txt $(VENV)/.created
	$(PIP) -r requirements.txt
	$(BYTECODE)
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.installed
	$(PIP) -r requirements-test.txt
	$(BYTECODE)
	touch $@

# Rebuilds the browser-side bundles that are committed (so `make run` needs no Node) from their
# locked npm packages.
frontend:
	cd components/live/frontend && npm ci --no-audit --no-fund && npm run build
	cd components/graph_editor/frontend && npm ci --no-audit --no-fund && npm run build

# Debian's chromium drives the browser tests (Playwright cannot download browsers here); g++
# is what turbo's compiled training steps are built with (the tests run the real compiler).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium g++ >/dev/null; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
