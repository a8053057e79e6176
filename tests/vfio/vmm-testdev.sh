#!/bin/sh
# passthru-vmm with QEMU's pci-testdev (1b36:0005) in the testbed: a device with an
# I/O-port BAR. The guest sizes every BAR (all-ones written with decoding off, then the
# address back), which moves the I/O range under the VMM's port bus: that once
# deadlocked the vCPU. The guest's info run ends, finds the I/O BAR, and a port read
# there reaches the device (0x0, as under QEMU itself), where without the device the
# same read is a port nobody claims, which ends the VM (status 13). Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
tdev=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0005 ] && tdev=${d##*/} && break
done
[ -n "$tdev" ] || tap_skip_all "no pci-testdev (1b36:0005) in this testbed"
tmp=$tap_tmp
drv0=
[ -e "/sys/bus/pci/devices/$tdev/driver" ] && drv0=$(basename "$(readlink "/sys/bus/pci/devices/$tdev/driver")")
trap 'rm -rf "$tmp"; echo > "/sys/bus/pci/devices/$tdev/driver_override";
	[ -e "/sys/bus/pci/devices/$tdev/driver" ] && echo "$tdev" > "/sys/bus/pci/devices/$tdev/driver/unbind"
	[ -n "$drv0" ] && echo "$tdev" > /sys/bus/pci/drivers_probe' EXIT
[ -n "$drv0" ] && echo "$tdev" > "/sys/bus/pci/devices/$tdev/driver/unbind"
echo vfio-pci > "/sys/bus/pci/devices/$tdev/driver_override"
echo "$tdev" > /sys/bus/pci/drivers_probe

boot() { # NAME APPEND [OPTIONS]: output in $tmp/NAME.out, status in $tmp/NAME.rc
	name=$1 append=$2
	shift 2
	timeout 200 "$vmm" --kernel "$guest" --append "$append" --memory 64M "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}
boot info "scenario=info" --device "$tdev"
tap_is "$(cat "$tmp/info.rc")" 0 "the guest sizes every BAR of pci-testdev ($tdev) and ends: no deadlock"
line=$(grep '^TG pci bdf=.* vendor=0x1b36 device=0x0005 ' "$tmp/info.out")
slot=$(printf '%s\n' "$line" | sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) .*/\1/p')
port=$(sed -n "s/^TG pci-bar bdf=$slot bar=1 kind=io addr=\(0x[0-9a-f]*\) size=0x100\$/\1/p" "$tmp/info.out")
tap_ok "$([ -n "$port" ]; echo $?)" "the guest finds pci-testdev at $slot with its 256-port I/O BAR at $port"
[ -n "$port" ] || { sed 's/^/# /' "$tmp/info.out" "$tmp/info.err" | tail -30; tap_done; }

boot io "scenario=bad-port port=$port access=in size=4" --device "$tdev"
grep -q '^TG result scenario=bad-port status=PASS detail="read 0x0"$' "$tmp/io.out"
tap_ok $? "a port read in the I/O BAR reaches the device (0x0, as under QEMU)"
boot none "scenario=bad-port port=$port access=in size=4"
tap_is "$(cat "$tmp/none.rc")" 13 "without the device the same read is a port nobody claims: the VM ends (13)"
tap_like "$(cat "$tmp/none.err")" "unknown I/O port $port" "and the VMM names the port"
tap_done
