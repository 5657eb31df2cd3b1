build-dev/src/gzip/static.o: src/gzip/static.c src/gzip/gzip_internal.h \
 src/conf/regex.h src/conf/vars.h src/conf/directive.h src/conf/tree.h \
 src/core/pool.h src/core/str.h src/gzip/gzip.h src/conf/module.h \
 src/core/errlog.h src/core/syslog.h src/http/phase.h src/http/http.h \
 src/event/loop.h src/http/conf.h src/core/hash.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/static/static.h
src/gzip/gzip_internal.h:
src/conf/regex.h:
src/conf/vars.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/gzip/gzip.h:
src/conf/module.h:
src/core/errlog.h:
src/core/syslog.h:
src/http/phase.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/core/hash.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/static/static.h:
