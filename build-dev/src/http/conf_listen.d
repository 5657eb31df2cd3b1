build-dev/src/http/conf_listen.o: src/http/conf_listen.c src/core/units.h \
 src/core/str.h src/parse/addr.h src/http/conf_internal.h src/http/conf.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/conf/module.h \
 src/conf/vars.h src/core/errlog.h src/core/syslog.h src/conf/regex.h \
 src/core/hash.h src/http/http.h src/event/loop.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h
src/core/units.h:
src/core/str.h:
src/parse/addr.h:
src/http/conf_internal.h:
src/http/conf.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/conf/module.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/conf/regex.h:
src/core/hash.h:
src/http/http.h:
src/event/loop.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
