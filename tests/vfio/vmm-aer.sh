#!/bin/sh
# An uncorrectable error of an assigned device stops the VM. In the testbed, an
# e1000e behind the pcie-root-port rp1 (PCIe, with AER) is on vfio-pci and assigned to
# the test guest; while the guest runs, the testbed's kernel is made to report a
# non-fatal uncorrectable error of it (aer_inject: Completion Timeout), its AER
# recovery tells vfio-pci, which signals the device's ERR interrupt, and passthru-vmm
# stops the VM at once with status 1, naming the device and the error, instead of
# letting a device that can no longer be trusted go on touching guest memory.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
testbed_require
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to inject the error"
dev=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] || continue
	# Behind a root port: its sysfs path has the port's address before its own.
	case $(readlink -f "$d") in */0000:00:*/0000:0[1-9]:00.0) dev=${d##*/}; break ;; esac
done
[ -n "$dev" ] || tap_skip_all "no e1000e behind a root port (--device e1000e,bus=rp1) in this testbed"
[ -e /dev/aer_inject ] || modprobe aer_inject 2>/dev/null
[ -e /dev/aer_inject ] || tap_skip_all "no aer_inject in this kernel"
sys=/sys/bus/pci/devices/$dev
port=$(basename "$(dirname "$(readlink -f "$sys")")")
ls /sys/bus/pci_express/devices/ 2>/dev/null | grep -q "^$port:pcie0*2\$" ||
	tap_skip_all "the root port $port has no native AER service (the firmware kept AER)"
tmp=$tap_tmp
drv0=$(pci_driver "$dev")
vmm_pid=
trap '[ -n "$vmm_pid" ] && kill $vmm_pid 2>/dev/null; vfio_give_back "$dev" "$drv0"; rm -rf "$tmp"' EXIT
vfio_take "$dev"
tap_is "$(pci_driver "$dev")" vfio-pci "e1000e $dev (behind root port $port) is on vfio-pci"

# A guest that waits (for a device that never comes) for up to 120 s.
"$vmm" --kernel "$guest" --memory 64M --verbose --device "$dev" \
	--append "scenario=rescan find=0x1b36:0x00fe wait_ms=120000" \
	>"$tmp/out" 2>"$tmp/err" </dev/null &
vmm_pid=$!
i=0
until grep -q '^TG ready scenario=rescan' "$tmp/out" || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
tap_ok "$(grep -q '^TG ready scenario=rescan' "$tmp/out"; echo $?)" "the guest runs with the device"
tap_ok "$(kill -0 $vmm_pid 2>/dev/null; echo $?)" "its VMM runs"

# The error: Completion Timeout (bit 14, non-fatal by default) of $dev.
python3 -c '
import struct, sys
dom, bus, rest = sys.argv[1].split(":")
slot, fn = rest.split(".")
rec = struct.pack("<BBBxIIIIIII", int(bus, 16), int(slot, 16), int(fn), 1 << 14, 0,
                  0, 0, 0, 0, int(dom, 16))
with open("/dev/aer_inject", "wb", buffering=0) as f:
    f.write(rec)
' "$dev" 2>"$tmp/inject"
tap_is "$?" 0 "the testbed's kernel took the injected error ($(cat "$tmp/inject"))"
t0=$(date +%s)
wait $vmm_pid
rc=$?
vmm_pid=
took=$(($(date +%s) - t0))
tap_is "$rc" 1 "the VMM stopped the VM with status 1"
tap_ok "$([ "$took" -lt 60 ]; echo $?)" "at once (${took} s after the error; the guest would have waited 120 s)"
tap_like "$(cat "$tmp/err")" "$dev: the host reports an uncorrectable error of the device (AER): stopping vm" \
	"its log names the device and why it stopped"
dmesg | grep -q "$dev.*AER" && echo "# host: $(dmesg | grep "$dev.*AER" | tail -1)"
[ "$rc" = 1 ] || sed 's/^/# /' "$tmp/err" "$tmp/out" | tail -30
tap_done
