# src/vfio: see Makefile.am
