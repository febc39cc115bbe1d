# The README's commands. Each installs what is missing, then builds.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps build test test-fast demo bench clean

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

clean:
	rm -rf $(BUILD)
