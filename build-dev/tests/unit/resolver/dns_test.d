build-dev/tests/unit/resolver/dns_test: tests/unit/resolver/dns_test.c \
 src/resolver/dns.h tests/unit/unit.h
src/resolver/dns.h:
tests/unit/unit.h:
