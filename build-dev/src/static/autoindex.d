build-dev/src/static/autoindex.o: src/static/autoindex.c src/core/clock.h \
 src/core/errlog.h src/core/syslog.h src/core/str.h \
 src/static/static_internal.h src/static/file_cache.h src/core/pool.h \
 src/static/static.h src/conf/module.h src/conf/directive.h \
 src/conf/tree.h src/conf/vars.h src/http/phase.h src/http/http.h \
 src/event/loop.h src/http/conf.h src/conf/regex.h src/core/hash.h \
 src/core/buf.h src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h
src/core/clock.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
src/static/static_internal.h:
src/static/file_cache.h:
src/core/pool.h:
src/static/static.h:
src/conf/module.h:
src/conf/directive.h:
src/conf/tree.h:
src/conf/vars.h:
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
