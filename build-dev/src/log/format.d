build-dev/src/log/format.o: src/log/format.c src/log/format.h \
 src/conf/vars.h src/conf/directive.h src/conf/tree.h src/core/pool.h \
 src/core/str.h src/log/tokenize.h
src/log/format.h:
src/conf/vars.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/log/tokenize.h:
