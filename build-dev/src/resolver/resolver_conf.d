build-dev/src/resolver/resolver_conf.o: src/resolver/resolver_conf.c \
 src/core/units.h src/core/str.h src/resolver/resolver.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/event/loop.h \
 src/resolver/dns.h
src/core/units.h:
src/core/str.h:
src/resolver/resolver.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/event/loop.h:
src/resolver/dns.h:
