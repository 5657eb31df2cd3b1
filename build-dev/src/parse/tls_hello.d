build-dev/src/parse/tls_hello.o: src/parse/tls_hello.c \
 src/parse/tls_hello.h src/core/str.h
src/parse/tls_hello.h:
src/core/str.h:
