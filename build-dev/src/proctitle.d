build-dev/src/proctitle.o: src/proctitle.c src/proctitle.h
src/proctitle.h:
