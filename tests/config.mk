# tests for src/config (see tests/local.mk for the conventions)
