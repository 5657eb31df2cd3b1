build-dev/src/core/cidr.o: src/core/cidr.c src/core/cidr.h src/core/str.h
src/core/cidr.h:
src/core/str.h:
