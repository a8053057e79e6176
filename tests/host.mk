# tests for src/host (see tests/local.mk for the conventions)
