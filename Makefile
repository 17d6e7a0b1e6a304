# Short names for the README's commands. CMake does the real work.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all lab test asan-test clean fuzz fuzz-build fuzz-smoke fuzz-coverage

all:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# The main job: `synack lab`'s default scenario.
lab: all
	./$(BUILD)/synack lab

# The whole test suite.
test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan-test:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (fuzz/, clang): every parser and the stack's input path.
# `make fuzz` runs each for FUZZ_TIME seconds (FUZZ_MERGE=1 keeps new inputs
# in fuzz/corpus); `make fuzz-smoke` runs each for 30 s, in parallel (CI);
# `make fuzz-coverage` reports the lines of src/ and tools/ the corpora reach.
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME ?= 300
FUZZ_TARGETS ?= wire stack trace script http options reassembly
fuzz-build:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DSYNACK_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	bash fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME) serial $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	bash fuzz/run.sh $(FUZZ_BUILD) 30 parallel $(FUZZ_TARGETS)

fuzz-coverage:
	CC=clang cmake -S . -B $(FUZZ_BUILD)-cov -DSYNACK_FUZZ=ON -DSYNACK_FUZZ_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(FUZZ_BUILD)-cov -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	bash fuzz/coverage.sh $(FUZZ_BUILD)-cov $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(FUZZ_BUILD)-cov
