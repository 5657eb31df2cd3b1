build-dev/src/event/loop.o: src/event/loop.c src/event/loop.h \
 src/core/clock.h src/core/errlog.h src/core/syslog.h src/core/str.h
src/event/loop.h:
src/core/clock.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
