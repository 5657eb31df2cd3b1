build-dev/tools/logstat/format.o: tools/logstat/format.c \
 tools/logstat/format.h tools/logstat/record.h src/core/str.h \
 tools/logstat/bytes.h src/log/tokenize.h tools/logstat/mem.h
tools/logstat/format.h:
tools/logstat/record.h:
src/core/str.h:
tools/logstat/bytes.h:
src/log/tokenize.h:
tools/logstat/mem.h:
