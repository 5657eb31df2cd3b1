build-dev/src/h2/out.o: src/h2/out.c src/core/clock.h src/core/version.h \
 src/h2/h2_internal.h src/h2/h2.h src/conf/module.h src/conf/directive.h \
 src/conf/tree.h src/core/pool.h src/core/str.h src/conf/vars.h \
 src/core/errlog.h src/core/syslog.h src/http/phase.h src/http/http.h \
 src/event/loop.h src/http/conf.h src/conf/regex.h src/core/hash.h \
 src/core/buf.h src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/http/proto.h
src/core/clock.h:
src/core/version.h:
src/h2/h2_internal.h:
src/h2/h2.h:
src/conf/module.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
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
