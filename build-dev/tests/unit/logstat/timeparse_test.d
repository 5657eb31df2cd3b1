build-dev/tests/unit/logstat/timeparse_test: \
 tests/unit/logstat/timeparse_test.c \
 tests/unit/logstat/../../../tools/logstat/timeparse.c \
 tests/unit/logstat/../../../tools/logstat/timeparse.h src/core/str.h \
 tests/unit/logstat/../../../tools/logstat/bytes.h tests/unit/unit.h
tests/unit/logstat/../../../tools/logstat/timeparse.c:
tests/unit/logstat/../../../tools/logstat/timeparse.h:
src/core/str.h:
tests/unit/logstat/../../../tools/logstat/bytes.h:
tests/unit/unit.h:
