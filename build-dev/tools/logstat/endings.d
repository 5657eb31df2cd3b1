build-dev/tools/logstat/endings.o: tools/logstat/endings.c \
 tools/logstat/endings.h tools/logstat/record.h src/core/str.h
tools/logstat/endings.h:
tools/logstat/record.h:
src/core/str.h:
