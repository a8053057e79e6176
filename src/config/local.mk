# src/config: see Makefile.am
