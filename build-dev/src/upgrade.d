build-dev/src/upgrade.o: src/upgrade.c src/upgrade.h src/core/errlog.h \
 src/core/syslog.h src/core/str.h src/handover.h src/http/conf.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/conf/module.h \
 src/conf/vars.h src/core/errlog.h src/conf/regex.h src/core/hash.h \
 src/proctitle.h
src/upgrade.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/str.h:
src/handover.h:
src/http/conf.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/conf/module.h:
src/conf/vars.h:
src/core/errlog.h:
src/conf/regex.h:
src/core/hash.h:
src/proctitle.h:
