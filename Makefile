# The README's commands. Each installs what is missing, then builds.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps build test test-fast demo bench clean sanitize tsan

deps:
	@bash packaging/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-fast: build
	$(BUILD)/tests/pushrun_tests "~[integration]"

demo: build
	bash packaging/demo.sh $(BUILD)

# Benchmarks (bench/README.md): a Release build of pushrun, the peers and the probes, then one table.
BENCH_BUILD ?= build-bench
bench: deps
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPUSHRUN_BUILD_BENCH=ON -DPUSHRUN_BUILD_TESTS=OFF
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target bench_all
	bash bench/run.sh $(BENCH_BUILD)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPUSHRUN_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 300

# Concurrent updates of the registry and metrics under ThreadSanitizer.
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPUSHRUN_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target pushrun_tests
	TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/pushrun_tests "[concurrency]"

clean:
	rm -rf $(BUILD) build-asan build-tsan
