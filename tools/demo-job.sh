#!/bin/sh
# The main job (tools/quickstart, make demo): what this host can do, its PCI
# functions, the test guest booted by passthru-vmm, and, where QEMU's edu device is
# present (the testbed), edu handed to a running VM with passthru-ctl attach: the
# guest finds it on its bus and reads its ID register, then detach gives it back.
# Usage: demo-job.sh BUILD_DIR (run as root for the attach part).
set -u
build=${1:?usage: demo-job.sh BUILD_DIR}
ctl=$build/src/ctl/passthru-ctl
vmm=$build/src/vmm/passthru-vmm
guest=$build/tests/guest/guest.elf
status=0

step() { echo; echo "\$ $*"; "$@" || status=$?; }

step "$ctl" check
step "$ctl" devices
step "$vmm" --kernel "$guest" --append "scenario=info,selftest-ipi" --vcpus 2 --memory 64M

edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor" 2>/dev/null)" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
		edu=${d##*/} && break
done
if [ -z "$edu" ] || [ "$(id -u)" != 0 ]; then
	echo
	echo "demo: no QEMU edu device here (or not root): on a real host, give a device to a"
	echo "demo: defined VM with: sudo passthru-ctl attach 0000:03:00.0 vm1"
	exit $status
fi

# A VM of its own: definitions, run files and logs in a scratch directory.
dir=$(mktemp -d /tmp/passthru-demo.XXXXXX) || exit 1
PASSTHRU_CONFIG_DIR=$dir/vms PASSTHRU_RUN_DIR=$dir/run PASSTHRU_LOG_DIR=$dir/log PASSTHRU_VMM=$vmm
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
trap '"$ctl" stop vm1 >/dev/null 2>&1; "$ctl" recover >/dev/null 2>&1; rm -rf "$dir"' EXIT
mkdir -p "$PASSTHRU_CONFIG_DIR"
cat >"$PASSTHRU_CONFIG_DIR/vm1.conf" <<EOF
# vm1: the project's test guest, waiting for a device to appear on its PCI bus
[vm]
name = vm1
memory = 64M
kernel = $guest
cmdline = scenario=rescan,spin find=0x1234:0x11e8 bar_read=0:0 wait_ms=60000
console = file:$dir/vm1.console
EOF
step "$ctl" start vm1
step "$ctl" attach "$edu" vm1
i=0
until grep -q '^TG result scenario=rescan' "$dir/vm1.console" 2>/dev/null || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo
echo "What the guest saw of the device (its console):"
grep -E '^TG (pci|pci-bar|pci-cap|result scenario=rescan)' "$dir/vm1.console" | sed 's/^/  /'
grep -q '^TG result scenario=rescan status=PASS .*read 0x10000ed"$' "$dir/vm1.console" || status=1
step "$ctl" status vm1
step "$ctl" detach "$edu" vm1
step "$ctl" stop vm1
exit $status
