# tests for passthru-ctl's VM commands (run, start, stop, status, console, routes)
CTL_SH_TESTS = tests/ctl/ctl-errors.sh tests/ctl/ctl-lifecycle.sh tests/ctl/ctl-socket.sh
TESTS += $(CTL_SH_TESTS)
EXTRA_DIST += $(CTL_SH_TESTS) tests/ctl/fake-vmm.py

# The testbed runs the build tree's self-contained copy (tests/local.mk, STANDALONE_TEST).
KVM_TESTS += tests/ctl/ctl-lifecycle
check_DATA += tests/ctl/ctl-lifecycle
CLEANFILES += tests/ctl/ctl-lifecycle
tests/ctl/ctl-lifecycle: $(top_srcdir)/tests/ctl/ctl-lifecycle.sh $(STANDALONE_TEST_DEPS)
	$(AM_V_GEN)$(MKDIR_P) tests/ctl && $(STANDALONE_TEST) $(top_srcdir)/tests/ctl/ctl-lifecycle.sh \
		$(top_srcdir)/tests/host/tap.sh $(abs_top_builddir) >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
