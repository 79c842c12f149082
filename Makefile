# The commands of the README, and a few for development.
SWIFT ?= swift
PROMPT ?= What's the weather in Paris? And tell me about streaming.

SERVE_HOST ?= 127.0.0.1
SERVE_PORT ?= 8080

.PHONY: run serve test deps build examples bench bench-cluster bench-model-ttft check-layers soak soak-report conformance conformance-ci sanitize fuzz

deps:
	@scripts/install-deps.sh

## Build and run `raaf-streaming chat` on the offline model.
run: deps
	$(SWIFT) build --product raaf-streaming
	$(SWIFT) run --skip-build raaf-streaming chat "$(PROMPT)"

## Build and start `raaf-streaming serve` on the embedded defaults (everything in this process,
## chat rooms in raaf-chat.sqlite, the offline model unless OPENAI_* is set), on loopback; it
## prints the chat page's address. SERVE_HOST=0.0.0.0 makes it reachable from other machines.
serve: deps
	$(SWIFT) build --product raaf-streaming
	$(SWIFT) run --skip-build raaf-streaming serve --host $(SERVE_HOST) --port $(SERVE_PORT)

## Build everything, run the whole test suite, then run every example to completion.
## The examples stream at a person's pace when run alone (`make examples`); here at once.
## The in-process suites run first, in parallel; then the suites that drive real servers and
## clients (Python's websockets, Chromium), then those that start `serve` and worker processes
## (a 200-stream model load among them). Each group runs on its own, so one group's bursts of
## processes and connections do not starve the timing of another's on a 2-core machine.
SERVER_TESTS := WebSocketTests
PROCESS_TESTS := CLITests|WorkerTests

test: deps check-layers
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip "$(SERVER_TESTS)|$(PROCESS_TESTS)"
	$(SWIFT) test --skip-build --filter "$(SERVER_TESTS)"
	$(SWIFT) test --skip-build --filter "$(PROCESS_TESTS)"
	$(MAKE) --no-print-directory conformance-ci
	RAAF_SIMULATION_DELAY_MS=0 $(MAKE) --no-print-directory examples

examples:
	$(SWIFT) run --skip-build BasicStreaming
	$(SWIFT) run --skip-build EventDriven
	$(SWIFT) run --skip-build StreamingSessions
	env -u OPENAI_API_KEY -u OPENAI_BASE_URL $(SWIFT) run --skip-build RemoteModel
	$(SWIFT) run --skip-build RealtimeServer
	$(SWIFT) run --skip-build AsyncAgents
	$(SWIFT) run --skip-build BatchProcessing
	$(SWIFT) run --skip-build ChatRooms
	$(SWIFT) run --skip-build OwnAgents
	$(SWIFT) run --skip-build InProcessChat
	scripts/with-redis.sh $(SWIFT) run --skip-build Cluster

## Benchmarks (release build, in its own build folder): see docs/PERFORMANCE.md.
## A throwaway redis-server is started for the Redis benchmarks unless REDIS_URL is set.
bench: deps
	RAAF_BENCHMARKS=1 scripts/with-redis.sh $(SWIFT) package --scratch-path .build-bench benchmark --no-progress

## The cluster layer (issue 13) on a throwaway redis-server: channel hop, stream log, resume elsewhere.
bench-cluster: deps
	RAAF_BENCHMARKS=1 scripts/with-redis.sh $(SWIFT) package --scratch-path .build-bench benchmark --target ClusterBenchmarks --no-progress

## Time to first token through `serve` (release) at 10, 100 and 500 streams on a paced model.
bench-model-ttft: deps
	scripts/bench-model-ttft.sh

## Soak run (issue 12): a release `serve` under mixed, churning traffic for SOAK_MINUTES (default 10),
## from separate client processes; fails when memory grows, descriptors stay open or a stream's text is
## wrong. Its files go to SOAK_OUT; `make soak-report` turns them into docs/soak.png and the soak
## section of docs/PERFORMANCE.md. See scripts/soak/soak.py.
SOAK_MINUTES ?= 10
SOAK_OUT ?= .build-soak/soak
SOAK_FLAGS ?=
soak:
	@RAAF_BROWSER_TESTS=0 scripts/install-deps.sh
	$(SWIFT) build -c release --product raaf-streaming --scratch-path .build-soak
	PYTHONDONTWRITEBYTECODE=1 python3 scripts/soak/soak.py --minutes $(SOAK_MINUTES) --out $(SOAK_OUT) $(SOAK_FLAGS) \
		--binary "$$($(SWIFT) build -c release --scratch-path .build-soak --show-bin-path)/raaf-streaming"

soak-report:
	PYTHONDONTWRITEBYTECODE=1 python3 scripts/soak/report.py $(SOAK_OUT)

## The dependency rules of ARCHITECTURE.md (checked when the shared tools are beside the checkout).
check-layers:
	@if [ -x ../shared/tools/check-layers ]; then ../shared/tools/check-layers && echo "layering rules hold"; fi

## WebSocket conformance (issue 15): the Autobahn testsuite (installed into a Python 2.7
## virtualenv under .build-autobahn) against Examples/EchoServer, the frame layer of `serve`
## with an echo consumer. `make conformance` runs every case, permessage-deflate included,
## against a release EchoServer, in chunks (a section, or one data set of sections 12 and 13:
## 18 cases), each a run of its own that keeps its verdicts when it ends, and writes
## docs/CONFORMANCE.md; CONFORMANCE_RESUME=1 reuses the chunks an interrupted run finished.
## `make test` runs sections 1 to 10 (conformance-ci). Both fail on a FAILED case or a WRONG
## CODE close, and say "skipped" with the reason when the suite cannot be installed. See
## scripts/conformance/.
CONFORMANCE_CASES ?= 1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,12.1.*,12.2.*,12.3.*,12.4.*,12.5.*,13.1.*,13.2.*,13.3.*,13.4.*,13.5.*,13.6.*,13.7.*
CONFORMANCE_RESUME ?= 0
conformance:
	$(SWIFT) build -c release --product EchoServer
	CONFORMANCE_CONFIGURATION=release CONFORMANCE_CHUNKS=1 CONFORMANCE_RESUME=$(CONFORMANCE_RESUME) \
		scripts/conformance/run.sh "$(CONFORMANCE_CASES)" docs/CONFORMANCE.md

conformance-ci:
	scripts/conformance/run.sh "1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*"

## The whole test suite under ThreadSanitizer, then AddressSanitizer, each in its own build
## folder (.build-tsan, .build-asan), in the groups of `make test`. Long: run it on its own.
## Suppressions, each with the proof that its report is false, are in scripts/sanitizers/.
SANITIZERS ?= thread address
sanitize: deps
	@set -e; for sanitizer in $(SANITIZERS); do \
		scratch=".build-$$( [ $$sanitizer = thread ] && echo tsan || echo asan )"; \
		echo "sanitize: $$sanitizer in $$scratch"; \
		$(SWIFT) build --build-tests --sanitize=$$sanitizer --scratch-path $$scratch; \
		for group in "--skip $(SERVER_TESTS)|$(PROCESS_TESTS)" "--filter $(SERVER_TESTS)" "--filter $(PROCESS_TESTS)"; do \
			TSAN_OPTIONS="suppressions=$(CURDIR)/scripts/sanitizers/tsan.supp halt_on_error=0" \
			ASAN_OPTIONS="detect_leaks=0" \
				$(SWIFT) test --skip-build --sanitize=$$sanitizer --scratch-path $$scratch $$group; \
		done; \
	done

## libFuzzer over every hand-written parser (Fuzz/, scripts/fuzz/run.sh): FUZZ_SECONDS (default
## 60) per target; `make fuzz FUZZ_TARGETS=ForwardedHeader` runs one. What it finds lands in
## Tests/FuzzCorpus, which `make test` replays.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz/run.sh $(FUZZ_TARGETS)
