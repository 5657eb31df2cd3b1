build-dev/src/proxy/proxy_target.o: src/proxy/proxy_target.c \
 src/core/errlog.h src/core/syslog.h src/core/str.h src/core/units.h \
 src/proxy/balance_internal.h src/proxy/proxy_internal.h src/core/clock.h \
 src/parse/chunked.h src/core/buf.h src/http/http.h src/event/loop.h \
 src/http/conf.h src/conf/directive.h src/conf/tree.h src/core/pool.h \
 src/conf/module.h src/conf/vars.h src/conf/regex.h src/core/hash.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/http/phase.h src/proxy/proxy.h \
 src/proxy/upstream.h src/parse/response.h src/proxy/rewrite_internal.h \
 src/resolver/resolver.h src/resolver/dns.h
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
src/core/units.h:
src/proxy/balance_internal.h:
src/proxy/proxy_internal.h:
src/core/clock.h:
src/parse/chunked.h:
src/core/buf.h:
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
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/http/phase.h:
src/proxy/proxy.h:
src/proxy/upstream.h:
src/parse/response.h:
src/proxy/rewrite_internal.h:
src/resolver/resolver.h:
src/resolver/dns.h:
