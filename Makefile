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
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Isrc $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARNFLAGS) -MMD -MP
LDLIBS  = -lpcre2-8 -lssl -lcrypto -lcrypt -lz -lnghttp2 -lhiredis -lbpf
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
# The installed hush.conf is conf/hush.conf with these paths; LISTEN (an
# address for its two servers) and RUN_USER (the workers' user) when set.
LISTEN     ?=
RUN_USER   ?=
INSTALL    ?= install
PATH_DEFS = -DHS_PREFIX='"$(DATADIR)"' -DHS_CONF_PATH='"$(CONF_DIR)/hush.conf"' \
            -DHS_PID_PATH='"$(PID_PATH)"' -DHS_ERROR_LOG_PATH='"$(LOGDIR)/error.log"' \
            -DHS_SBIN_PATH='"$(SBINDIR)/hush"' -DHS_BUILD_CFLAGS='"$(strip $(CFLAGS) $(SAN))"' \
            -DHS_BUILD_LIBS='"$(LDLIBS)"'

SERVER_SRCS := $(shell find src -name '*.c' ! -name main.c ! -name '*.bpf.c' | sort)
SERVER_OBJS := $(SERVER_SRCS:%.c=$(BUILD)/%.o)
LOGSTAT_SRCS := $(shell find tools/logstat -name '*.c' 2>/dev/null | sort)
LOGSTAT_OBJS := $(LOGSTAT_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(shell find tests/unit -name '*_test.c' | sort)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)

HUSH = $(BUILD)/hush
LOGSTAT = $(BUILD)/hush-logstat

.PHONY: all run test unit integration asan deps-build deps-test clean bench fuzz check-layers check-size \
        install install-files deb

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

# The kernel filter (src/kdrop): compiled for the BPF target by clang and
# linked into hush as bytes (_binary_kdrop_bpf_o_start/_end), so that an
# installed binary carries it. The references are weak (an archive member
# would not be pulled in): the object is named on hush's link line.
BPF_CLANG ?= clang
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
$(BUILD)/bpf/kdrop.bpf.o: src/kdrop/kdrop.bpf.c src/kdrop/kdrop_maps.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -O2 -g -target bpf -Wall -Werror $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH)) -c $< -o $@
$(BUILD)/bpf/kdrop_blob.o: $(BUILD)/bpf/kdrop.bpf.o
	cd $(BUILD)/bpf && ld -r -b binary -z noexecstack -o kdrop_blob.o kdrop.bpf.o && \
	    objcopy --rename-section .data=.rodata,alloc,load,readonly,data,contents kdrop_blob.o

$(BUILD)/libhush.a: $(SERVER_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(HUSH): $(BUILD)/src/main.o $(BUILD)/bpf/kdrop_blob.o $(BUILD)/libhush.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LOGSTAT): $(LOGSTAT_OBJS) $(BUILD)/libhush.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libhush.a $(LDLIBS)

# `make install PREFIX=/usr/local DESTDIR=/tmp/stage`: binaries, the
# configuration (an existing hush.conf is kept), the default page, man pages,
# the systemd unit and the logrotate file with the paths above.
CONF_SED = -e 's|^\# hush demo configuration.*|\# hush: the default configuration (nginx syntax). "hush -t" tests it; see hush(8).|' \
           -e 's|^\# Relative paths are under the prefix.*|\# Relative paths are under the prefix, $(DATADIR).|' \
           -e 's|^worker_processes 1;|$(if $(RUN_USER),user $(RUN_USER);\n)worker_processes auto;|' \
           -e 's|logs/error.log|$(LOGDIR)/error.log|' -e 's|logs/access.log|$(LOGDIR)/access.log|' \
           -e 's|^pid logs/hush.pid;|pid $(PID_PATH);|' $(if $(LISTEN),-e 's|listen 127.0.0.1:8080|listen $(LISTEN)|')
CONTRIB_SED = -e 's|/usr/sbin/hush|$(SBINDIR)/hush|g' -e 's|/run/hush.pid|$(PID_PATH)|g' \
              -e 's|/var/log/hush|$(LOGDIR)|g'

install: $(HUSH) $(LOGSTAT)
	@$(MAKE) --no-print-directory install-files

# The same without building (the tests install what they test).
install-files:
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(CONF_DIR) $(DESTDIR)$(DATADIR)/html \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(LOGDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(DOCDIR)/examples \
	    $(if $(filter /run/%,$(PID_PATH)),,$(DESTDIR)$(dir $(PID_PATH)))
	$(INSTALL) -m 755 $(HUSH) $(DESTDIR)$(SBINDIR)/hush
	$(INSTALL) -m 755 $(LOGSTAT) $(DESTDIR)$(BINDIR)/hush-logstat
	sed $(CONF_SED) conf/hush.conf > $(DESTDIR)$(CONF_DIR)/hush.conf.default
	test -e $(DESTDIR)$(CONF_DIR)/hush.conf || cp $(DESTDIR)$(CONF_DIR)/hush.conf.default $(DESTDIR)$(CONF_DIR)/hush.conf
	$(INSTALL) -m 644 conf/mime.types $(DESTDIR)$(CONF_DIR)/mime.types
	$(INSTALL) -m 644 conf/fastcgi_params conf/fastcgi.conf $(DESTDIR)$(CONF_DIR)/
	$(INSTALL) -d $(DESTDIR)$(CONF_DIR)/snippets
	$(INSTALL) -m 644 conf/snippets/fastcgi-php.conf $(DESTDIR)$(CONF_DIR)/snippets/
	$(INSTALL) -m 644 html/* $(DESTDIR)$(DATADIR)/html/
	$(INSTALL) -m 644 man/hush.8 $(DESTDIR)$(MANDIR)/man8/hush.8
	$(INSTALL) -m 644 man/hush-logstat.1 $(DESTDIR)$(MANDIR)/man1/hush-logstat.1
	sed $(CONTRIB_SED) contrib/hush.service > $(DESTDIR)$(UNITDIR)/hush.service
	sed $(CONTRIB_SED) contrib/logrotate.d/hush > $(DESTDIR)$(SYSCONFDIR)/logrotate.d/hush
	$(INSTALL) -m 644 conf/prometheus-alerts.yml conf/grafana-dashboard.json $(DESTDIR)$(DOCDIR)/examples/

# `make deb`: hush_VERSION_ARCH.deb in $(BUILD), built by dpkg-buildpackage
# (debian/) from a copy of this tree.
VERSION  := $(shell sed -n 's/^\#define HS_VERSION "\(.*\)"/\1/p' src/core/version.h)
DEB_ARCH  = $(shell dpkg --print-architecture)
DEB_TREE  = $(BUILD)/deb/hush-$(VERSION)

deb:
	@scripts/deps.sh deb
	@test "$$(dpkg-parsechangelog -S Version)" = "$(VERSION)" || \
	    { echo "debian/changelog is not at version $(VERSION)" >&2; exit 1; }
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_TREE)
	tar -c --exclude=./.git --exclude='./build*' --exclude=./logs --exclude=./$(BUILD) . | tar -x -C $(DEB_TREE)
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc -j2 >../build.log 2>&1 || \
	    { tail -40 ../build.log >&2; exit 1; }
	cp $(BUILD)/deb/hush_$(VERSION)_$(DEB_ARCH).deb $(BUILD)/
	@echo "$(BUILD)/hush_$(VERSION)_$(DEB_ARCH).deb"

deps-build:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# The demo from the checkout: its workers run as you ("user" as root would
# otherwise make them nobody, who may not read a checkout under /root).
run: deps-build
	@$(MAKE) --no-print-directory $(HUSH)
	cd $(CURDIR) && exec $(HUSH) -p $(CURDIR) -c conf/hush.conf -g "daemon off; user $$(id -un);"

# Every test (unit binaries and black-box integration tests) runs under pytest,
# so one summary line ends the run.
test: deps-test
	@$(MAKE) --no-print-directory all
	HUSH_BUILD=$(BUILD) $(PYTEST) -q tests

ASAN_ENV = HUSH_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

asan: deps-test
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	    SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' all
	$(ASAN_ENV) $(PYTEST) -q tests || { \
	    echo "asan: the failed tests once more, alone (the sanitizers slow timing-bound tests 2-3x)"; \
	    $(ASAN_ENV) $(PYTEST) -q --last-failed --last-failed-no-failures none tests; }

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

# (the package's tree and the test chroot under $(BUILD) are not ours)
-include $(shell find $(BUILD) \( -name deb -o -name 'chroot-*' \) -prune -o -name '*.d' -type f -print 2>/dev/null)
