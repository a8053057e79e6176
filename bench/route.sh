#!/bin/sh
# Routing benchmarks (issue 4): msix_batched_vs_per_vector and routes_17x257_fit.
# Both need a real KVM: here if /dev/kvm is usable, else inside the QEMU testbed's
# nested KVM (testbed-run from the build tree, or $TESTBED_RUN). Run from the build
# directory (make bench).
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
prog=$PWD/bench/bench-route

if [ ! -x "$prog" ]; then
	echo "route.sh: $prog is missing: run make bench from the build directory" >&2
	exit 1
fi
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	exec "$prog" all
fi
tb=${TESTBED_RUN:-}
for c in "$PWD/tests/testbed/testbed-run" "$srcdir/tests/testbed/testbed-run"; do
	[ -z "$tb" ] && [ -x "$c" ] && tb=$c
done
if [ -z "$tb" ]; then
	echo "route.sh: no /dev/kvm here and no testbed-run: routing benchmarks not measured" >&2
	echo "msix_batched_vs_per_vector: n/a"
	echo "routes_17x257_fit: n/a"
	exit 0
fi
echo "route.sh: no /dev/kvm here: measuring inside the testbed (nested KVM under TCG)" >&2
exec flock /tmp/passthru-qemu.lock "$tb" --timeout 900 --rw "$PWD" -- "$prog" all
