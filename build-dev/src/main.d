build-dev/src/main.o: src/main.c src/buildinfo.h src/config.h \
 src/http/conf.h src/conf/directive.h src/conf/tree.h src/core/pool.h \
 src/core/str.h src/conf/module.h src/conf/vars.h src/core/errlog.h \
 src/core/syslog.h src/conf/regex.h src/core/hash.h src/conf/tree.h \
 src/core/clock.h src/core/errlog.h src/edge/drop.h src/http/phase.h \
 src/http/http.h src/event/loop.h src/http/conf.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/edge/edge.h src/kdrop/kdrop.h \
 src/modules.h src/conf/module.h src/proctitle.h src/process.h \
 src/upgrade.h src/core/version.h
src/buildinfo.h:
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
src/conf/tree.h:
src/core/clock.h:
src/core/errlog.h:
src/edge/drop.h:
src/http/phase.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/edge/edge.h:
src/kdrop/kdrop.h:
src/modules.h:
src/conf/module.h:
src/proctitle.h:
src/process.h:
src/upgrade.h:
src/core/version.h:
