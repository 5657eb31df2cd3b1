build-dev/src/fastcgi/fcgi_vars.o: src/fastcgi/fcgi_vars.c \
 src/fastcgi/fcgi_internal.h src/conf/regex.h src/conf/vars.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h \
 src/fastcgi/fastcgi.h src/conf/module.h src/core/errlog.h \
 src/core/syslog.h src/fastcgi/fcgi_parse.h src/parse/response.h \
 src/parse/request.h src/http/http.h src/event/loop.h src/http/conf.h \
 src/core/hash.h src/core/buf.h src/parse/fields.h src/parse/status.h \
 src/transport/transport.h src/proxy/upstream.h src/http/phase.h
src/fastcgi/fcgi_internal.h:
src/conf/regex.h:
src/conf/vars.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/fastcgi/fastcgi.h:
src/conf/module.h:
src/core/errlog.h:
src/core/syslog.h:
src/fastcgi/fcgi_parse.h:
src/parse/response.h:
src/parse/request.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/core/hash.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/status.h:
src/transport/transport.h:
src/proxy/upstream.h:
src/http/phase.h:
