build-dev/src/rewrite/conf.o: src/rewrite/conf.c src/core/units.h \
 src/core/str.h src/rewrite/rewrite_internal.h src/http/phase.h \
 src/http/http.h src/event/loop.h src/http/conf.h src/conf/directive.h \
 src/conf/tree.h src/core/pool.h src/conf/module.h src/conf/vars.h \
 src/core/errlog.h src/core/syslog.h src/conf/regex.h src/core/hash.h \
 src/core/buf.h src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/rewrite/rewrite.h
src/core/units.h:
src/core/str.h:
src/rewrite/rewrite_internal.h:
src/http/phase.h:
src/http/http.h:
src/event/loop.h:
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
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/rewrite/rewrite.h:
