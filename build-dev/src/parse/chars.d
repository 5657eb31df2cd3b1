build-dev/src/parse/chars.o: src/parse/chars.c src/parse/chars.h
src/parse/chars.h:
