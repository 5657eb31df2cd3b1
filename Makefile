# hush — build, run, test.  `make run` and `make test` install missing Debian
# packages themselves (as root) before building.

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
SAN     ?=
# Warnings are not in CFLAGS: `make CFLAGS=-O0` keeps them. They come after
# CFLAGS so that a -Wno-... there does not switch one off. fuzz/Makefile has
# the same list.
WARNFLAGS = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wformat=2
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Isrc $(CFLAGS) $(SAN) $(WARNFLAGS) -MMD -MP
LDLIBS  = -lpcre2-8 -lssl -lcrypto -lcrypt -lz
PYTEST  = /usr/bin/python3 -m pytest

# Where `make install` puts hush, compiled into the binary as its defaults
# (nginx's --prefix, --conf-path, ...; `hush -V` shows them). `make deb`
# builds with Debian's paths.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= $(PREFIX)/etc
DATADIR    ?= $(PREFIX)/share/hush
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/hush
LOGDIR     ?= $(PREFIX)/var/log/hush
PID_PATH   ?= $(PREFIX)/var/run/hush.pid
UNITDIR    ?= $(PREFIX)/lib/systemd/system
CONF_DIR    = $(SYSCONFDIR)/hush
PATH_DEFS = -DHS_PREFIX='"$(DATADIR)"' -DHS_CONF_PATH='"$(CONF_DIR)/hush.conf"' \
            -DHS_PID_PATH='"$(PID_PATH)"' -DHS_ERROR_LOG_PATH='"$(LOGDIR)/error.log"' \
            -DHS_SBIN_PATH='"$(SBINDIR)/hush"' -DHS_BUILD_CFLAGS='"$(strip $(CFLAGS) $(SAN))"' \
            -DHS_BUILD_LIBS='"$(LDLIBS)"'

SERVER_SRCS := $(shell find src -name '*.c' ! -name main.c | sort)
SERVER_OBJS := $(SERVER_SRCS:%.c=$(BUILD)/%.o)
LOGSTAT_SRCS := $(shell find tools/logstat -name '*.c' 2>/dev/null | sort)
LOGSTAT_OBJS := $(LOGSTAT_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(shell find tests/unit -name '*_test.c' | sort)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)

HUSH = $(BUILD)/hush
LOGSTAT = $(BUILD)/hush-logstat

.PHONY: all run test unit integration asan deps-build deps-test clean bench fuzz check-layers check-size

all: $(HUSH) $(if $(LOGSTAT_SRCS),$(LOGSTAT)) $(UNIT_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# buildinfo.o alone sees the paths; it is rebuilt when they change.
ifneq ($(PATH_DEFS),$(file <$(BUILD)/buildinfo.flags))
$(shell mkdir -p $(BUILD))
$(file >$(BUILD)/buildinfo.flags,$(PATH_DEFS))
endif
$(BUILD)/src/buildinfo.o: ALL_CFLAGS += $(PATH_DEFS)
$(BUILD)/src/buildinfo.o: $(BUILD)/buildinfo.flags

$(BUILD)/libhush.a: $(SERVER_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(HUSH): $(BUILD)/src/main.o $(BUILD)/libhush.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(LOGSTAT): $(LOGSTAT_OBJS) $(BUILD)/libhush.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libhush.a $(LDLIBS)

deps-build:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

run: deps-build
	@$(MAKE) --no-print-directory $(HUSH)
	cd $(CURDIR) && exec $(HUSH) -p $(CURDIR) -c conf/hush.conf -g 'daemon off;'

# Every test (unit binaries and black-box integration tests) runs under pytest,
# so one summary line ends the run.
test: deps-test
	@$(MAKE) --no-print-directory all
	HUSH_BUILD=$(BUILD) $(PYTEST) -q tests

asan: deps-test
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	    SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' all
	HUSH_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(PYTEST) -q tests

bench: deps-build
	@$(MAKE) --no-print-directory all
	bench/run.sh

fuzz:
	@scripts/deps.sh fuzz
	$(MAKE) -C fuzz

# Which folder may include which: the table is at the top of the script.
# Folder includes form a one-way DAG (docs/internals.md); files and
# functions stay short and src/http small (scripts/check-size.py).
check-layers:
	@scripts/check-layers.sh

check-size:
	@/usr/bin/python3 scripts/check-size.py

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
