build-dev/src/parse/proxy_protocol.o: src/parse/proxy_protocol.c \
 src/parse/proxy_protocol.h src/core/str.h
src/parse/proxy_protocol.h:
src/core/str.h:
