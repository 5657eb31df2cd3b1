build-dev/tools/logstat/parser.o: tools/logstat/parser.c \
 tools/logstat/parser.h tools/logstat/format.h tools/logstat/record.h \
 src/core/str.h tools/logstat/parse_json.h
tools/logstat/parser.h:
tools/logstat/format.h:
tools/logstat/record.h:
src/core/str.h:
tools/logstat/parse_json.h:
