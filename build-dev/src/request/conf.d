build-dev/src/request/conf.o: src/request/conf.c src/core/errlog.h \
 src/core/syslog.h src/core/str.h src/core/units.h \
 src/request/request_internal.h src/http/http.h src/event/loop.h \
 src/http/conf.h src/conf/directive.h src/conf/tree.h src/core/pool.h \
 src/conf/module.h src/conf/vars.h src/conf/regex.h src/core/hash.h \
 src/core/buf.h src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/http/phase.h src/request/request.h
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
src/core/units.h:
src/request/request_internal.h:
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
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/http/phase.h:
src/request/request.h:
