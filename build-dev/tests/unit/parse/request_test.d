build-dev/tests/unit/parse/request_test: tests/unit/parse/request_test.c \
 src/parse/request.h src/core/str.h tests/unit/unit.h
src/parse/request.h:
src/core/str.h:
tests/unit/unit.h:
