build-dev/src/h2/stream.o: src/h2/stream.c src/core/units.h \
 src/core/str.h src/h2/h2_internal.h src/h2/h2.h src/conf/module.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/conf/vars.h \
 src/core/errlog.h src/core/syslog.h src/http/phase.h src/http/http.h \
 src/event/loop.h src/http/conf.h src/conf/regex.h src/core/hash.h \
 src/core/buf.h src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/http/proto.h src/stats/counters.h \
 src/http/counts.h
src/core/units.h:
src/core/str.h:
src/h2/h2_internal.h:
src/h2/h2.h:
src/conf/module.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/http/phase.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/conf/regex.h:
src/core/hash.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/http/proto.h:
src/stats/counters.h:
src/http/counts.h:
