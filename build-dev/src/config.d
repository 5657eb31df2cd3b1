build-dev/src/config.o: src/config.c src/config.h src/http/conf.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h \
 src/conf/module.h src/conf/vars.h src/core/errlog.h src/core/syslog.h \
 src/conf/regex.h src/core/hash.h src/buildinfo.h src/conf/vars.h \
 src/core/errlog.h src/core/units.h src/modules.h src/conf/module.h
src/config.h:
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
src/buildinfo.h:
src/conf/vars.h:
src/core/errlog.h:
src/core/units.h:
src/modules.h:
src/conf/module.h:
