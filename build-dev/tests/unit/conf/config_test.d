build-dev/tests/unit/conf/config_test: tests/unit/conf/config_test.c \
 src/config.h src/http/conf.h src/conf/directive.h src/conf/tree.h \
 src/core/pool.h src/core/str.h src/conf/module.h src/conf/vars.h \
 src/core/errlog.h src/core/syslog.h src/conf/regex.h src/core/hash.h \
 src/http/http.h src/event/loop.h src/http/conf.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/log/writer.h src/modules.h \
 src/conf/module.h src/static/static_internal.h src/static/file_cache.h \
 src/static/static.h src/http/phase.h tests/unit/unit.h
src/config.h:
src/http/conf.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/conf/module.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/conf/regex.h:
src/core/hash.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/log/writer.h:
src/modules.h:
src/conf/module.h:
src/static/static_internal.h:
src/static/file_cache.h:
src/static/static.h:
src/http/phase.h:
tests/unit/unit.h:
