build-dev/src/handover.o: src/handover.c src/handover.h src/http/conf.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h \
 src/conf/module.h src/conf/vars.h src/core/errlog.h src/core/syslog.h \
 src/conf/regex.h src/core/hash.h
src/handover.h:
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
