build-dev/tools/logstat/series.o: tools/logstat/series.c \
 tools/logstat/series.h tools/logstat/record.h src/core/str.h \
 tools/logstat/mem.h
tools/logstat/series.h:
tools/logstat/record.h:
src/core/str.h:
tools/logstat/mem.h:
