build-dev/src/transport/tcp.o: src/transport/tcp.c \
 src/transport/transport.h src/core/str.h
src/transport/transport.h:
src/core/str.h:
