#!/bin/sh
# Boots the testbed once with the devices tests/host/prepare-testbed.sh needs
# (edu, e1000e, an nvme disk holding ext4, two e1000 behind a pcie-pci-bridge)
# and runs that test's self-contained copy inside; its TAP is this test's.
# Run it alone with: make check-testbed TESTBED_TESTS=tests/testbed/host-prep.sh
# It takes /tmp/passthru-qemu.lock itself, as kvm-suite.sh does (one QEMU at a time
# on the build machines): do not wrap it in another flock of that file.
builddir=${top_builddir:?top_builddir is not set (run through make check-testbed)}
srcdir=${top_srcdir:?}
test="$builddir/tests/host/prepare-testbed"

command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"; exit 0; }
[ -x "$test" ] || { echo "1..0 # SKIP $test is not built (make check-testbed builds it)"; exit 0; }

img="$builddir/tests/testbed/prep-nvme.img"
nvme=
if command -v mkfs.ext4 >/dev/null 2>&1; then
	rm -f "$img" && mkdir -p "$(dirname "$img")" && truncate -s 32M "$img" &&
		mkfs.ext4 -q -F "$img" >/dev/null 2>&1 &&
		nvme="--device nvme,serial=pt0,drive=d0,addr=0x12 --qemu-arg -drive --qemu-arg file=$img,if=none,id=d0,format=raw"
fi
[ -n "$nvme" ] || echo "# no mkfs.ext4: the nvme checks are left out" >&2

exec 8>/tmp/passthru-qemu.lock
flock 8
start=$(date +%s)
# shellcheck disable=SC2086 # $nvme is words
"$srcdir/tests/testbed/testbed-run" --timeout "${PASSTHRU_PREP_TIMEOUT:-900}" --rw "$builddir" \
	--device edu,addr=0x10 --device e1000e,addr=0x11 $nvme \
	--device pcie-pci-bridge,id=br0,addr=0x13 --device e1000,bus=br0,addr=0x1 \
	--device e1000,bus=br0,addr=0x2 -- "$test"
rc=$?
rm -f "$img"
echo "# one testbed boot, $(($(date +%s) - start)) s in all"
case $rc in
124) echo "not ok - the testbed watchdog stopped the run"; echo "1..1"; exit 1 ;;
125) echo "not ok - the testbed failed (see above)"; echo "1..1"; exit 1 ;;
esac
exit $rc
