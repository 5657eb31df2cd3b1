build-dev/tools/logstat/parse_json.o: tools/logstat/parse_json.c \
 tools/logstat/parse_json.h tools/logstat/record.h src/core/str.h \
 tools/logstat/mem.h
tools/logstat/parse_json.h:
tools/logstat/record.h:
src/core/str.h:
tools/logstat/mem.h:
