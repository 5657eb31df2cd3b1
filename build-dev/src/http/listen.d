build-dev/src/http/listen.o: src/http/listen.c src/core/clock.h \
 src/core/errlog.h src/core/syslog.h src/core/str.h src/http/internal.h \
 src/parse/chunked.h src/core/buf.h src/http/counts.h src/http/http.h \
 src/event/loop.h src/http/conf.h src/conf/directive.h src/conf/tree.h \
 src/core/pool.h src/conf/module.h src/conf/vars.h src/conf/regex.h \
 src/core/hash.h src/parse/fields.h src/parse/request.h \
 src/parse/status.h src/transport/transport.h src/http/phase.h \
 src/http/proto.h
src/core/clock.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
src/http/internal.h:
src/parse/chunked.h:
src/core/buf.h:
src/http/counts.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/conf/module.h:
src/conf/vars.h:
src/conf/regex.h:
src/core/hash.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/http/phase.h:
src/http/proto.h:
