build-dev/tests/unit/logstat/hist_test: tests/unit/logstat/hist_test.c \
 tests/unit/logstat/../../../tools/logstat/hist.c \
 tests/unit/logstat/../../../tools/logstat/hist.h tests/unit/unit.h
tests/unit/logstat/../../../tools/logstat/hist.c:
tests/unit/logstat/../../../tools/logstat/hist.h:
tests/unit/unit.h:
