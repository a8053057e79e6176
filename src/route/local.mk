# src/route: see Makefile.am
