build-dev/src/kdrop/loader.o: src/kdrop/loader.c src/kdrop/loader.h \
 src/core/cidr.h src/core/str.h src/kdrop/kdrop_maps.h
src/kdrop/loader.h:
src/core/cidr.h:
src/core/str.h:
src/kdrop/kdrop_maps.h:
