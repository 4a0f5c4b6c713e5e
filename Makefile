# scoreline: every command a DBA, an operator or CI needs is a target here.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CLI := bin/scoreline
STAMP := node_modules/.scoreline-installed

.PHONY: help install db-start db-stop db-url reset migrate ingest migrations-manifest demo test test-fast scale-test bench-replica lint docs docs-check schema-dump schema-check drift-check refresh dag status worker bench bench-parsers bench-fleet soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/; s/[$$][$$]/$$/g' | column -t -s $$'\t'

$(STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund >&2
	@node_modules/.bin/tap build >&2 # tap's Test class, built once for the plugins in .taprc
	@touch $@

install: $(STAMP) ## install the Node.js dependencies (npm ci)

db-start: $(STAMP) ## start the embedded PostgreSQL (unless DATABASE_URL is set)
	@$(CLI) db start

db-stop: $(STAMP) ## stop the embedded PostgreSQL
	@$(CLI) db stop

db-url: $(STAMP) ## print a URL for psql: psql "$$(make -s db-url)"
	@$(CLI) db url

reset: $(STAMP) ## drop and recreate the embedded database (not a DATABASE_URL one), then migrate: a clean start for make demo
	@$(CLI) db reset --yes
	@$(CLI) migrate

migrate: $(STAMP) ## apply migrations, then sql/ (idempotent, advisory-locked)
	@$(CLI) migrate

ingest: $(STAMP) ## load a feed file or URL: make ingest FEED=football_data FILE=data/epl_2019_20_results_odds.csv (ARGS="--show-rejected")
	@test -n "$(FEED)" -a -n "$(FILE)" || { echo 'usage: make ingest FEED=<feed> FILE=<file or URL> [ARGS=...]; feeds: npx scoreline ingest --help' >&2; exit 2; }
	@$(CLI) ingest $(FEED) $(FILE) $(ARGS)

demo: $(STAMP) ## the main job end to end on the embedded PostgreSQL, with real data
	@$(CLI) demo

test: $(STAMP) ## the whole test suite against a real PostgreSQL (embedded, or DATABASE_URL)
	@node scripts/test.mjs $(TESTS)

test-fast: $(STAMP) ## the suite without the slow fault, load and worker-process tests (scripts/test.mjs), for the edit-test loop
	@node scripts/test.mjs --fast

scale-test: $(STAMP) ## the scale tests in test/scale/: read replica (PostgreSQL 15 primary and standby), PgBouncer, worker fleet, Citus keys
	@node scripts/test.mjs test/scale/*.test.ts

lint: $(STAMP) ## type-check, formatting, eslint (import cycles, unused code, src/ never imports bench/ or test/), codespell, landed migrations unchanged, volatility stated, plpgsql_check
	@node_modules/.bin/tsc --noEmit
	@node_modules/.bin/prettier --check --log-level warn --no-error-on-unmatched-pattern 'src/**/*.ts' 'test/**/*.ts' 'bench/**/*.ts' 'scripts/**/*.mjs' 'scripts/**/*.ts' eslint.config.js
	@node_modules/.bin/eslint --max-warnings 0 .
	@command -v codespell >/dev/null || { echo 'codespell is not installed: apt-get install codespell (Debian), or pip install codespell' >&2; exit 1; }
	@codespell docs README.md sql src test bench scripts
	@node scripts/check-migrations.mjs
	@node scripts/check-volatility.mjs
	@node --import=tsx scripts/plpgsql-check.ts

drift-check: $(STAMP) ## a database upgraded through the history equals a fresh one (catalog diff): make drift-check ARGS="--every-commit | --from-each-step"
	@node --import=tsx scripts/drift-check.ts $(ARGS)

migrations-manifest: ## record new db/migrations files in db/migrations.sha256 (never rewrites a landed file's hash)
	@node scripts/check-migrations.mjs --add

docs: $(STAMP) ## regenerate docs/schema.md from the catalog
	@$(CLI) docs

docs-check: $(STAMP) ## fail when docs/schema.md differs from a fresh generation
	@$(CLI) docs --check

schema-dump: $(STAMP) ## write db/schema.sql: pg_dump --schema-only of a database migrated on PostgreSQL 15 (SCHEMA_DUMP_URL, PG_DUMP; scripts/schema-dump.ts)
	@node --import=tsx scripts/schema-dump.ts

schema-check: $(STAMP) ## fail when db/schema.sql differs from a fresh make schema-dump (CI runs it)
	@node --import=tsx scripts/schema-dump.ts --check

refresh: $(STAMP) ## refresh what is stale or due: make refresh ARGS="--dry-run | --force | --object stats.x"
	@$(CLI) refresh $(ARGS)

dag: $(STAMP) ## print the dependency graph of derived objects
	@$(CLI) dag $(ARGS)

status: $(STAMP) ## what is stale and why, SLA breaches, the queue, failures: make status ARGS="--html status.html" writes the status page
	@$(CLI) status $(ARGS)

worker: $(STAMP) ## run the graphile-worker process and its HTTP surface
	@$(CLI) worker

bench-replica: $(STAMP) ## standby freshness under load (PostgreSQL 15 primary and standby it creates): completion on the primary -> view current on the standby, replay lag; appends to bench/RESULTS.md
	@node --import=tsx bench/replica.ts $(ARGS)

bench: $(STAMP) ## run the benchmarks, appending to bench/RESULTS.md: make bench SCALE=100k; the ingest archive too: make bench SCALE=none ARCHIVE=30,5,120000 (seasons,divisions,players)
	@node --import=tsx bench/run.ts $(if $(SCALE),--scale $(SCALE)) $(if $(ARCHIVE),--archive $(ARCHIVE)) $(ARGS)

bench-parsers: $(STAMP) ## the feeds' CSV and JSON readers against csv-parse, @streamparser/json and stream-json, appended to bench/RESULTS.md
	@node --import=tsx bench/parsers.ts

bench-fleet: $(STAMP) ## jobs/s of 1, 2 and 4 worker processes on one database (1 is the baseline), appended to bench/RESULTS.md: make bench-fleet ARGS="--events 600 --concurrency 1"
	@node --import=tsx bench/fleet.ts $(ARGS)

SECONDS ?= 60
soak: $(STAMP) ## corrections, deletes, feed re-loads and completions race a worker SIGKILLed at random for SECONDS (60), then every check must be 0; appended to bench/RESULTS.md
	@node --import=tsx bench/soak.ts --seconds $(SECONDS) $(ARGS)
