# tests for src/route (see tests/local.mk for the conventions)
