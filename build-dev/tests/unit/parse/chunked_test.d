build-dev/tests/unit/parse/chunked_test: tests/unit/parse/chunked_test.c \
 src/parse/chunked.h src/core/buf.h src/core/str.h tests/unit/unit.h
src/parse/chunked.h:
src/core/buf.h:
src/core/str.h:
tests/unit/unit.h:
