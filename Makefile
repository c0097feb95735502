# Stackyard build. Objects go under build/, binaries under bin/.
#   make          build bin/stackyard
#   make test     install deps, build, run unit + integration tests + fuzz smoke
#   make check    the same tests against an ASan+UBSan build
#   make fuzz     run each libFuzzer target for FUZZ_SECONDS (default 60)
#   make bench    benchmarks; figures go to stdout (record in docs/BENCHMARKS.md)
#   make run      install deps, build, run

CC      ?= cc
PYTHON  ?= /usr/bin/python3
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
BASEFLAGS := -std=gnu11 $(WARN) -fno-omit-frame-pointer -D_GNU_SOURCE -MMD -MP
LIBS    := -ldeflate -lxxhash -lzstd -lsqlite3 -lmicrohttpd -lcurl -lyaml -lm -lpthread
LIBS    += -lelf -liberty # the agent's symbolizer: ELF symbols, C++/Rust demangling
LIBS    += -lbpf # the agent's sampler
LIBS    += -ljansson # regress: the CLI reads the server's JSON report
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)

BUILD   ?= build
BIN     ?= bin
SAN     :=

LIB_SRC := $(filter-out src/cli/%,$(wildcard src/*/*.c))
LIB_SRC := $(filter-out %.bpf.c,$(LIB_SRC))
# The web UI (src/ui/web/* and uPlot from npm, pinned in src/ui/package-lock.json)
# becomes one generated C file, compiled and linked like any other source.
UI_GEN  := $(BUILD)/gen/ui_assets.c
UI_WEB  := $(sort $(wildcard src/ui/web/*))
UI_NPM  := src/ui/node_modules/.package-lock.json
UI_VENDOR := src/ui/node_modules/uplot/dist/uPlot.iife.min.js src/ui/node_modules/uplot/dist/uPlot.min.css
UI_EMBED_SRC := src/ui/gen/embed.c src/base/buf.c src/base/err.c src/base/file.c src/base/xalloc.c
LIB_SRC += $(UI_GEN)
CLI_SRC := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/*/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
BENCH_SRC := $(wildcard bench/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIBA    := $(BUILD)/libstackyard.a
UNIT_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

ALL_CFLAGS = $(BASEFLAGS) $(CFLAGS) $(SAN) -DSTACKYARD_VERSION='"$(VERSION)"'

.PHONY: FORCE all deps test unit integration check fuzz fuzz-smoke bench run clean tools

all: $(BIN)/stackyard tools

deps:
	@bash scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# main.o embeds the version: rebuild it when `git describe` changes.
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/src/cli/main.o: $(BUILD)/version.stamp
FORCE:

$(BIN)/stackyard: $(CLI_OBJ) $(LIBA)
	@mkdir -p $(BIN)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LIBS)

$(BUILD)/tests/%: tests/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LIBS)

tools: $(TOOL_BIN)

# The agent's BPF program (CO-RE): vmlinux.h from the running kernel's BTF,
# the object compiled by clang, and a skeleton header that embeds it, all
# generated under $(BUILD)/bpf (nothing generated is committed).
BPF_CLANG ?= clang
BPF_ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
BPF_DIR := $(BUILD)/bpf
BASEFLAGS += -I$(BPF_DIR)

$(BPF_DIR)/vmlinux.h:
	@mkdir -p $(dir $@)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BPF_DIR)/profile.bpf.o: src/agent/profile.bpf.c src/agent/sample.h $(BPF_DIR)/vmlinux.h
	$(BPF_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(BPF_DIR) -Isrc/agent -c $< -o $@

$(BPF_DIR)/profile.skel.h: $(BPF_DIR)/profile.bpf.o
	bpftool gen skeleton $< name profile_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/src/agent/sampler.o: $(BPF_DIR)/profile.skel.h
# npm ci when node_modules is missing or older than the lock file.
$(UI_NPM): src/ui/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install uPlot for the web UI: run scripts/deps.sh" >&2; exit 1; }
	cd src/ui && npm ci --no-audit --no-fund
	@touch $@
$(UI_VENDOR): $(UI_NPM)

$(BUILD)/ui_embed: $(UI_EMBED_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -o $@ $^ -ldeflate -lxxhash

# The list of web files: regenerate when a file is added or removed.
$(BUILD)/gen/ui_files.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(UI_WEB)' | cmp -s - $@ || echo '$(UI_WEB)' > $@

$(UI_GEN): $(BUILD)/ui_embed $(UI_WEB) $(UI_VENDOR) $(BUILD)/gen/ui_files.stamp
	@mkdir -p $(dir $@)
	$(BUILD)/ui_embed -o $@ -i $(CURDIR)/src/ui/ui.h /=src/ui/web/index.html \
		$(foreach f,$(filter-out %/index.html,$(UI_WEB)),/ui/$(notdir $(f))=$(f)) \
		$(foreach f,$(UI_VENDOR),/ui/vendor/$(notdir $(f))=$(f))

# The test runner prints one summary line: "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(BENCH_BIN) # benchmarks: built (so they keep compiling), not run
	@BUILD=$(BUILD) BIN=$(BIN) PYTHON=$(PYTHON) FUZZ_SMOKE=$${FUZZ_SMOKE-10} bash tests/run.sh

# Same suite against a sanitizer build in build/san, bin/san.
check: deps
	@$(MAKE) --no-print-directory test BUILD=build/san BIN=bin/san \
		CFLAGS="-O1 -g" SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
		FUZZ_SMOKE=0

FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_FLAGS += -I$(BPF_DIR)
$(FUZZ_BIN): $(BPF_DIR)/profile.skel.h

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@BUILD=$(BUILD) bash tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BUILD=$(BUILD) BIN=$(BIN) bash bench/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/run.sh

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d)
