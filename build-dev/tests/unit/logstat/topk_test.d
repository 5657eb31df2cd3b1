build-dev/tests/unit/logstat/topk_test: tests/unit/logstat/topk_test.c \
 tests/unit/logstat/../../../tools/logstat/mem.c \
 tests/unit/logstat/../../../tools/logstat/mem.h \
 tests/unit/logstat/../../../tools/logstat/topk.c \
 tests/unit/logstat/../../../tools/logstat/topk.h src/core/str.h \
 tests/unit/logstat/../../../tools/logstat/bytes.h tests/unit/unit.h
tests/unit/logstat/../../../tools/logstat/mem.c:
tests/unit/logstat/../../../tools/logstat/mem.h:
tests/unit/logstat/../../../tools/logstat/topk.c:
tests/unit/logstat/../../../tools/logstat/topk.h:
src/core/str.h:
tests/unit/logstat/../../../tools/logstat/bytes.h:
tests/unit/unit.h:
