build-dev/src/conf/tree.o: src/conf/tree.c src/conf/tree.h \
 src/core/pool.h src/core/str.h
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
