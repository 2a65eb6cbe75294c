# krange: the two commands that matter are `make run-job` and `make test`.
SHELL := /bin/bash
JOB ?= clickstream
DEMO_RECORDS ?= 100000
CONSOLE_PORT ?= 9410
SERVICES := bash scripts/services/services.sh
KRANGE := node bin/krange.mjs
export KAFKAJS_NO_PARTITIONER_WARNING := 1

.PHONY: help install build lint format typecheck test test-tools test-unit test-integration run-job demo \
        services-up services-down services-status services-logs services-env services-docker \
        bench bench-quick bench-ingest bench-w1-side-by-side bench-rss bench-small-iteration bench-takeover bench-state-store clean browser serve

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	@command -v node >/dev/null || { echo "node not found: install Node.js 20 (apt-get install nodejs, or nodesource)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: node_modules/.installed ## install npm dependencies (cached in ~/.npm), then build dist/
	@node scripts/build.mjs --if-stale

build: node_modules/.installed ## compile src/ to dist/ (tsc), what bin/krange.mjs and the workers run; skipped when up to date
	node scripts/build.mjs --if-stale

lint: node_modules/.installed ## biome (lint + format check), tsc, no import cycles (madge), the layer rule (dependency-cruiser), Kubernetes manifests (kubernetes-validate), files <= 400 lines
	npx biome check .
	npx tsc --noEmit
	npx madge --circular --extensions ts --ts-config tsconfig.json src
	npx depcruise src --config .dependency-cruiser.cjs --output-type err
	bash scripts/validate-kubernetes.sh
	node scripts/check-file-length.mjs

format: node_modules/.installed ## format the code with biome
	npx biome check --write .

typecheck: node_modules/.installed
	npx tsc --noEmit

VITEST_REPORT = --reporter=default --reporter=json --outputFile.json=.vitest-results/$(1).json

browser: ## Debian's Chromium for the console's browser tests (apt-get; never a download of its own)
	bash scripts/install-chromium.sh

test-tools: ## the independent clients the integration tests use (kcat, chromium, fastavro, schemathesis)
	bash scripts/test-tools.sh

test: install build test-tools ## unit tests, then integration tests against real servers (started if needed)
	npx vitest run --project unit $(call VITEST_REPORT,unit)
	npx vitest run --project integration $(call VITEST_REPORT,integration)
	@node -e 'let p=0,f=0,s=0;for(const n of ["unit","integration"]){const r=require("./.vitest-results/"+n+".json");p+=r.numPassedTests;f+=r.numFailedTests;s+=r.numPendingTests+r.numTodoTests;}console.log(`tests: $${p} passed, $${f} failed, $${s} skipped`)'

test-unit: install ## unit tests only (no servers)
	npx vitest run --project unit

test-integration: install build test-tools ## integration tests only
	npx vitest run --project integration

run-job: install services-up ## run one iteration of JOB (default clickstream), seeding demo data if its topic is empty
	@if [ "$(JOB)" = "clickstream" ]; then $(KRANGE) produce-demo --if-empty --records $(DEMO_RECORDS) --topic $${KRANGE_CLICKSTREAM_TOPIC:-clickstream}; fi
	$(KRANGE) run $(JOB)
	@node -e "fetch('http://127.0.0.1:$(CONSOLE_PORT)/api/jobs').then((r) => console.log(r.ok ? 'console: http://127.0.0.1:$(CONSOLE_PORT)/jobs/$(JOB)' : 'console: make serve')).catch(() => console.log('console: not running; start it with make serve (http://127.0.0.1:$(CONSOLE_PORT)/)'))"

serve: install services-up ## the web console on http://127.0.0.1:$(CONSOLE_PORT)/ (actions need KRANGE_CONSOLE_TOKEN)
	$(KRANGE) serve --port $(CONSOLE_PORT)

services-up: ## start Kafka, HDFS, MongoDB-wire, Redis, PostgreSQL on 127.0.0.1 (installs on first use)
	$(SERVICES) up

services-down: ## stop every service of ours
	$(SERVICES) down

services-status: ## one line per service
	$(SERVICES) status

services-logs: ## the tail of each service log
	$(SERVICES) logs

services-env: ## print the KRANGE_* variables for the local stack
	@$(SERVICES) env

services-docker: ## the same services from official images, for machines with Docker
	docker compose -f docker/docker-compose.yml up -d --wait

bench: install services-up ## full benchmarks (see BENCHMARKS.md); about 40 min, with Spark
	node --import tsx bench/run.ts

bench-ingest: install services-up ## gateway vs raw kafkajs (autocannon), latency, 429s, push agent (~3 min)
	node --import tsx bench/ingest-gateway.ts

bench-w1-side-by-side: install services-up ## W1 on 2M events: krange declarative and JS, Spark, DuckDB (NDJSON file), alternating; CPU per record, profile (~15 min)
	node --import tsx bench/w1-side-by-side.ts

bench-rss: install services-up ## peak RSS against N: krange declarative and JS over 1M, 2M, 4M demo events, fresh state each (~6 min)
	node --import tsx bench/rss-scaling.ts

bench-small-iteration: install services-up ## warm vs cold krange schedule, ~1,000 records a second (~3 min)
	node --import tsx bench/small-iteration.ts

bench-takeover: install services-up ## takeover time: SIGKILL the leading `krange schedule`, time the other to take over, state in a directory and on HDFS (root: unshare --uts; ~8 min)
	node --import tsx bench/takeover.ts

bench-state-store: install services-up ## the state work of one iteration on a directory, WebHDFS and PostgreSQL, alternated (~1 min)
	node --import tsx bench/state-store-latency.ts

bench-quick: install services-up ## a small version of the benchmarks (CI smoke test; no time assertions)
	node --import tsx bench/run.ts --quick

clean: ## remove service data and local state (keeps download caches)
	$(SERVICES) down || true
	rm -rf .services state/* node_modules/.installed dist
