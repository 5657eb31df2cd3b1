build-dev/src/modules.o: src/modules.c src/modules.h src/conf/module.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h \
 src/conf/vars.h src/core/errlog.h src/core/syslog.h src/auth/auth.h \
 src/conf/module.h src/cache/cache.h src/config.h src/http/conf.h \
 src/conf/regex.h src/core/hash.h src/edge/edge.h src/http/phase.h \
 src/http/http.h src/event/loop.h src/http/conf.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/fastcgi/fastcgi.h src/gzip/gzip.h \
 src/headers/headers.h src/h2/h2.h src/kdrop/kdrop.h src/http/http.h \
 src/proxy/proxy.h src/realip/realip.h src/request/request.h \
 src/rewrite/rewrite.h src/log/log.h src/static/static.h \
 src/stats/stats.h src/stats/counters.h src/http/counts.h src/sync/sync.h \
 src/tls/tls.h
src/modules.h:
src/conf/module.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/auth/auth.h:
src/conf/module.h:
src/cache/cache.h:
src/config.h:
src/http/conf.h:
src/conf/regex.h:
src/core/hash.h:
src/edge/edge.h:
src/http/phase.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/fastcgi/fastcgi.h:
src/gzip/gzip.h:
src/headers/headers.h:
src/h2/h2.h:
src/kdrop/kdrop.h:
src/http/http.h:
src/proxy/proxy.h:
src/realip/realip.h:
src/request/request.h:
src/rewrite/rewrite.h:
src/log/log.h:
src/static/static.h:
src/stats/stats.h:
src/stats/counters.h:
src/http/counts.h:
src/sync/sync.h:
src/tls/tls.h:
