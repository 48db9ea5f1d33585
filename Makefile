# roomctl: `make run` starts the server with the default profile, `make test` runs every test.
# Both install missing Debian packages first (scripts/install-deps.sh, quiet when all is there).

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# Paths relative to the checkout in ccache's hashes: a fresh clone (CI) reuses what any other
# checkout of the same sources compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build install run test suite format-check test-unit asan fuzz tsan bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The binary, its man page and shell completions under PREFIX (default /usr/local).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

run: build
	./$(BUILD_DIR)/roomctl serve --profile profiles/serve/default.yaml

# Everything CI runs: the suite (unit, integration, e2e, the soak), a short run of every fuzz
# target, the suite under ASan+UBSan (without the soak, whose memory figures mean nothing there,
# and the e2e checks, which test no server code of their own; and the test that exhausts the
# process's descriptors on purpose: the sanitizer runtime itself needs to open files and reports
# false errors then), and the unit tests under TSan.
test: format-check suite
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory asan SUITE_EXCLUDE='soak|e2e' \
		SUITE_SKIP='out of file descriptors'
	@$(MAKE) --no-print-directory tsan

# The suite alone (a quicker `make test` while developing).
SUITE_EXCLUDE ?=
SUITE_SKIP ?=
suite: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300 \
		$(if $(SUITE_EXCLUDE),-LE '$(SUITE_EXCLUDE)') $(if $(SUITE_SKIP),-E '$(SUITE_SKIP)')

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) --no-print-directory suite BUILD_DIR=build-asan BUILD_TYPE=Debug \
		CMAKE_FLAGS=-DROOMCTL_SANITIZE=ON

# libFuzzer targets (tests/fuzz) built with clang in build-fuzz, each run FUZZ_SECONDS from its
# seed corpus; fails if any target finds a crash or a broken invariant.
FUZZ_SECONDS ?= 30
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/run-fuzz.sh

# The unit tests under ThreadSanitizer (the runtime's cross-thread state); only unit_tests is built.
tsan: deps
	@test -f build-tsan/build.ninja || cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
		-DROOMCTL_TSAN=ON
	cmake --build build-tsan -j $(JOBS) --target unit_tests
	cd build-tsan && TSAN_OPTIONS="second_deadlock_stack=1" \
		ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	bash bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# Fails when a tracked source is not formatted as .clang-format says (run `make format`).
format-check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')
	python3 scripts/check-test-names.py

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz build-tsan
