#!/bin/sh
# Routing benchmarks (issue 4): msix_batched_vs_per_vector, routes_17x257_fit
# (bench-route) and irqfd_vs_relay_* (bench-irqfd-relay, the test guest in a VM of
# the embedded VMM). They need a real KVM: here if /dev/kvm is usable, else inside
# the QEMU testbed's nested KVM (one boot for all). Run from the build directory
# (make bench); TESTBED_RUN overrides the testbed script.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
route=$PWD/bench/bench-route
relay=$PWD/bench/bench-irqfd-relay

if [ ! -x "$route" ]; then
	echo "route.sh: $route is missing: run make bench from the build directory" >&2
	exit 1
fi
cmd="'$route' all"
if [ -x "$relay" ]; then
	cmd="$cmd && '$relay' 10000"
else
	echo "route.sh: $relay is not built: no irqfd_vs_relay_* lines" >&2
fi
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	exec sh -c "$cmd"
fi
tb=${TESTBED_RUN:-}
for c in "$PWD/tests/testbed/testbed-run" "$srcdir/tests/testbed/testbed-run"; do
	[ -z "$tb" ] && [ -x "$c" ] && tb=$c
done
if [ -z "$tb" ]; then
	echo "route.sh: no /dev/kvm here and no testbed-run: routing benchmarks not measured" >&2
	for name in msix_batched_vs_per_vector routes_17x257_fit irqfd_vs_relay_rate \
		irqfd_vs_relay_vmm_cpu irqfd_exits_per_interrupt; do
		echo "$name: n/a"
	done
	exit 0
fi
echo "route.sh: no /dev/kvm here: measuring inside the testbed (nested KVM under TCG)" >&2
exec flock /tmp/passthru-qemu.lock "$tb" --timeout 900 --rw "$PWD" -- sh -c "$cmd"
