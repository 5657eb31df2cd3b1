build-dev/src/resolver/resolver.o: src/resolver/resolver.c \
 src/core/clock.h src/resolver/resolver.h src/conf/directive.h \
 src/conf/tree.h src/core/pool.h src/core/str.h src/event/loop.h \
 src/resolver/dns.h
src/core/clock.h:
src/resolver/resolver.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/event/loop.h:
src/resolver/dns.h:
