# tests for passthru-ctl's VM commands (run, start, stop, status, console, routes)
CTL_SH_TESTS = tests/ctl/ctl-errors.sh tests/ctl/ctl-lifecycle.sh
TESTS += $(CTL_SH_TESTS)
EXTRA_DIST += $(CTL_SH_TESTS)

# In the testbed (tests/testbed/kvm-suite.sh) a test runs from the build tree alone:
# the source tree may be hidden from the guest (a clone under /tmp). So the build
# tree gets a self-contained copy with tests/host/tap.sh inlined at its @TAP_SH@ line.
KVM_TESTS += tests/ctl/ctl-lifecycle
check_DATA += tests/ctl/ctl-lifecycle
CLEANFILES += tests/ctl/ctl-lifecycle
tests/ctl/ctl-lifecycle: $(top_srcdir)/tests/ctl/ctl-lifecycle.sh $(top_srcdir)/tests/host/tap.sh Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/ctl && \
	{ echo '#!/bin/sh'; \
	  echo "top_builddir='$(abs_top_builddir)'; export top_builddir"; \
	  sed -e '/@TAP_SH@$$/{r $(top_srcdir)/tests/host/tap.sh' -e 'd;}' -e '1d' \
		$(top_srcdir)/tests/ctl/ctl-lifecycle.sh; } >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
