#!/bin/sh
# Boots the testbed once with the edu pair tests/vfio/vmm-multifunction.sh needs (two
# functions of one host slot, 00:18.0 with the multi-function bit and 00:18.1) and
# runs that test's self-contained copy inside; its TAP is this test's. The kvm-suite's
# topology has no such pair (a third and fourth edu there would change what its edu
# tests find). Run it alone with:
#   make check-testbed TESTBED_TESTS=tests/testbed/multifunction.sh
# It takes /tmp/passthru-qemu.lock itself, as kvm-suite.sh does: do not wrap it in
# another flock of that file.
builddir=${top_builddir:?top_builddir is not set (run through make check-testbed)}
srcdir=${top_srcdir:?}
test="$builddir/tests/vfio/vmm-multifunction"

command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"; exit 0; }
[ -x "$test" ] || { echo "1..0 # SKIP $test is not built (make check-testbed builds it)"; exit 0; }

exec 8>/tmp/passthru-qemu.lock
flock 8
start=$(date +%s)
"$srcdir/tests/testbed/testbed-run" --timeout "${PASSTHRU_MF_TIMEOUT:-600}" --ro "$srcdir" \
	--rw "$builddir" --env PASSTHRU_TESTBED=1 \
	--device edu,addr=0x18.0,multifunction=on --device edu,addr=0x18.1 -- "$test"
rc=$?
echo "# one testbed boot, $(($(date +%s) - start)) s in all"
case $rc in
124) echo "not ok - the testbed watchdog stopped the run"; echo "1..1"; exit 1 ;;
125) echo "not ok - the testbed failed (see above)"; echo "1..1"; exit 1 ;;
esac
exit $rc
