#!/bin/sh
# passthru-vmm against QEMU (-M microvm -accel kvm, its leanest configuration that
# boots a Multiboot guest) on the same mini guest, measured side by side in one run:
#   vmm_start_vs_qemu: R   time from process start to the guest's first serial byte
#   vmm_rss_vs_qemu: R     resident memory excluding guest RAM
# Lower is better; the target is 0.2 or less. Without /dev/kvm it runs itself in
# the testbed (tests/testbed/testbed-run, under the testbed lock).
set -u
builddir=${top_builddir:-$(pwd)}
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
runs=${PASSTHRU_BENCH_RUNS:-7}
guest="$builddir/tests/vmm/miniguest.elf"
helper="$builddir/tests/vmm/bench-first-byte"
vmm="$builddir/src/vmm/passthru-vmm"

if [ ! -e /dev/kvm ] && [ -z "${PASSTHRU_TESTBED:-}" ]; then
	exec flock /tmp/passthru-qemu.lock "$srcdir/tests/testbed/testbed-run" --timeout 600 \
		--ro "$srcdir" --rw "$builddir" --env top_builddir="$builddir" --env top_srcdir="$srcdir" \
		--env PASSTHRU_BENCH_RUNS="$runs" -- sh "$srcdir/bench/vmm-vs-qemu.sh"
fi
command -v qemu-system-x86_64 >/dev/null || { echo "vmm_vs_qemu: skipped (no qemu-system-x86_64)"; exit 0; }

v=$("$helper" "$runs" 64 T "$vmm" --kernel "$guest" --append s --memory 64M --console stdio) || exit 1
q=$("$helper" "$runs" 64 T qemu-system-x86_64 -M microvm -accel kvm -nodefaults -no-user-config \
	-display none -m 64 -serial stdio -kernel "$guest" -append s) || exit 1
vt=$(echo "$v" | sed -n 's/^first_byte_ms: //p'); vr=$(echo "$v" | sed -n 's/^rss_minus_guest_kib: //p')
qt=$(echo "$q" | sed -n 's/^first_byte_ms: //p'); qr=$(echo "$q" | sed -n 's/^rss_minus_guest_kib: //p')
echo "vmm_first_byte_ms: $vt"
echo "qemu_first_byte_ms: $qt"
echo "vmm_rss_minus_guest_kib: $vr"
echo "qemu_rss_minus_guest_kib: $qr"
awk -v a="$vt" -v b="$qt" 'BEGIN { printf "vmm_start_vs_qemu: %.3f\n", a / b }'
awk -v a="$vr" -v b="$qr" 'BEGIN { printf "vmm_rss_vs_qemu: %.3f\n", a / b }'
