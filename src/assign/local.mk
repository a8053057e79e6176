# src/assign: see Makefile.am
