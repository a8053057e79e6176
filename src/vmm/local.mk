# src/vmm: see Makefile.am
