build-dev/src/conf/directive.o: src/conf/directive.c src/conf/directive.h \
 src/conf/tree.h src/core/pool.h src/core/str.h src/conf/module.h \
 src/conf/vars.h src/core/errlog.h src/core/syslog.h src/core/units.h
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/conf/module.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/syslog.h:
src/core/units.h:
