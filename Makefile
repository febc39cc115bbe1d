# The README's commands. Each installs what is missing, then builds.
BUILD ?= build
JOBS ?= 2
# Tests run by `make test` mostly wait (for a gateway, a child process, a deadline), so more of
# them run at once than there are cores. The sanitizer build's tests use the CPU (instrumented
# code, seconds of checking a 6 MB sidecar against a 10 s deadline): JOBS of them at a time.
TEST_JOBS ?= 4
CMAKE_FLAGS ?=

.PHONY: deps build test test-fast demo bench clean sanitize tsan fuzz

deps:
	@bash packaging/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) --timeout 300

test-fast: build
	$(BUILD)/tests/pushrun_tests "~[integration]"

# The demo needs only the wrapper: it builds the `pushrun` target, not the tests.
demo: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target pushrun
	bash packaging/demo.sh $(BUILD)

# Benchmarks (bench/README.md): a Release build of pushrun, the peers and the probes, then one table.
BENCH_BUILD ?= build-bench
bench: deps
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPUSHRUN_BUILD_BENCH=ON -DPUSHRUN_BUILD_TESTS=OFF
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target bench_all
	bash bench/run.sh $(BENCH_BUILD)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer. The packaging checks
# (label "packaging") are left out: they install the library for an unsanitized consumer and
# build the runtime image, which a sanitized build cannot serve; `make test` runs them.
# Only the test binary and pushrun are built: the examples compile in `make test`.
sanitize: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPUSHRUN_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS) --target pushrun_tests
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  ctest --output-on-failure -j $(JOBS) --timeout 300 -LE packaging

# The [concurrency] tests (concurrent updates of the registry and metrics, of the spool) under
# ThreadSanitizer, from a test binary of only the files that hold them.
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPUSHRUN_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target pushrun_concurrency_tests
	TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/pushrun_concurrency_tests "[concurrency]"

# libFuzzer targets (tests/fuzz/), built with clang; each runs FUZZ_SECONDS on its seed corpus,
# JOBS of them at a time (a fuzzer uses one core). New inputs go to $(FUZZ_BUILD)/corpus/<name>,
# crashes to $(FUZZ_BUILD)/artifacts/.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPUSHRUN_BUILD_FUZZ=ON -DPUSHRUN_BUILD_TESTS=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	ls $(FUZZ_BUILD)/tests/fuzz/*_fuzz | xargs -n 1 -P $(JOBS) bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) build-asan build-tsan
