build-dev/src/conf/vars.o: src/conf/vars.c src/conf/vars.h \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h \
 src/core/clock.h src/core/varname.h
src/conf/vars.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/core/clock.h:
src/core/varname.h:
