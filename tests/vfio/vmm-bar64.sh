#!/bin/sh
# passthru-vmm places a device's 64-bit BAR above guest RAM (from 4 GiB on for a small
# guest), and the guest reaches the device there. QEMU's ivshmem-plain (1af4:1110) in
# the testbed has a 64-bit prefetchable BAR2 that is its shared memory: the testbed's
# host writes a pattern into it through sysfs resource2, the test guest finds the
# device, reads BAR2's address (at or above 4 GiB) and the pattern through it. A 32-bit
# window of 1 GiB would have held it too: the point is where it goes, and that a
# mapping there works (a KVM memory slot above RAM, the guest's 64-bit BAR address).
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
testbed_require
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to write into the BAR"
dev=$(pci_find 0x1af4 0x1110) || tap_skip_all "no ivshmem-plain (1af4:1110) in this testbed"
sys=/sys/bus/pci/devices/$dev
tmp=$tap_tmp
drv0=$(pci_driver "$dev")
trap 'vfio_give_back "$dev" "$drv0"; rm -rf "$tmp"' EXIT

# BAR2 as the host sees it: 64-bit, prefetchable (flags 0x...20c: mem, 64-bit, prefetch).
flags=$(sed -n 3p "$sys/resource" | awk '{print $3}')
tap_ok "$([ $((flags & 0x4)) -ne 0 ] && [ $((flags & 0x2000)) -ne 0 ]; echo $?)" \
	"ivshmem-plain $dev: BAR2 is a 64-bit memory BAR on the host (flags $flags)"

# The pattern, written into the shared memory while no driver has the device.
pattern=0x5a17c0de
echo 1 > "$sys/enable"
python3 -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_SYNC)
m = mmap.mmap(fd, 4096)
m[0:4] = int(sys.argv[2], 16).to_bytes(4, "little")
m.close()
' "$sys/resource2" "$pattern"
tap_is "$?" 0 "the host wrote $pattern at the start of BAR2"
echo 0 > "$sys/enable"

vfio_take "$dev"
tap_is "$(pci_driver "$dev")" vfio-pci "$dev is on vfio-pci"

timeout 200 "$vmm" --kernel "$guest" --memory 64M --verbose --device "$dev" \
	--append "scenario=rescan find=0x1af4:0x1110 bar_read=2:0 wait_ms=5000" \
	>"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
tap_is "$rc" 0 "the guest ran and ended: exit 0"
line=$(grep '^TG result scenario=rescan ' "$tmp/out")
addr=$(printf '%s\n' "$line" | sed -n 's/.* bar2=\(0x[0-9a-f]*\) read .*/\1/p')
tap_ok "$([ -n "$addr" ] && [ $((addr)) -ge $((0x100000000)) ]; echo $?)" \
	"the VMM placed BAR2 above the guest's 64 MiB of RAM, at or above 4 GiB ($addr)"
tap_like "$line" "status=PASS detail=\"found 00:" "the guest found the device"
tap_like "$line" " read $pattern\"" "and read the host's pattern through the 64-bit BAR"
[ "$rc" = 0 ] && [ -n "$addr" ] || sed 's/^/# /' "$tmp/out" "$tmp/err" | tail -30
tap_done
