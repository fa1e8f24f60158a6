# Two entry points do all the setup: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
# pip would compile every installed file's bytecode, on one core (about a minute); instead each
# module is compiled the first time it is imported, and every later process reads that. An
# environment that turns the writing off would make every process (the tests start many)
# compile torch again, so it is turned back on for what make runs.
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check --no-compile
unexport PYTHONDONTWRITEBYTECODE

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
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.installed
	$(PIP) -r requirements-test.txt
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
