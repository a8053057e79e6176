#!/bin/sh
# passthru-ctl prepare, release and recover in the QEMU testbed, a real
# passthrough host (tests/testbed/host-prep.sh boots it with the devices
# below). Every check compares the host's sysfs before and after: the driver
# link (full target), driver_override, the IOMMU group's members, /dev/vfio and
# the state directory.
#   edu (1234:11e8)      no host driver; vfio-pci unloaded first: prepare loads it
#   e1000e (8086:10d3)   taken from e1000e, given back, eth interface reappears
#   nvme (1b36:0010)     refused while its ext4 is mounted, then taken and given back
#   2 x e1000 (8086:100e) behind a pcie-pci-bridge: one IOMMU group
#   the 9p root (hostroot): refused, backs the root filesystem
# then every fault point of prepare and release (the test binary), each
# followed by recover, and concurrent prepares.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

[ "${PASSTHRU_TESTBED:-}" = 1 ] ||
	tap_skip_all "not inside the testbed (tests/testbed/host-prep.sh runs this test there)"
[ -d /sys/kernel/iommu_groups ] && [ -n "$(ls /sys/kernel/iommu_groups)" ] ||
	tap_skip_all "no IOMMU groups in this testbed"
faults="$top_builddir/tests/host/passthru-ctl-faults"
PASSTHRU_RUN_DIR=/run/passthru
export PASSTHRU_RUN_DIR
state=$PASSTHRU_RUN_DIR/devices

by_id() { # VENDOR DEVICE: every function with those IDs
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x$1:0x$2" ] && basename "$d"
	done
}
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
# What prepare and release may change, for the functions named.
snap() {
	for b in "$@"; do
		g=$(group_of "$b")
		echo "$b driver=$(readlink "/sys/bus/pci/devices/$b/driver")"
		echo "$b override=$(cat "/sys/bus/pci/devices/$b/driver_override")"
		echo "$b group $g: $(ls "/sys/kernel/iommu_groups/$g/devices" | tr '\n' ' ')"
	done
	echo "vfio: $(ls /dev/vfio 2>/dev/null | tr '\n' ' ')"
	echo "state: $(ls -A "$state" 2>/dev/null | tr '\n' ' ')"
}
same_as() { # FILE DESCRIPTION BDF...: snap equals FILE
	f=$1 what=$2
	shift 2
	snap "$@" > "$tap_tmp/now"
	if cmp -s "$f" "$tap_tmp/now"; then
		tap_ok 0 "$what"
	else
		tap_ok 1 "$what"
		diff "$f" "$tap_tmp/now" | sed 's/^/#   /'
	fi
}
wait_for() { # CONDITION...: up to 10 s
	i=0
	until "$@"; do
		[ $i -ge 100 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}
ms() { date +%s%3N; }

edu=$(by_id 1234 11e8 | head -n 1)
e1000e=$(by_id 8086 10d3 | head -n 1)
nvme=$(by_id 1b36 0010 | head -n 1)
set -- $(by_id 8086 100e)
e1000a=${1:-} e1000b=${2:-}
tap_diag "edu=$edu e1000e=$e1000e nvme=$nvme e1000=$e1000a,$e1000b"

# --- edu: vfio-pci not loaded, no host driver --------------------------------
if [ -n "$edu" ]; then
	g=$(group_of "$edu")
	rmmod vfio_pci 2>/dev/null
	tap_ok "$([ ! -d /sys/bus/pci/drivers/vfio-pci ]; echo $?)" "edu: vfio-pci is unloaded for the test"
	snap "$edu" > "$tap_tmp/edu0"
	t0=$(ms)
	"$ctl" prepare "$edu" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "edu: prepare exits 0 ($(($(ms) - t0)) ms)"
	tap_like "$(cat "$tap_tmp/err")" "$edu: loaded the vfio-pci module" "edu: prepare says it loaded vfio-pci"
	tap_like "$(cat "$tap_tmp/out")" "$edu: prepared: on vfio-pci (was no driver), /dev/vfio/$g" "edu: prepare reports it"
	tap_is "$(driver_of "$edu")" vfio-pci "edu: bound to vfio-pci"
	tap_ok "$([ -c "/dev/vfio/$g" ]; echo $?)" "edu: /dev/vfio/$g is a character device"
	tap_is "$(cat "/sys/bus/pci/devices/$edu/driver_override")" vfio-pci "edu: driver_override is vfio-pci"
	tap_is "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["phase"], d["vm"], d["original_driver"], d["original_override"], [s["step"] + ("" if s["done"] else "?") for s in d["steps"]])
' "$state/$edu.json")" "prepared None None None ['load-vfio-pci', 'override', 'probe']" \
		"edu: the record: prepared, no original driver, the steps made"
	"$ctl" devices --json "$edu" > "$tap_tmp/out"
	tap_like "$(tr -d ' \n' < "$tap_tmp/out")" '"prepared":true,"original_driver":null,"assigned_to":null' \
		"edu: devices shows it prepared"
	"$ctl" prepare "$edu" > "$tap_tmp/out" 2>&1
	tap_is "$?" 0 "edu: a second prepare exits 0"
	tap_like "$(cat "$tap_tmp/out")" "already prepared" "edu: and says it is already prepared"
	t0=$(ms)
	"$ctl" release "$edu" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "edu: release exits 0 ($(($(ms) - t0)) ms)"
	tap_like "$(cat "$tap_tmp/out")" "$edu: released: no driver, as before" "edu: release reports it"
	same_as "$tap_tmp/edu0" "edu: after prepare and release, driver, override, group, /dev/vfio, state are as before" "$edu"
	tap_ok "$([ -d /sys/bus/pci/drivers/vfio-pci ]; echo $?)" "edu: vfio-pci stays loaded"
else
	tap_diag "no edu device: its checks are left out"
fi

# --- e1000e: a real host driver and its network interface ---------------------
nets() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | tr '\n' ' '; }
if [ -n "$e1000e" ] && modprobe e1000e && wait_for test -n "$(nets "$e1000e")"; then
	tap_is "$(driver_of "$e1000e")" e1000e "e1000e: modprobe e1000e binds it (every module of the kernel is loadable)"
	if0=$(nets "$e1000e")
	snap "$e1000e" > "$tap_tmp/e0"
	t0=$(ms)
	"$ctl" prepare "$e1000e" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "e1000e: prepare exits 0 ($(($(ms) - t0)) ms)"
	tap_like "$(cat "$tap_tmp/out")" "prepared: on vfio-pci (was e1000e)" "e1000e: taken from e1000e"
	tap_is "$(driver_of "$e1000e")" vfio-pci "e1000e: on vfio-pci"
	tap_is "$(nets "$e1000e")" "" "e1000e: its interface ${if0}is gone"
	t0=$(ms)
	"$ctl" release "$e1000e" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "e1000e: release exits 0 ($(($(ms) - t0)) ms)"
	tap_like "$(cat "$tap_tmp/out")" "released: back on e1000e" "e1000e: given back to e1000e"
	wait_for test -n "$(nets "$e1000e")"
	tap_is "$(nets "$e1000e")" "$if0" "e1000e: its interface ${if0}reappears"
	same_as "$tap_tmp/e0" "e1000e: sysfs, /dev/vfio and state as before" "$e1000e"
else
	tap_diag "no e1000e device, or modprobe e1000e failed: its checks are left out"
	e1000e=
fi

# --- nvme: a mounted filesystem -------------------------------------------------
disk() { ls "/sys/bus/pci/devices/$1/nvme/"*/ 2>/dev/null | grep -m1 '^nvme[0-9]*n1$'; }
if [ -n "$nvme" ] && modprobe nvme && modprobe ext4 && wait_for test -n "$(disk "$nvme")"; then
	dev=$(disk "$nvme")
	wait_for test -b "/dev/$dev"
	mkdir -p /tmp/mnt
	if mount "/dev/$dev" /tmp/mnt; then
		snap "$nvme" > "$tap_tmp/n0"
		"$ctl" prepare "$nvme" > "$tap_tmp/out" 2> "$tap_tmp/err"
		tap_is "$?" 4 "nvme: prepare while mounted: exit 4"
		tap_like "$(cat "$tap_tmp/err")" "$nvme: refused: backs mounted filesystem /tmp/mnt ($dev) (--force overrides this)" \
			"nvme: the refusal names the mount"
		same_as "$tap_tmp/n0" "nvme: nothing changed" "$nvme"
		umount /tmp/mnt
	else
		tap_ok 1 "nvme: mount /dev/$dev /tmp/mnt"
	fi
	snap "$nvme" > "$tap_tmp/n0"
	"$ctl" prepare "$nvme" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "nvme: unmounted, prepare exits 0"
	tap_is "$(driver_of "$nvme")" vfio-pci "nvme: on vfio-pci"
	tap_ok "$([ ! -e "/dev/$dev" ]; echo $?)" "nvme: /dev/$dev is gone"
	"$ctl" release "$nvme" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "nvme: release exits 0"
	tap_is "$(driver_of "$nvme")" nvme "nvme: back on nvme"
	wait_for test -b "/dev/$dev"
	tap_ok "$([ -b "/dev/$dev" ]; echo $?)" "nvme: /dev/$dev is back"
	same_as "$tap_tmp/n0" "nvme: sysfs, /dev/vfio and state as before" "$nvme"
else
	tap_diag "no nvme device, or nvme/ext4 did not load: its checks are left out"
fi

# --- two e1000 in one group (behind a pcie-pci-bridge) ---------------------------
if [ -n "$e1000b" ] && modprobe e1000 && wait_for test "$(driver_of "$e1000b")" = e1000; then
	g=$(group_of "$e1000a")
	tap_is "$(group_of "$e1000b")" "$g" "e1000 pair: one IOMMU group ($g)"
	members=$(ls "/sys/kernel/iommu_groups/$g/devices" | tr '\n' ' ')
	snap $members > "$tap_tmp/g0"
	"$ctl" prepare "$e1000a" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 4 "e1000 pair: prepare of one: exit 4"
	tap_like "$(cat "$tap_tmp/err")" "$e1000a: refused: group $g is shared with $e1000b which is bound to host driver e1000 (--group would take it too)" \
		"e1000 pair: the refusal names the other, its driver, and --group"
	same_as "$tap_tmp/g0" "e1000 pair: nothing changed" $members
	"$ctl" prepare --group "$e1000a" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "e1000 pair: prepare --group exits 0"
	tap_is "$(driver_of "$e1000a") $(driver_of "$e1000b")" "vfio-pci vfio-pci" "e1000 pair: both on vfio-pci"
	bridge=$(for m in $members; do [ "$m" != "$e1000a" ] && [ "$m" != "$e1000b" ] && echo "$m"; done | head -n 1)
	[ -n "$bridge" ] && tap_like "$(cat "$tap_tmp/out")" "member $bridge is on no driver: it does not keep the group from a VM" \
		"e1000 pair: the driverless bridge does not block, and prepare says so"
	"$ctl" release --group "$e1000b" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 0 "e1000 pair: release --group exits 0"
	tap_is "$(driver_of "$e1000a") $(driver_of "$e1000b")" "e1000 e1000" "e1000 pair: both back on e1000"
	same_as "$tap_tmp/g0" "e1000 pair: sysfs, /dev/vfio and state as before" $members
else
	tap_diag "no e1000 pair, or modprobe e1000 failed: its checks are left out"
fi

# --- the root filesystem's device -------------------------------------------------
rootdev=
for v in /sys/bus/virtio/devices/*; do
	[ "$(tr -d '\0' < "$v/mount_tag" 2>/dev/null)" = hostroot ] &&
		rootdev=$(basename "$(dirname "$(readlink -f "$v")")")
done
if [ -n "$rootdev" ]; then
	snap "$rootdev" > "$tap_tmp/r0"
	"$ctl" prepare "$rootdev" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 4 "root device $rootdev: prepare exits 4"
	tap_like "$(cat "$tap_tmp/err")" "$rootdev: refused: backs the root filesystem (9p tag hostroot) (--force overrides this)" \
		"root device: refused naming the root filesystem, and --force is explicit"
	same_as "$tap_tmp/r0" "root device: nothing changed" "$rootdev"
fi

# --- crash safety: every fault point, then recover -------------------------------
walk() { # DEVICE POINT...
	dev=$1
	shift
	snap "$dev" > "$tap_tmp/w0"
	for point in "$@"; do
		case $point in release:*)
			"$ctl" prepare "$dev" > /dev/null 2>&1 || tap_diag "prepare before $point failed" ;;
		esac
		cmd=${point%%:*}
		PASSTHRU_FAULT=$point "$faults" "$cmd" "$dev" > /dev/null 2> "$tap_tmp/err"
		rc=$?
		tap_is "$rc" 137 "$dev $point: the test binary was killed there (SIGKILL)"
		if [ "$point" = prepare:after-prepared ]; then
			"$ctl" recover > "$tap_tmp/out" 2>&1
			tap_like "$(cat "$tap_tmp/out")" "$dev: kept: prepared by an admin" "$dev $point: complete: recover keeps it"
			"$ctl" release "$dev" > /dev/null 2>&1
			same_as "$tap_tmp/w0" "$dev $point: release restores it" "$dev"
			continue
		fi
		"$ctl" recover > "$tap_tmp/out" 2> "$tap_tmp/err"
		tap_is "$?" 0 "$dev $point: recover exits 0"
		tap_like "$(cat "$tap_tmp/out")" "$dev: an interrupted ${cmd}" "$dev $point: recover reports the interrupted $cmd"
		same_as "$tap_tmp/w0" "$dev $point: recover restored driver, override, /dev/vfio, state" "$dev"
		"$ctl" recover > "$tap_tmp/out" 2> "$tap_tmp/err"
		tap_like "$(cat "$tap_tmp/out")" "nothing to recover" "$dev $point: a second recover has nothing to do"
		same_as "$tap_tmp/w0" "$dev $point: and changes nothing" "$dev"
	done
}
if [ -n "$e1000e" ]; then
	walk "$e1000e" prepare:after-record prepare:after-unbind prepare:after-override \
		prepare:after-probe prepare:after-prepared \
		release:after-record release:after-unbind release:after-override release:after-rebind
	tap_ok "$([ -n "$(nets "$e1000e")" ] || wait_for test -n "$(nets "$e1000e")"; echo $?)" \
		"e1000e: its interface is back after the walk"
fi
if [ -n "$edu" ] && rmmod vfio_pci 2>/dev/null; then
	walk "$edu" prepare:after-load-vfio-pci
fi

# --- concurrency -------------------------------------------------------------------
if [ -n "$e1000e" ]; then
	snap "$e1000e" > "$tap_tmp/c0"
	PASSTHRU_FAULT=prepare:after-unbind:pause "$faults" prepare "$e1000e" > /dev/null 2> "$tap_tmp/holder" &
	holder=$!
	wait_for grep -q "fault point" "$tap_tmp/holder"
	"$ctl" prepare "$e1000e" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 4 "concurrency: a prepare while another holds the device: exit 4"
	tap_like "$(cat "$tap_tmp/err")" "$e1000e is busy: passthru-ctl prepare (pid $holder) holds it; nothing was changed" \
		"concurrency: the loser names the holder"
	kill -9 "$holder"
	wait "$holder" 2> /dev/null
	"$ctl" recover > /dev/null 2>&1
	same_as "$tap_tmp/c0" "concurrency: recover after killing the holder restores it" "$e1000e"
fi
if [ -n "$edu" ]; then
	snap "$edu" > "$tap_tmp/c0"
	"$ctl" prepare "$edu" > "$tap_tmp/p1" 2>&1 &
	p1=$!
	"$ctl" prepare "$edu" > "$tap_tmp/p2" 2>&1 &
	p2=$!
	wait "$p1"; r1=$?
	wait "$p2"; r2=$?
	outs=$(cat "$tap_tmp/p1" "$tap_tmp/p2")
	won=$(grep -c "prepared: on vfio-pci" "$tap_tmp/p1" "$tap_tmp/p2" | awk -F: '{ n += $2 } END { print n }')
	tap_is "$won" 1 "concurrency: two prepares at once: exactly one binds ($r1, $r2)"
	case $outs in
	*"holds it"* | *"already prepared"*) tap_ok 0 "concurrency: the other names the holder or finds it prepared" ;;
	*) tap_ok 1 "concurrency: the other names the holder or finds it prepared"; tap_diag "$outs" ;;
	esac
	tap_is "$(driver_of "$edu")" vfio-pci "concurrency: edu ends on vfio-pci"
	"$ctl" release "$edu" > /dev/null 2>&1
	same_as "$tap_tmp/c0" "concurrency: release restores edu" "$edu"
fi

# --- stop gives back what a VM held ------------------------------------------------
if [ -n "$edu" ]; then
	snap "$edu" > "$tap_tmp/s0"
	"$ctl" prepare "$edu" > /dev/null 2>&1
	# What attach (issue 10) will write: the record names the VM.
	python3 -c '
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["vm"] = "gone"
json.dump(d, open(p, "w"))
' "$state/$edu.json"
	mkdir -p /tmp/vms
	printf '[vm]\nname = gone\nmemory = 64M\nvcpus = 1\nkernel = /bin/true\n' > /tmp/vms/gone.conf
	"$ctl" devices "$edu" > "$tap_tmp/out" 2>&1
	tap_like "$(cat "$tap_tmp/out")" "prepared by passthru for VM gone, original driver none" "devices names the VM a function is prepared for"
	"$ctl" --config-dir /tmp/vms stop gone > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 5 "stop of a VM that does not run: exit 5"
	tap_like "$(cat "$tap_tmp/out")" "$edu: given back to no driver (VM gone no longer runs)" "stop gives back the VM's functions"
	same_as "$tap_tmp/s0" "stop: edu as before prepare" "$edu"
fi

# --- check BDF: the preflight on real devices ------------------------------------
finding() { # BDF KEY [ARGS]: "result|evidence" from check --json
	b=$1 k=$2
	shift 2
	"$ctl" check --json "$b" "$@" > "$tap_tmp/chk" 2> "$tap_tmp/chkerr"
	echo $? > "$tap_tmp/chkrc"
	python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["findings"].get(sys.argv[2])
print("absent" if f is None else "%s|%s" % (f["result"], f["evidence"]))
' "$tap_tmp/chk" "$k"
}
if [ -n "$edu" ]; then
	tap_like "$(finding "$edu" reset)" "warning|no FLR and no PM reset in config space, and on a root bus no bus reset either" \
		"check edu: it has no reset at all, and says so"
	tap_like "$(finding "$edu" rom)" "yes|no option ROM BAR" "check edu: no ROM"
	tap_like "$(finding "$edu" interrupt_remapping)" "yes|" "check edu: interrupt remapping in use"
	tap_is "$(cat "$tap_tmp/chkrc")" 0 "check edu: exit 0"
fi
if [ -n "$e1000e" ]; then
	snap "$e1000e" > "$tap_tmp/k0"
	tap_like "$(finding "$e1000e" rom)" "yes|option ROM valid: 0x55AA, PCIR at 0x1c for 8086:10d3" \
		"check e1000e: QEMU's option ROM is valid for it"
	tap_like "$(finding "$e1000e" reset)" "yes|reset_method: " "check e1000e: the kernel's reset methods"
	same_as "$tap_tmp/k0" "check e1000e: nothing changed (driver, override, state)" "$e1000e"
fi
if [ -n "$e1000b" ] && [ "$(driver_of "$e1000b")" = e1000 ]; then
	tap_like "$(finding "$e1000a" acs)" "warning|it is behind PCIe-to-PCI bridge" \
		"check e1000: the PCIe-to-PCI bridge is why the group is shared"
	tap_like "$(finding "$e1000a" group)" "no|group $(group_of "$e1000a") is not viable: $e1000b (e1000) is on a host driver" \
		"check e1000: the group is not viable, naming the member and its driver"
	tap_is "$(cat "$tap_tmp/chkrc")" 3 "check e1000: exit 3"
	tap_like "$(finding "$e1000a" reset)" "a bus reset would also reset" "check e1000: a bus reset names the functions it also resets"
fi
# A group whose reserved regions cover low memory (a direct-mapped range), if any.
low=
for g in /sys/kernel/iommu_groups/*; do
	grep -q '^0x0000000000000000 ' "$g/reserved_regions" 2>/dev/null || continue
	low=$(ls "$g/devices" | head -n 1)
	break
done
mkdir -p /tmp/vms
printf '[vm]\nname = small\nmemory = 64M\nvcpus = 1\nkernel = /bin/true\n' > /tmp/vms/small.conf
if [ -n "$low" ]; then
	tap_like "$(finding "$low" reserved_iova --config-dir /tmp/vms --vm small)" "no|group $(group_of "$low") reserves 0-" \
		"check --vm: a reserved range inside the VM's RAM is named ($low)"
	tap_like "$(finding "$low" memlock --config-dir /tmp/vms --vm small)" "yes|VM small pins 64 MiB" "check --vm: memlock"
else
	tap_diag "no group with a reserved range at 0 in this testbed"
fi
if [ -n "$edu" ]; then
	tap_like "$(finding "$edu" reserved_iova --config-dir /tmp/vms --vm small)" "yes|none of group $(group_of "$edu")'s" \
		"check --vm: edu's reserved ranges stay clear of the VM's RAM"
fi

tap_done
