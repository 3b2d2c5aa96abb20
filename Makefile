# mamori — the two commands of the README, plus the pieces they are made of.
#
#   make demo    install dependencies, build, run mamori on demo/demo.pcap -> demo-out/eve.json
#   make test    install dependencies, build, run the whole suite (release, ASan+UBSan, fuzzing)
#
# Other targets: make (build only), make bench, make fuzz (longer fuzzing), make clean.

MAKEFLAGS += --no-print-directory

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20
# CI turns warnings into errors; a user's newer compiler should not break their build.
WERROR     := $(if $(CI),ON,OFF)

.PHONY: all deps build demo test test-release test-asan test-fuzz fuzz bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DMM_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@rm -rf demo-out && mkdir -p demo-out
	@echo "== mamori on demo/demo.pcap (see demo/README.md for what is in it) =="
	@$(BUILD)/mamori -r demo/demo.pcap -c demo/mamori.yaml -l demo-out --summary --no-progress
	@echo "== events by type in demo-out/eve.json =="
	@python3 scripts/eve_summary.py demo-out/eve.json

test: build
	@bash scripts/run-tests.sh "$(BUILD)" "$(ASAN_BUILD)" "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)" "$(WERROR)"

fuzz: deps
	@bash scripts/run-fuzz.sh "$(FUZZ_BUILD)" 600

bench: build
	@bench/run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) demo-out
