# replgw: plain GNU make. `make run` and `make test` are the two commands a newcomer needs;
# both install the Debian packages first when they are missing (`make deps`).

CC      ?= cc
BUILD   ?= build
PKGS    := libmicrohttpd jansson sqlite3 gnutls
DEB_PKGS := build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev \
            libgnutls28-dev libcmocka-dev curl sqlite3 openssl python3

WARN    := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla -Wundef -fno-common
OPT     ?= -g -O2
SAN     ?=
CFLAGS  := -std=c11 $(WARN) $(OPT) $(SAN) -D_POSIX_C_SOURCE=200809L -I. -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS   = $(PKG_LIBS) -lpthread

UTIL_SRC := $(wildcard util/*.c)
DB_SRC   := $(wildcard db/*.c)
CIM_SRC  := $(wildcard cim/*.c)
API_SRC  := $(wildcard api/*.c)
SRV_SRC  := $(filter-out server/main.c,$(wildcard server/*.c))
LIB_SRC  := $(UTIL_SRC) $(DB_SRC) $(CIM_SRC) $(API_SRC) $(SRV_SRC)
LIB_OBJS := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/openapi_yaml.o

UNIT_SRC  := $(wildcard tests/unit/*/*.c)
UNIT_BINS := $(UNIT_SRC:%.c=$(BUILD)/%)
INT_SRC   := $(wildcard tests/integration/test_*.c)
INT_BINS  := $(INT_SRC:%.c=$(BUILD)/%)
INT_HELP  := $(BUILD)/tests/integration/harness.o
FUZZ_TARGETS := path mof xml body
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
FUZZ_SECONDS ?= 60

.PHONY: all deps run test check lint soak fuzz valgrind bench bench-scale clean
.SECONDARY:
all: $(BUILD)/replgw

deps:
	@sh scripts/apt-install.sh $(DEB_PKGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# openapi.yaml is compiled in, so the binary always serves the contract it was built with.
$(BUILD)/gen/openapi_yaml.c: openapi.yaml
	@mkdir -p $(@D)
	@{ echo '#include "server/srv.h"'; echo 'const unsigned char srv_openapi_yaml[] = {'; \
	  od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '0};'; \
	  echo 'const size_t srv_openapi_yaml_len = sizeof(srv_openapi_yaml) - 1;'; } > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/replgw: $(LIB_OBJS) $(BUILD)/server/main.o
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/integration/test_%: tests/integration/test_%.c $(INT_HELP) $(BUILD)/util/rg_util.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(filter %.c %.o,$^) -o $@ $(LDLIBS) -lcmocka

# The fuzz corpus replayed with the ordinary compiler: part of make test.
$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(filter %.c %.o,$^) -o $@ $(LDLIBS)

run: deps
	@$(MAKE) --no-print-directory all
	./$(BUILD)/replgw --listen 127.0.0.1 --port 8080 --db ./replgw.db

# Builds everything with -Werror, then runs unit, integration, corpus and lint checks.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(INT_BINS) $(FUZZ_REPLAY)
	@BUILD=$(BUILD) bash tests/run.sh

# The same suite in its own build directory under AddressSanitizer + UBSan.
check: deps
	@$(MAKE) --no-print-directory test BUILD=build-san OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# wrk on loopback against the baselines measured in the same run (bench/README.md).
bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash bench/run.sh

# The same server on an empty store and on SCALE_GROUPS (default 1,000,000) generated groups:
# create latency, list pages at the first, a middle and the last position, GET; the ratio of
# the two against the 2x target of issue 6 (bench/README.md "Scale").
bench-scale: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash bench/scale.sh

# The crash test with many more SIGKILLs than make test runs.
soak: deps
	@$(MAKE) --no-print-directory all $(BUILD)/tests/integration/test_reliability_http
	REPLGW_BIN=$(BUILD)/replgw REPLGW_CRASH_ROUNDS=$${ROUNDS:-50} \
	  $(BUILD)/tests/integration/test_reliability_http

# The integration tests with the server under valgrind memcheck: fails on any invalid access
# or definite leak in any server process.
valgrind: deps
	@$(MAKE) --no-print-directory all $(INT_BINS)
	@sh scripts/apt-install.sh valgrind
	@rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	@for t in $(INT_BINS); do \
	  REPLGW_BIN=$(BUILD)/replgw REPLGW_VALGRIND_DIR=$(BUILD)/valgrind $$t || exit 1; done
	@bad=$$(grep -L 'ERROR SUMMARY: 0 errors' $(BUILD)/valgrind/vg-*.log | \
	  xargs -r grep -l 'ERROR SUMMARY' ); \
	if [ -n "$$bad" ]; then echo "valgrind found errors:"; grep -h -A20 'ERROR SUMMARY\|Invalid\|definitely' $$bad | head -80; exit 1; fi; \
	echo "valgrind: $$(ls $(BUILD)/valgrind | wc -l) server runs, no error and no definite leak"

# libFuzzer with clang: each target runs FUZZ_SECONDS from the saved corpus; new inputs go to
# build-fuzz/corpus/<target>, crashes to build-fuzz/<target>-crash-*. Keep findings in
# fuzz/corpus/<target> so make test replays them.
fuzz: deps $(BUILD)/gen/openapi_yaml.c
	@mkdir -p build-fuzz
	@for t in $(FUZZ_TARGETS); do \
	  clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L -I. \
	    $(PKG_CFLAGS) $(LIB_SRC) $(BUILD)/gen/openapi_yaml.c fuzz/fuzz_$$t.c \
	    -o build-fuzz/fuzz_$$t $(LDLIBS) || exit 1; \
	  mkdir -p build-fuzz/corpus/$$t; \
	  build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/$$t- \
	    build-fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

lint: deps
	bash scripts/check-layers.sh
	bash scripts/lint-openapi.sh

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
