# cutover: `make demo` runs every gate against the simulated staging edge; `make test` runs our own tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= good
# One test worker more than the cores: a third of a worker's time is spent waiting (on a child pytest's JVM, a
# sandbox's timeouts, a browser), and an extra worker fills it: make test 10:21 -> 7:23 on 2 cores. Two extra do not:
# pytest 8:25 with 3 workers, 8:54 with 4 (issue 36's 917 tests, a quiet machine).
WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# Two installs: what a gate run needs (demo, sandbox, scenarios), and the [dev] extra our own tests need
# (test, lint, soak, docs, bench) on top of it. A user trying the demo gets no browser driver or linter.
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
REPORT = reports/demo-$(SCENARIO)-$(shell date -u +%Y%m%dT%H%M%SZ).html

.PHONY: demo test test-slow test-fast typecheck soak lint sandbox scenarios bench clean docs

$(RUNTIME): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("cutover needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[dev]'
	@# A build backend kept on disk, so that a test can walk the README's plain pip path offline.
	$(BIN)/pip download --quiet --no-deps --dest $(VENV)/wheelhouse 'setuptools>=70.1'
	touch $(STAMP)

demo: $(RUNTIME)
	@mkdir -p reports
	$(BIN)/pytest checks --sandbox=$(SCENARIO) --html=$(REPORT) --self-contained-html

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest tests -n $(WORKERS) --dist worksteal --durations=10 -m "not soak and not slow"

# The tests that need minutes (installs into fresh venvs, many JDK copies, long property runs): kept out of
# make test so that it stays under its bound; .ci/run runs them too.
test-slow: $(STAMP)
	$(BIN)/pytest tests -n $(WORKERS) --dist worksteal --durations=10 -m "slow and not soak"

# The unit tests of decisions on hand-built evidence, in seconds: nothing started (no sandbox, JVM or child pytest),
# checked: no socket may be opened (pytest-socket) and a test that takes over 10 s (a wait, not a slow machine) fails by name (tests/conftest.py).
test-fast: $(STAMP)
	$(BIN)/pytest tests -q -m "not e2e and not soak and not slow" --disable-socket --allow-unix-socket --unit-timeout=10

# mypy over cutover/ (pyproject.toml [tool.mypy]); make test runs it too.
typecheck: $(STAMP)
	$(BIN)/mypy

# 30 gate runs in one process with random faults: nothing may be left behind (minutes, so not in test).
soak: $(STAMP)
	$(BIN)/pytest tests -m soak

lint: $(STAMP)
	$(BIN)/ruff check .

sandbox: $(RUNTIME)
	$(BIN)/python -m cutover.sandbox --scenario $(SCENARIO)

scenarios: $(RUNTIME)
	@$(BIN)/python -m cutover.sandbox --list

# The pages whose source is the code (scenarios, options, exit codes); tests/test_docs.py fails when stale.
docs: $(STAMP)
	$(BIN)/python docs/generate.py

clean:
	rm -rf $(VENV) bench/.peer-venv .pytest_cache .ruff_cache .mypy_cache *.egg-info

# e.g. make bench BENCH_ARGS="--runs 5 --skip b,c" (bench/bench.py --help lists the options)
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)
