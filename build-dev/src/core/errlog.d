build-dev/src/core/errlog.o: src/core/errlog.c src/core/errlog.h \
 src/core/syslog.h src/core/str.h src/core/clock.h src/core/owner.h
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
src/core/clock.h:
src/core/owner.h:
