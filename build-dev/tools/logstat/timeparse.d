build-dev/tools/logstat/timeparse.o: tools/logstat/timeparse.c \
 tools/logstat/timeparse.h src/core/str.h tools/logstat/bytes.h
tools/logstat/timeparse.h:
src/core/str.h:
tools/logstat/bytes.h:
