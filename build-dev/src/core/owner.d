build-dev/src/core/owner.o: src/core/owner.c src/core/owner.h \
 src/core/errlog.h src/core/syslog.h src/core/str.h
src/core/owner.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
