build-dev/tests/unit/parse/path_test: tests/unit/parse/path_test.c \
 src/parse/path.h src/core/str.h tests/unit/unit.h
src/parse/path.h:
src/core/str.h:
tests/unit/unit.h:
