#!/bin/sh
# Crash safety of attach, detach and start with a real device (edu) in the testbed:
# passthru-ctl killed (SIGKILL, as kill -9) after every step that changes the host or
# the VM (the test binary's fault points, passthru-ctl(8)), then passthru-ctl recover,
# and detach where the VM already had the device: every time edu ends on its original
# driver with no record or lock left, and the running VM without it, still running.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
faults=$top_builddir/tests/host/passthru-ctl-faults
vmm=$top_builddir/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
[ -x "$faults" ] || tap_skip_all "$faults is not built (make check builds it)"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 reads the JSON back"
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && edu=${d##*/} && break
done
[ -n "$edu" ] || tap_skip_all "no edu device (1234:11e8) in this testbed"
dev=/sys/bus/pci/devices/$edu

PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
PASSTHRU_RUN_DIR="$tap_tmp/run"
PASSTHRU_LOG_DIR="$tap_tmp/log"
PASSTHRU_VMM=$vmm
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
unset PASSTHRU_LOG PASSTHRU_FAULT
mkdir -p "$PASSTHRU_CONFIG_DIR"
trap '"$ctl" stop --force vm1 >/dev/null 2>&1; "$ctl" stop --force vm2 >/dev/null 2>&1
	"$ctl" recover >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT

driver() { if [ -e "$dev/driver" ]; then basename "$(readlink "$dev/driver")"; else echo none; fi; }
drv0=$(driver)
override0=$(cat "$dev/driver_override")
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
vm_devices() { # how many devices vm1's VMM has, or "down"
	"$ctl" status vm1 --json 2>/dev/null | json 'd["vmm"]["devices"] if d["state"] == "running" else "down"'
}
state() { # edu's driver and override, its record and lock, vm1's devices
	rec=none lock=none
	[ -e "$PASSTHRU_RUN_DIR/devices/$edu.json" ] && rec=record
	[ -e "$PASSTHRU_RUN_DIR/devices/$edu.lock" ] && lock=lock
	echo "driver=$(driver) override=$(cat "$dev/driver_override") $rec $lock vm1=$(vm_devices)"
}
printf '[vm]\nname = vm1\nmemory = 64M\nkernel = %s\ncmdline = scenario=spin\nconsole = none\n' \
	"$guest" >"$PASSTHRU_CONFIG_DIR/vm1.conf"
printf '[vm]\nname = vm2\nmemory = 64M\nkernel = %s\ncmdline = scenario=spin\nconsole = none\n\n[device %s]\n' \
	"$guest" "$edu" >"$PASSTHRU_CONFIG_DIR/vm2.conf"

"$ctl" start vm1 >/dev/null 2>&1
want="driver=$drv0 override=$override0 none none vm1=0"
tap_is "$(state)" "$want" "vm1 runs without devices; edu on $drv0"

# killed POINT CMD...: the test binary killed at POINT, then recover (and detach when
# the VMM has the device); the host and vm1 as before.
killed() {
	point=$1
	shift
	PASSTHRU_FAULT=$point "$faults" "$@" >/dev/null 2>"$tap_tmp/err"
	rc=$?
	tap_is "$rc" 137 "$* killed at $point"
	[ "$rc" = 137 ] || sed 's/^/# /' "$tap_tmp/err"
	"$ctl" recover >"$tap_tmp/out" 2>&1
	tap_is "$?" 0 "$point: recover exits 0"
	tap_diag "$(cat "$tap_tmp/out")"
	if [ "$(vm_devices)" = 1 ]; then
		"$ctl" detach "$edu" vm1 >"$tap_tmp/out" 2>&1
		tap_is "$?" 0 "$point: vm1 had edu already: detach gives it back"
	fi
	tap_is "$(state)" "$want" "$point: edu on $drv0, no record or lock, vm1 runs without it"
}

# A function with no host driver has no unbind step in prepare and no rebind in release.
unbind=prepare:after-unbind rebind=release:after-rebind
[ "$drv0" = none ] && unbind= rebind=
for point in prepare:after-record $unbind prepare:after-override prepare:after-probe \
	prepare:after-prepared attach:after-take attach:after-open-group attach:after-device-add; do
	killed "$point" attach "$edu" vm1
done
for point in detach:after-device-del release:after-record release:after-unbind \
	release:after-override $rebind; do
	"$ctl" attach "$edu" vm1 >/dev/null 2>&1
	tap_is "$(vm_devices)" 1 "before detach at $point: vm1 has edu"
	killed "$point" detach "$edu" vm1
done

# start: killed after taking the definition's device, before the VMM runs.
PASSTHRU_FAULT=start:after-take "$faults" start vm2 >/dev/null 2>"$tap_tmp/err"
tap_is "$?" 137 "start vm2 killed at start:after-take"
tap_is "$(driver)" vfio-pci "edu was on vfio-pci for vm2"
"$ctl" recover >"$tap_tmp/out" 2>&1
tap_like "$(cat "$tap_tmp/out")" "VM vm2 does not run: given back" "recover: vm2 does not run, edu given back"
tap_is "$(state)" "$want" "start:after-take: edu on $drv0, no record or lock"
tap_done
