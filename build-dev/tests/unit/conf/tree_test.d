build-dev/tests/unit/conf/tree_test: tests/unit/conf/tree_test.c \
 src/conf/tree.h src/core/pool.h src/core/str.h tests/unit/unit.h
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
tests/unit/unit.h:
