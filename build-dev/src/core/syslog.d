build-dev/src/core/syslog.o: src/core/syslog.c src/core/syslog.h \
 src/core/str.h src/core/clock.h
src/core/syslog.h:
src/core/str.h:
src/core/clock.h:
