build-dev/src/conf/regex.o: src/conf/regex.c src/conf/regex.h \
 src/conf/vars.h src/conf/directive.h src/conf/tree.h src/core/pool.h \
 src/core/str.h
src/conf/regex.h:
src/conf/vars.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
