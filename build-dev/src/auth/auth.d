build-dev/src/auth/auth.o: src/auth/auth.c src/auth/auth_internal.h \
 src/auth/auth.h src/conf/module.h src/conf/directive.h src/conf/tree.h \
 src/core/pool.h src/core/str.h src/conf/vars.h src/core/errlog.h \
 src/core/syslog.h src/http/http.h src/event/loop.h src/http/conf.h \
 src/conf/regex.h src/core/hash.h src/core/buf.h src/parse/fields.h \
 src/parse/request.h src/parse/status.h src/transport/transport.h \
 src/http/phase.h
src/auth/auth_internal.h:
src/auth/auth.h:
src/conf/module.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
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
src/http/phase.h:
