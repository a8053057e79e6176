# tests for src/vmm (see tests/local.mk for the conventions)
