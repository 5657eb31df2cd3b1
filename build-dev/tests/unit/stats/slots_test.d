build-dev/tests/unit/stats/slots_test: tests/unit/stats/slots_test.c \
 src/stats/region.h src/stats/counters.h src/http/counts.h \
 src/http/http.h src/event/loop.h src/http/conf.h src/conf/directive.h \
 src/conf/tree.h src/core/pool.h src/core/str.h src/conf/module.h \
 src/conf/vars.h src/core/errlog.h src/core/syslog.h src/conf/regex.h \
 src/core/hash.h src/core/buf.h src/parse/fields.h src/parse/request.h \
 src/parse/status.h src/transport/transport.h tests/unit/unit.h
src/stats/region.h:
src/stats/counters.h:
src/http/counts.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/conf/module.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/conf/regex.h:
src/core/hash.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
tests/unit/unit.h:
