build-dev/tools/logstat/hist.o: tools/logstat/hist.c tools/logstat/hist.h
tools/logstat/hist.h:
