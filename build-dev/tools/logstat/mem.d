build-dev/tools/logstat/mem.o: tools/logstat/mem.c tools/logstat/mem.h
tools/logstat/mem.h:
