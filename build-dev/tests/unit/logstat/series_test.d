build-dev/tests/unit/logstat/series_test: \
 tests/unit/logstat/series_test.c \
 tests/unit/logstat/../../../tools/logstat/mem.c \
 tests/unit/logstat/../../../tools/logstat/mem.h \
 tests/unit/logstat/../../../tools/logstat/series.c \
 tests/unit/logstat/../../../tools/logstat/series.h \
 tests/unit/logstat/../../../tools/logstat/record.h src/core/str.h \
 tests/unit/unit.h
tests/unit/logstat/../../../tools/logstat/mem.c:
tests/unit/logstat/../../../tools/logstat/mem.h:
tests/unit/logstat/../../../tools/logstat/series.c:
tests/unit/logstat/../../../tools/logstat/series.h:
tests/unit/logstat/../../../tools/logstat/record.h:
src/core/str.h:
tests/unit/unit.h:
