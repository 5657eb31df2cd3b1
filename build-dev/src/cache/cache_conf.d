build-dev/src/cache/cache_conf.o: src/cache/cache_conf.c \
 src/cache/cache_internal.h src/cache/cache.h src/conf/module.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h \
 src/conf/vars.h src/core/errlog.h src/core/syslog.h \
 src/cache/cache_file.h src/core/shm.h src/http/http.h src/event/loop.h \
 src/http/conf.h src/conf/regex.h src/core/hash.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/http/phase.h src/proxy/upstream.h \
 src/parse/response.h src/core/units.h
src/cache/cache_internal.h:
src/cache/cache.h:
src/conf/module.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/cache/cache_file.h:
src/core/shm.h:
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
src/proxy/upstream.h:
src/parse/response.h:
src/core/units.h:
