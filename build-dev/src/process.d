build-dev/src/process.o: src/process.c src/process.h src/http/conf.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h \
 src/conf/module.h src/conf/vars.h src/core/errlog.h src/core/syslog.h \
 src/conf/regex.h src/core/hash.h src/config.h src/core/clock.h \
 src/daemon.h src/handover.h src/core/errlog.h src/core/owner.h \
 src/event/loop.h src/http/http.h src/event/loop.h src/http/conf.h \
 src/core/buf.h src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/log/writer.h src/modules.h \
 src/conf/module.h src/proctitle.h src/upgrade.h
src/process.h:
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
src/config.h:
src/core/clock.h:
src/daemon.h:
src/handover.h:
src/core/errlog.h:
src/core/owner.h:
src/event/loop.h:
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
src/proctitle.h:
src/upgrade.h:
