build-dev/src/daemon.o: src/daemon.c src/daemon.h src/core/errlog.h \
 src/core/syslog.h src/core/str.h
src/daemon.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
