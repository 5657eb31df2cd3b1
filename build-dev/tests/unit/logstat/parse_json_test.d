build-dev/tests/unit/logstat/parse_json_test: \
 tests/unit/logstat/parse_json_test.c \
 tests/unit/logstat/../../../tools/logstat/mem.c \
 tests/unit/logstat/../../../tools/logstat/mem.h \
 tests/unit/logstat/../../../tools/logstat/parse_json.c \
 tests/unit/logstat/../../../tools/logstat/parse_json.h \
 tests/unit/logstat/../../../tools/logstat/record.h src/core/str.h \
 tests/unit/logstat/../../../tools/logstat/record.c \
 tests/unit/logstat/../../../tools/logstat/timeparse.h \
 tests/unit/logstat/../../../tools/logstat/timeparse.c \
 tests/unit/logstat/../../../tools/logstat/bytes.h tests/unit/unit.h
tests/unit/logstat/../../../tools/logstat/mem.c:
tests/unit/logstat/../../../tools/logstat/mem.h:
tests/unit/logstat/../../../tools/logstat/parse_json.c:
tests/unit/logstat/../../../tools/logstat/parse_json.h:
tests/unit/logstat/../../../tools/logstat/record.h:
src/core/str.h:
tests/unit/logstat/../../../tools/logstat/record.c:
tests/unit/logstat/../../../tools/logstat/timeparse.h:
tests/unit/logstat/../../../tools/logstat/timeparse.c:
tests/unit/logstat/../../../tools/logstat/bytes.h:
tests/unit/unit.h:
