# src/host: see Makefile.am
