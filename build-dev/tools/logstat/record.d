build-dev/tools/logstat/record.o: tools/logstat/record.c \
 tools/logstat/record.h src/core/str.h tools/logstat/timeparse.h
tools/logstat/record.h:
src/core/str.h:
tools/logstat/timeparse.h:
