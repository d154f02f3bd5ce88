# fastswarm: `make demo` and `make test` work on a fresh machine (they create .venv first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_PORT ?= 8080

.PHONY: venv system-deps demo test lint deploy-check bench bench-quick bench-extra clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# A real load test: the built-in target on 127.0.0.1:$(DEMO_PORT), one worker per core, 15 s.
# The load starts only once the target said it listens; if it did not start (the port is
# taken, say) the demo stops there, rather than load-test whatever else holds the port.
demo: venv
	@log=$$(mktemp); $(BIN)/fastswarm target --port $(DEMO_PORT) >$$log 2>&1 & target=$$!; \
	trap 'kill $$target 2>/dev/null; rm -f $$log' EXIT; \
	for i in $$(seq 100); do \
	    grep -q "listening on" $$log && break; \
	    kill -0 $$target 2>/dev/null || break; \
	    sleep 0.1; \
	done; \
	if ! grep -q "listening on" $$log; then \
	    cat $$log >&2; echo "make demo: the target did not start on port $(DEMO_PORT); try DEMO_PORT=..." >&2; \
	    exit 2; \
	fi; \
	$(BIN)/fastswarm -f examples/demo.py -H http://127.0.0.1:$(DEMO_PORT) --headless \
	    -u 50 -r 25 -t 15s --processes auto --json demo-report.json

# The browser and Prometheus tests need Debian's chromium and prometheus: installed here as in CI.
system-deps:
	scripts/system-deps.sh

# Three pytest processes, one test file each at a time (--dist loadfile): most of the suite
# waits on real processes, sockets and timers rather than the CPU, so even 2 cores keep three
# busy (1,005 tests: 716 s in one process, 281 s in three, on the 2-core box).
test: venv system-deps
	$(BIN)/python -m pytest -q -n 3 --dist loadfile

lint: venv
	$(BIN)/ruff check fastswarm tests bench examples
	$(BIN)/mypy fastswarm

# deploy/ checked offline: compose against the Compose Spec, Kubernetes manifests against the
# Kubernetes schemas (strict), names and command lines (tests/test_deploy.py).
deploy-check: venv
	$(BIN)/python -m pytest -q tests/test_deploy.py

bench: venv
	bench/setup_locust.sh
	$(BIN)/python bench/run.py

bench-quick: venv
	bench/setup_locust.sh
	$(BIN)/python bench/run.py --quick

# The other speed goals of issue 3: scaling over processes, master merge CPU, idle-user memory, record().
bench-extra: venv
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/master.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/bench_recorder.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache demo-report.json
