build-dev/tests/unit/logstat/format_test: \
 tests/unit/logstat/format_test.c \
 tests/unit/logstat/../../../tools/logstat/format.c \
 tests/unit/logstat/../../../tools/logstat/format.h \
 tests/unit/logstat/../../../tools/logstat/record.h src/core/str.h \
 tests/unit/logstat/../../../tools/logstat/bytes.h src/log/tokenize.h \
 tests/unit/logstat/../../../tools/logstat/mem.h \
 tests/unit/logstat/../../../tools/logstat/mem.c \
 tests/unit/logstat/../../../tools/logstat/record.c \
 tests/unit/logstat/../../../tools/logstat/timeparse.h \
 tests/unit/logstat/../../../tools/logstat/timeparse.c tests/unit/unit.h
tests/unit/logstat/../../../tools/logstat/format.c:
tests/unit/logstat/../../../tools/logstat/format.h:
tests/unit/logstat/../../../tools/logstat/record.h:
src/core/str.h:
tests/unit/logstat/../../../tools/logstat/bytes.h:
src/log/tokenize.h:
tests/unit/logstat/../../../tools/logstat/mem.h:
tests/unit/logstat/../../../tools/logstat/mem.c:
tests/unit/logstat/../../../tools/logstat/record.c:
tests/unit/logstat/../../../tools/logstat/timeparse.h:
tests/unit/logstat/../../../tools/logstat/timeparse.c:
tests/unit/unit.h:
