#!/bin/sh
# Device reset at assignment and before release, and which reset was used, with
# real devices on vfio-pci in the testbed. Each topology is checked when the
# testbed has it (make check-testbed boots edu, e1000e and pci-testdev; the rest
# comes from testbed-run options, see below):
#
#   edu on the root bus            --device edu
#     No FLR, no PM reset, and no bus reset (no bridge above it to reset): VFIO
#     offers no VFIO_DEVICE_RESET and VFIO_DEVICE_GET_PCI_HOT_RESET_INFO answers
#     ENODEV. "reset": "none", saying so; the assignment works all the same.
#   edu alone behind the root port rp1     --device edu,bus=rp1
#     The testbed's 6.1 kernel lists reset_method "bus" (a secondary bus reset of
#     rp1, which has nothing else below it): VFIO_DEVICE_RESET, "reset": "bus".
#   e1000e (on the root bus)       --device e1000e
#     QEMU's e1000e has no FLR; its PCI power management can reset it (No_Soft_Reset
#     clear): reset_method "pm", "reset": "pm".
#   two e1000 behind a PCIe-to-PCI bridge   --device pcie-pci-bridge,id=br0,addr=0x13
#     --device e1000,bus=br0,addr=0x1 --device e1000,bus=br0,addr=0x2
#     Neither has FLR or PM reset and they share the bus, so the kernel has no reset
#     for either alone. Its reset_method says "bus" for the first, empty for the
#     second: the kernel probes the methods as each function is added, and the first
#     was still alone on the bus then; the bus reset it lists fails (ENOTTY) once
#     the second is there, so VFIO offers neither a VFIO_DEVICE_RESET. The bridge and
#     both e1000 are one IOMMU group, so the VM that gets one e1000 holds the group
#     of the other too: nobody else can be using it, VFIO accepts that group's fd,
#     and the hot reset (VFIO_DEVICE_PCI_HOT_RESET) is done, naming the companion
#     it also reset. A companion in a group the VM does not hold would stop it
#     ("none", naming the companion and its group); that needs a bus shared across
#     IOMMU groups (ACS), which this testbed cannot make: tests/vfio/test-reset-plan
#     covers it. Both e1000 in one VM: the first's hot reset at assignment covers the
#     second before it is assigned; the second gets none (it would reset the first,
#     the guest's by then), and the first's hot reset before release covers both.
#
# passthru-ctl status VM (and --json) shows the reset of a definition's device.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
ctl=$top_builddir/src/ctl/passthru-ctl
guest=$top_builddir/tests/guest/guest.elf
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 drives the control socket"
tmp=$tap_tmp

functions() { # VENDOR DEVICE: the functions with those IDs, one a line
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] && echo "${d##*/}"
	done
}
edu_root= edu_rp=
for b in $(functions 0x1234 0x11e8); do
	case $b in
	0000:00:*) edu_root=${edu_root:-$b} ;;
	*) edu_rp=${edu_rp:-$b} ;;
	esac
done
nic=$(functions 0x8086 0x10d3 | head -n 1)
# Two e1000 (8086:100e) on one bus that is not the root bus.
e1=
e2=
for b in $(functions 0x8086 0x100e); do
	case $b in 0000:00:*) continue ;; esac
	if [ -z "$e1" ]; then
		e1=$b
	elif [ -z "$e2" ] && [ "${b%:*}" = "${e1%:*}" ]; then
		e2=$b
	fi
done
[ -n "$edu_root$edu_rp$nic$e2" ] || tap_skip_all "no edu, e1000e or e1000 pair in this testbed"

sys() { echo "/sys/bus/pci/devices/$1"; }
driver_of() { [ -e "$(sys "$1")/driver" ] && basename "$(readlink "$(sys "$1")/driver")"; }
group_of() { basename "$(readlink "$(sys "$1")/iommu_group")"; }
reset_method() { cat "$(sys "$1")/reset_method" 2>/dev/null; }

# bind BDF: to vfio-pci, as passthru-ctl prepare does; given back at exit.
taken=
bind() {
	orig=$(driver_of "$1")
	[ "$orig" = vfio-pci ] && return 0
	[ -n "$orig" ] && echo "$1" >"$(sys "$1")/driver/unbind"
	echo vfio-pci >"$(sys "$1")/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe
	taken="$taken $1=$orig"
}
vmpid=
cleanup() {
	[ -n "$vmpid" ] && kill "$vmpid" 2>/dev/null && wait "$vmpid" 2>/dev/null
	"$ctl" stop --force rst1 >/dev/null 2>&1
	for t in $taken; do
		b=${t%%=*} orig=${t#*=}
		[ "$(driver_of "$b")" = vfio-pci ] && echo "$b" >"$(sys "$b")/driver/unbind"
		echo >"$(sys "$b")/driver_override"
		[ -n "$orig" ] && echo "$b" >/sys/bus/pci/drivers_probe
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# vm NAME BDF...: passthru-vmm -v with those devices and a guest that lists its bus and
# spins; the devices verb's reply in $tmp/NAME.json, the VMM's log in NAME.err, the
# guest's console in NAME.out, the VMM's exit status in NAME.rc.
vm() {
	name=$1
	shift
	for b in "$@"; do set -- "$@" --device "$b"; shift; done
	"$vmm" -v --kernel "$guest" --memory 64M --socket "$tmp/$name.sock" \
		--append "scenario=info,spin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
	vmpid=$!
	timeout 200 python3 - "$tmp/$name.sock" "$tmp/$name.out" "$vmpid" \
		>"$tmp/$name.json" 2>"$tmp/$name.py" <<'PY'
import json, os, socket, sys, time
path, out, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])

def call(verb):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((json.dumps({"execute": verb}) + "\n").encode())
    reply = json.loads(s.makefile("r").readline())
    s.close()
    return reply.get("return")

end = time.time() + 150
while True:
    if time.time() > end:
        sys.exit("the guest never reached its spin")
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the VMM ended first")
    try:
        if any(l.startswith("TG ready scenario=spin") for l in open(out)):
            break
    except OSError:
        pass
    time.sleep(0.2)
print(json.dumps(call("devices")))
call("stop")
PY
	kill -0 "$vmpid" 2>/dev/null && sleep 2
	kill "$vmpid" 2>/dev/null
	wait "$vmpid"
	echo $? >"$tmp/$name.rc"
	vmpid=
}
field() { # NAME BDF KEY: that device's KEY in NAME's devices reply ("" when absent)
	python3 -c 'import json, sys
for d in json.load(open(sys.argv[1])):
    if d["host"] == sys.argv[2]:
        v = d.get(sys.argv[3], "")
        print(str(v).lower() if isinstance(v, bool) else v)' "$tmp/$1.json" "$2" "$3" 2>/dev/null
}
logged() { grep -F -- "$2" "$tmp/$1.err" >/dev/null; }
found() { # NAME VENDOR DEVICE: the guest lists a function with those IDs
	grep -Eq "^TG pci bdf=.* vendor=$2 device=$3 " "$tmp/$1.out"
}
say() { sed 's/^/# /' "$tmp/$1.err" "$tmp/$1.py" | tail -n 15; }

# -- a definition's device through passthru-ctl: status shows its reset
if [ -n "$edu_root" ]; then
	PASSTHRU_CONFIG_DIR="$tmp/vms" PASSTHRU_RUN_DIR="$tmp/run" PASSTHRU_LOG_DIR="$tmp/log"
	PASSTHRU_VMM=$vmm
	export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
	unset PASSTHRU_LOG
	mkdir -p "$PASSTHRU_CONFIG_DIR"
	drv0=$(driver_of "$edu_root")
	printf '[vm]\nname = rst1\nmemory = 64M\nkernel = %s\ncmdline = scenario=info,spin\nconsole = file:%s/rst1.console\n[device %s]\n' \
		"$guest" "$tmp" "$edu_root" >"$PASSTHRU_CONFIG_DIR/rst1.conf"
	"$ctl" start rst1 >"$tmp/start.out" 2>&1
	tap_is "$?" 0 "passthru-ctl start: a VM with edu ($edu_root) in its definition"
	for _ in $(seq 300); do
		grep -q '^TG ready scenario=spin' "$tmp/rst1.console" 2>/dev/null && break
		sleep 0.2
	done
	"$ctl" status rst1 --json >"$tmp/status.json" 2>&1
	tap_is "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["devices"][0]
print(d["host"], d["reset"], "root bus" in d.get("reset_detail", ""))' "$tmp/status.json" 2>&1)" \
		"$edu_root none True" "status --json: the device's \"reset\" is \"none\", and reset_detail says why"
	"$ctl" status rst1 >"$tmp/status.txt" 2>&1
	tap_match "$(cat "$tmp/status.txt")" '^ +reset at assignment: none \(no FLR, PM or bus reset of its own, .*root bus.*\)$' \
		"status: a line says which reset the device got, and why none"
	"$ctl" stop rst1 >/dev/null 2>&1
	tap_is "$(driver_of "$edu_root")" "$drv0" "passthru-ctl stop gave edu back (to ${drv0:-no driver})"
	grep -q "$edu_root: no reset before release: " "$PASSTHRU_LOG_DIR/rst1.log"
	tap_ok $? "the VM's log says it had no reset before release either"
else
	tap_ok 0 "# SKIP no edu on the root bus (--device edu)"
fi

# -- edu on the root bus: no reset of any kind
if [ -n "$edu_root" ]; then
	bind "$edu_root"
	tap_diag "edu $edu_root: group $(group_of "$edu_root"), reset_method '$(reset_method "$edu_root")'"
	vm root "$edu_root"
	tap_is "$(cat "$tmp/root.rc")" 0 "edu on the root bus is assigned and the VM runs"
	[ "$(cat "$tmp/root.rc")" = 0 ] || say root
	found root 0x1234 0x11e8
	tap_ok $? "the guest finds it: no reset is no reason to refuse the device"
	tap_is "$(field root "$edu_root" reset)" none "devices: \"reset\": \"none\""
	tap_like "$(field root "$edu_root" reset_detail)" \
		"no FLR, PM or bus reset of its own, and its slot or bus cannot be reset either" \
		"reset_detail: it has no reset and no hot reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: ENODEV)"
	tap_is "$(field root "$edu_root" reset_error)" "" "no reset_error: none was tried"
	logged root "warning: $edu_root: no reset at assignment: no FLR, PM or bus reset" &&
		logged root "$edu_root: assigned (vfio) at guest 00:" && logged root ", reset: none"
	tap_ok $? "the log warns at assignment and the assigned line says reset: none"
	logged root "warning: $edu_root: no reset before release: "
	tap_ok $? "and warns again before release"
else
	tap_ok 0 "# SKIP no edu on the root bus (--device edu)"
fi

# -- edu alone behind rp1: the kernel's bus reset through VFIO_DEVICE_RESET
if [ -n "$edu_rp" ]; then
	bind "$edu_rp"
	tap_is "$(reset_method "$edu_rp")" bus "edu $edu_rp behind rp1: the kernel's reset_method is 'bus'"
	vm rp "$edu_rp"
	tap_is "$(cat "$tmp/rp.rc")" 0 "edu behind rp1 is assigned and the VM runs"
	[ "$(cat "$tmp/rp.rc")" = 0 ] || say rp
	found rp 0x1234 0x11e8
	tap_ok $? "the guest finds it"
	tap_is "$(field rp "$edu_rp" reset) $(field rp "$edu_rp" reset_error)" "bus " \
		"devices: \"reset\": \"bus\", no error"
	logged rp "$edu_rp: reset at assignment: bus" && logged rp "$edu_rp: reset before release: bus"
	tap_ok $? "the log says bus, at assignment and before release"
else
	tap_ok 0 "# SKIP no edu behind rp1 (--device edu,bus=rp1)"
fi

# -- e1000e: its own (PM) reset through VFIO_DEVICE_RESET
if [ -n "$nic" ]; then
	bind "$nic"
	tap_is "$(reset_method "$nic")" "pm" "e1000e $nic: the kernel's reset_method is 'pm' (no FLR)"
	vm nic "$nic"
	tap_is "$(cat "$tmp/nic.rc")" 0 "e1000e is assigned and the VM runs"
	[ "$(cat "$tmp/nic.rc")" = 0 ] || say nic
	tap_is "$(field nic "$nic" reset) $(field nic "$nic" reset_error)" "pm " \
		"devices: \"reset\": \"pm\", no error"
	logged nic "$nic: reset at assignment: pm" && logged nic "$nic: reset before release: pm"
	tap_ok $? "the log says pm, at assignment and before release"
else
	tap_ok 0 "# SKIP no e1000e (--device e1000e)"
fi

# -- two e1000 behind one bridge, one IOMMU group: a hot reset
if [ -n "$e2" ]; then
	bind "$e1"
	bind "$e2"
	tap_is "$(group_of "$e1")" "$(group_of "$e2")" "$e1 and $e2 share IOMMU group $(group_of "$e1")"
	tap_is "$(reset_method "$e1")|$(reset_method "$e2")" "bus|" \
		"reset_method: 'bus' for $e1 (probed while it was alone on the bus), none for $e2"
	vm pair "$e1"
	tap_is "$(cat "$tmp/pair.rc")" 0 "$e1 alone is assigned and the VM runs"
	[ "$(cat "$tmp/pair.rc")" = 0 ] || say pair
	found pair 0x8086 0x100e
	tap_ok $? "the guest finds it"
	tap_is "$(field pair "$e1" reset) $(field pair "$e1" reset_error)" "hot-reset " \
		"devices: \"reset\": \"hot-reset\" (its group's fd proves the bus is the VM's), no error"
	tap_is "$(field pair "$e1" reset_detail)" "with $e2" "reset_detail names the companion it reset too"
	if logged pair "$e1: VFIO_DEVICE_RESET: the kernel has no"; then
		tap_diag "VFIO offered $e1 a reset, which failed with ENOTTY: the hot reset came after it"
	else
		tap_diag "VFIO offered $e1 no reset of its own (VFIO_DEVICE_FLAGS_RESET clear)"
	fi
	logged pair "$e1: reset at assignment: hot-reset, with $e2" &&
		logged pair "$e1: reset before release: hot-reset, with $e2"
	tap_ok $? "the log says hot-reset and names $e2, at assignment and before release"
	# Both in one VM: what the header says of the pair's resets.
	vm both "$e1" "$e2"
	tap_is "$(cat "$tmp/both.rc")" 0 "both e1000 of group $(group_of "$e1") in one VM: assigned, the VM runs"
	[ "$(cat "$tmp/both.rc")" = 0 ] || say both
	tap_is "$(grep -Ec '^TG pci bdf=.* vendor=0x8086 device=0x100e ' "$tmp/both.out")" 2 \
		"the guest finds both"
	tap_is "$(field both "$e1" reset) $(field both "$e1" reset_detail)" "hot-reset with $e2" \
		"$e1 (assigned first): a hot reset, which resets $e2 too before it is assigned"
	tap_is "$(field both "$e2" reset)" none "$e2: no reset of its own at assignment"
	tap_like "$(field both "$e2" reset_detail)" "would also reset $e1, which is assigned to this VM too" \
		"... and reset_detail says a hot reset would disturb $e1, the guest's by then"
	logged both "$e1: reset before release: hot-reset, with $e2"
	tap_ok $? "before release, $e1's hot reset covers $e2 again"
else
	tap_ok 0 "# SKIP no two e1000 behind a bridge (see the comment at the top)"
fi
tap_done
