# Bulkhead — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# Everything runs on the pinned Node.js that hack/install-node.sh installs into ~/.cache/bulkhead
# (once; `make help` does without it). Its bin directory comes first on PATH, so npm, npx, ESLint
# and the scripts in hack/ run on it too, and so do the processes the code spawns (process.execPath).
# NODE=/path/to/node runs the targets on another Node instead (npm from PATH).
ifneq ($(filter-out help,$(or $(MAKECMDGOALS),help)),)
ifeq ($(origin NODE),undefined)
NODE_BIN := $(shell bash hack/install-node.sh)
$(if $(NODE_BIN),,$(error hack/install-node.sh did not install Node.js))
NODE := $(NODE_BIN)/node
export PATH := $(NODE_BIN):$(PATH)
endif
endif
JEST := $(NODE) --experimental-vm-modules node_modules/jest/bin/jest.js
BULKHEAD := $(NODE) bin/bulkhead.js
LOCAL_KUBECONFIG := $(CURDIR)/.local/kubeconfig
export BULKHEAD_ROOT := $(CURDIR)
SBOM ?= dist/bulkhead.cdx.json

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: node
node: ## Install the pinned Node.js 24 (and its npm) from the npm registry into ~/.cache/bulkhead (once); everything else runs on it.
	@bash hack/install-node.sh >/dev/null

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

.PHONY: deps
deps: node_modules ## Install npm packages (npm ci).

.PHONY: build
build: node_modules ## Compile TypeScript into dist/.
	npx tsc -p tsconfig.build.json

.PHONY: control-plane
control-plane: ## Build etcd, kube-apiserver, kube-controller-manager, kubectl into ~/.cache/bulkhead (once).
	bash hack/build-control-plane.sh >/dev/null

.PHONY: helm
helm: ## Build helm from the Go module proxy into ~/.cache/bulkhead (once), for the chart tests.
	bash hack/build-helm.sh >/dev/null

.PHONY: glua
glua: ## Build glua (gopher-lua, Argo CD's Lua) from the Go module proxy into ~/.cache/bulkhead (once), for the Argo CD health check test.
	bash hack/build-glua.sh >/dev/null

.PHONY: enforcer
enforcer: ## Build kube-network-policies (the dataplane's NetworkPolicy enforcer) from the Go module proxy into ~/.cache/bulkhead (once).
	bash hack/build-enforcer.sh >/dev/null

.PHONY: cluster-up
cluster-up: build control-plane enforcer ## Start the local control plane and its dataplane (root; DATAPLANE=0 for the control plane alone); admin kubeconfig in .local/kubeconfig.
	$(BULKHEAD) local-cluster up --dir .local
	@if [ "$(DATAPLANE)" != 0 ]; then $(BULKHEAD) dataplane up --dir .local; fi

.PHONY: cluster-down
cluster-down: ## Stop the local dataplane and control plane and remove their files.
	@if [ -f dist/cli/main.js ]; then $(BULKHEAD) dataplane down --dir .local && $(BULKHEAD) local-cluster down --dir .local; fi

.PHONY: dataplane-down
dataplane-down: build ## Remove every local dataplane on this machine, also what a killed run left behind (namespaces, links, rules, routes, processes).
	$(BULKHEAD) dataplane down --all

.PHONY: run
run: build ## Run the operator against KUBECONFIG (or .local/kubeconfig); METRICS_ADDR, HEALTH_ADDR set its listeners.
	KUBECONFIG=$${KUBECONFIG:-$(LOCAL_KUBECONFIG)} $(NODE) --expose-gc bin/bulkhead.js run --metrics-bind-address $(or $(METRICS_ADDR),127.0.0.1:8080) --health-probe-bind-address $(or $(HEALTH_ADDR),127.0.0.1:8081)

.PHONY: demo
demo: build control-plane enforcer ## End to end on an embedded control plane and dataplane (root): install, apply the sample, probe real connections, repair drift.
	bash hack/demo.sh

.PHONY: generate
generate: node_modules ## Regenerate crds/ (and the chart's copy) from the zod schema.
	npx tsc -p tsconfig.build.json
	bash hack/generate.sh

.PHONY: verify
verify: node_modules ## Fail when generated files differ from the schema.
	npx tsc -p tsconfig.build.json
	bash hack/generate.sh --verify

.PHONY: typecheck
typecheck: node_modules ## tsc --noEmit over src/ and e2e/.
	npx tsc --noEmit -p tsconfig.json

hack/lint/node_modules: hack/lint/package.json hack/lint/package-lock.json
	npm ci --prefix hack/lint --no-audit --no-fund
	@touch hack/lint/node_modules

.PHONY: eslint
eslint: node_modules hack/lint/node_modules ## ESLint with type information (complexity <= 10, depth <= 3, no floating promises).
	hack/lint/node_modules/.bin/eslint -c hack/lint/eslint.config.js --max-warnings 0 'src/**/*.ts' 'e2e/**/*.ts'

.PHONY: lint
lint: typecheck verify eslint ## Type check, generated-file check, ESLint.

.PHONY: test-unit
test-unit: node_modules ## Unit tests of the pure code.
	$(JEST) --selectProjects unit

.PHONY: test-integration
test-integration: build control-plane enforcer helm glua ## Suites against a real etcd + kube-apiserver + kube-controller-manager, and a real NetworkPolicy dataplane (root).
	$(JEST) --selectProjects integration --runInBand

.PHONY: test
test: lint build control-plane enforcer helm glua ## Everything CI runs: type check, generated files, ESLint, unit and integration tests (on the dataplane too: root).
	$(JEST) --runInBand

.PHONY: fuzz
fuzz: build control-plane ## Property tests from a random seed with 20x the runs (make test uses a fixed seed); prints the seed.
	BULKHEAD_SEED=$${BULKHEAD_SEED:-random} BULKHEAD_RUNS_FACTOR=$${BULKHEAD_RUNS_FACTOR:-20} $(JEST) --runInBand \
	  --testPathPatterns 'differential|compile-analysis|semantics|connections|seed'

.PHONY: bench
bench: build control-plane enforcer ## Benchmarks (within one run): analysis, pod cache, operator convergence vs a bare client (1,000 AIWorkloads), scale (10,000 pods), threat feed propagation (1,000 AIWorkloads), dataplane propagation and drift window (root).
	BENCH_WORKLOADS=$${BENCH_WORKLOADS:-1000} $(NODE) --expose-gc dist/bench/run.js

.PHONY: chart
chart: generate helm ## Refresh the chart's generated files and lint the chart.
	$$(bash hack/build-helm.sh) lint --strict charts/bulkhead

.PHONY: sbom
sbom: node_modules ## Write a CycloneDX SBOM of the runtime dependencies (npm sbom, from package-lock.json) to dist/bulkhead.cdx.json, or SBOM=FILE.
	bash hack/sbom.sh $(SBOM)

.PHONY: audit-signatures
audit-signatures: node_modules ## Verify the installed packages' registry signatures (npm audit signatures) where the registry publishes signing keys; says so where it does not.
	bash hack/audit-signatures.sh

.PHONY: clean
clean: cluster-down ## Remove build output.
	rm -rf dist .local

.PHONY: bench-analysis
bench-analysis: build ## Reachability analysis benchmark only: naive vs class-based, 5,000 pods, and 10,000 pods with 10,000 policies in child processes (target < 2 s, < 250 MB).
	$(NODE) --expose-gc dist/bench/analysis.js

.PHONY: bench-cache
bench-cache: build ## Cache memory benchmark, each case in a child process: 10,000 pods as decoded vs as the informer keeps them; the operator cache with 1,000 AIWorkloads and 10,000 pods (RSS, target < 150 MiB).
	$(NODE) --expose-gc dist/bench/cache.js

.PHONY: bench-convergence
bench-convergence: build control-plane ## Operator convergence time over a bare client making the same requests, and over one applying the objects alone (local control plane; BENCH_WORKLOADS=N, default 40).
	$(NODE) dist/bench/convergence.js

.PHONY: bench-scale
bench-scale: build control-plane ## Scale benchmark only: 10,000 pods, 100 then 1,000 AIWorkloads: CPU per change, idle resync writes, drift repair and Lease renewals under pod churn (BENCH_PODS, BENCH_WORKLOADS).
	$(NODE) dist/bench/scale.js

.PHONY: bench-threatfeed
bench-threatfeed: build control-plane ## Threat feed benchmark only: a DROP-sized then a FireHOL-level-1-sized ThreatFeed propagating to 1,000 AIWorkloads: time, CPU, RSS, largest NetworkPolicy against the request limits (BENCH_WORKLOADS).
	$(NODE) --expose-gc dist/bench/threatfeed.js

.PHONY: bench-dataplane
bench-dataplane: build control-plane enforcer ## Dataplane benchmark only (root): policy propagation and drift window on packets, enforcer memory.
	$(NODE) dist/bench/dataplane.js
