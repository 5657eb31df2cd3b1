build-dev/tests/unit/parse/tls_hello_test: \
 tests/unit/parse/tls_hello_test.c src/parse/tls_hello.h src/core/str.h \
 tests/unit/unit.h
src/parse/tls_hello.h:
src/core/str.h:
tests/unit/unit.h:
