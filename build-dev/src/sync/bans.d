build-dev/src/sync/bans.o: src/sync/bans.c src/core/clock.h \
 src/sync/fleet.h src/edge/edge_conf.h src/core/cidr.h src/core/str.h \
 src/core/shm.h src/edge/edge.h src/http/phase.h src/http/http.h \
 src/event/loop.h src/http/conf.h src/conf/directive.h src/conf/tree.h \
 src/core/pool.h src/conf/module.h src/conf/vars.h src/core/errlog.h \
 src/core/syslog.h src/conf/regex.h src/core/hash.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/sync/link.h src/sync/url.h
src/core/clock.h:
src/sync/fleet.h:
src/edge/edge_conf.h:
src/core/cidr.h:
src/core/str.h:
src/core/shm.h:
src/edge/edge.h:
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
src/sync/link.h:
src/sync/url.h:
