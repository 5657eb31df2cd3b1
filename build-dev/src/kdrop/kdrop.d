build-dev/src/kdrop/kdrop.o: src/kdrop/kdrop.c src/kdrop/kdrop.h \
 src/conf/module.h src/conf/directive.h src/conf/tree.h src/core/pool.h \
 src/core/str.h src/conf/vars.h src/core/errlog.h src/core/syslog.h \
 src/core/clock.h src/edge/edge_conf.h src/core/cidr.h src/core/shm.h \
 src/edge/edge.h src/http/phase.h src/http/http.h src/event/loop.h \
 src/http/conf.h src/conf/regex.h src/core/hash.h src/core/buf.h \
 src/parse/fields.h src/parse/request.h src/parse/status.h \
 src/transport/transport.h src/kdrop/kdrop_maps.h src/kdrop/loader.h \
 src/stats/expo.h src/stats/counters.h src/http/counts.h
src/kdrop/kdrop.h:
src/conf/module.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/clock.h:
src/edge/edge_conf.h:
src/core/cidr.h:
src/core/shm.h:
src/edge/edge.h:
src/http/phase.h:
src/http/http.h:
src/event/loop.h:
src/http/conf.h:
src/conf/regex.h:
src/core/hash.h:
src/core/buf.h:
src/parse/fields.h:
src/parse/request.h:
src/parse/status.h:
src/transport/transport.h:
src/kdrop/kdrop_maps.h:
src/kdrop/loader.h:
src/stats/expo.h:
src/stats/counters.h:
src/http/counts.h:
