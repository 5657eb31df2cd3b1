build-dev/src/log/writer.o: src/log/writer.c src/log/writer.h \
 src/core/errlog.h src/core/syslog.h src/core/str.h src/core/pool.h \
 src/event/loop.h src/core/owner.h src/stats/counters.h src/http/counts.h \
 src/http/http.h src/http/conf.h src/conf/directive.h src/conf/tree.h \
 src/conf/module.h src/conf/vars.h src/conf/regex.h src/core/hash.h \
 src/core/buf.h src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h
src/log/writer.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
src/core/pool.h:
src/event/loop.h:
src/core/owner.h:
src/stats/counters.h:
src/http/counts.h:
src/http/http.h:
src/http/conf.h:
src/conf/directive.h:
src/conf/tree.h:
src/conf/module.h:
src/conf/vars.h:
src/conf/regex.h:
src/core/hash.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
