build-dev/src/resolver/dns.o: src/resolver/dns.c src/resolver/dns.h
src/resolver/dns.h:
