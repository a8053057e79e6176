#!/bin/sh
# passthru-ctl attach and detach with a real device (QEMU's edu) in the testbed, as an
# admin uses them: on a VM that does not run (its definition gains and loses the
# device, byte for byte otherwise), on a running VM (edu taken to vfio-pci, handed to
# the VMM, found by the guest's rescan and read through its BAR; detach gives it back
# to its original driver), 20 rounds with no growth in the VMM's fds, memory slots or
# routes, the refusals that must change nothing, and the devices of a definition
# taken by start and run and given back by stop and by the end of run.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
vmm=$top_builddir/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
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
unset PASSTHRU_LOG
mkdir -p "$PASSTHRU_CONFIG_DIR"

driver() { # the driver edu is bound to, or "none"
	if [ -e "$dev/driver" ]; then basename "$(readlink "$dev/driver")"; else echo none; fi
}
drv0=$(driver)
override0=$(cat "$dev/driver_override")
cleanup() {
	for vm in vm1 vm2 vm3 vm4; do "$ctl" stop --force "$vm" >/dev/null 2>&1; done
	"$ctl" recover >/dev/null 2>&1
	rm -rf "$tap_tmp"
}
trap cleanup EXIT

define() { # NAME CMDLINE [MORE LINES...]
	name=$1 cmdline=$2
	shift 2
	{
		printf '# %s: a test VM\n[vm]\nname = %s\nmemory = 64M\nkernel = %s\n' "$name" "$name" "$guest"
		printf 'cmdline = %s\nconsole = file:%s/%s.console\n' "$cmdline" "$tap_tmp" "$name"
		for k in "$@"; do echo "$k"; done
	} >"$PASSTHRU_CONFIG_DIR/$name.conf"
}
run() { # CMD...: sets out, err, rc
	"$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
	rc=$?
	out=$(cat "$tap_tmp/out")
	err=$(cat "$tap_tmp/err")
}
say() { printf '%s\n%s\n' "$out" "$err" | sed 's/^/# /'; }
wait_for() { # FILE REGEX SECONDS
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	sed 's/^/# /' "$1" 2>/dev/null | tail -20
	return 1
}
json() { # EXPR over the JSON on stdin (d)
	python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
record_vm() { # the VM edu's state record names, "none" without a record
	f=$PASSTHRU_RUN_DIR/devices/$edu.json
	if [ -f "$f" ]; then json 'd["vm"]' <"$f"; else echo none; fi
}
unchanged() { # MESSAGE: edu on its first driver, no record
	tap_ok "$([ "$(driver)" = "$drv0" ] && [ "$(record_vm)" = none ] &&
		[ "$(cat "$dev/driver_override")" = "$override0" ]; echo $?)" "$1"
}
echo "# edu is $edu, on $drv0 at the start"

# -- a VM that does not run: its definition
define vm1 "scenario=rescan,spin find=0x1234:0x11e8 bar_read=0:0 wait_ms=120000"
cp "$PASSTHRU_CONFIG_DIR/vm1.conf" "$tap_tmp/vm1.orig"
run "$ctl" attach "$edu" vm1
tap_is "$rc" 0 "attach to a VM that does not run: exit 0"
tap_like "$out" "added to vm1's definition" "it says the definition gained the device"
grep -q "^\[device $edu\]" "$PASSTHRU_CONFIG_DIR/vm1.conf"
tap_ok $? "the definition has a [device $edu] section"
unchanged "the host is not touched"
run "$ctl" validate "$PASSTHRU_CONFIG_DIR/vm1.conf"
tap_is "$rc" 0 "the edited definition validates"
run "$ctl" detach "$edu" vm1
tap_is "$rc" 0 "detach from a VM that does not run: exit 0"
cmp -s "$PASSTHRU_CONFIG_DIR/vm1.conf" "$tap_tmp/vm1.orig"
tap_ok $? "the definition is byte for byte as before"

# -- a running VM
run "$ctl" start vm1
tap_is "$rc" 0 "vm1 starts without devices"; [ "$rc" = 0 ] || say
wait_for "$tap_tmp/vm1.console" '^TG ready scenario=rescan' 60
tap_ok $? "its guest walks its bus, waiting for edu"
run "$ctl" attach "$edu" vm1
tap_is "$rc" 0 "attach $edu vm1: exit 0"; [ "$rc" = 0 ] || say
tap_match "$out" "attached to vm1 as guest 00:[0-9a-f]{2}\.0 \(1234:11e8" "it names the guest slot and the IDs"
tap_match "$out" "attached to vm1 .*, reset (none|bus)\)$" "and the reset edu got (none on the root bus, bus behind a port)"
tap_diag "$out"
tap_is "$(driver)" vfio-pci "edu is on vfio-pci"
tap_is "$(record_vm)" vm1 "its state record names vm1"
wait_for "$tap_tmp/vm1.console" '^TG result scenario=rescan status=PASS detail="found 00:[0-9a-f]{2}\.0 bar0=0x[0-9a-f]+ read 0x10000ed"$' 60
tap_ok $? "the guest finds edu and reads its ID register (0x010000ed) through BAR0"
run "$ctl" status vm1 --json
tap_is "$(printf '%s' "$out" | json '[x["host"] for x in d["devices"]]')" "['$edu']" "status --json lists the device"
tap_is "$(printf '%s' "$out" | json 'd["devices"][0]["bars"][0]["access"]')" mapped "BAR0 is a memory slot (mapped)"
run "$ctl" attach "$edu" vm1
tap_is "$rc" 0 "attaching it again: exit 0"
tap_like "$out" "already attached" "it says so"
run "$ctl" detach "$edu" vm1
tap_is "$rc" 0 "detach $edu vm1: exit 0"; [ "$rc" = 0 ] || say
tap_like "$out" "detached from vm1" "it says so"
unchanged "edu is back on $drv0, its record gone"
run "$ctl" status vm1 --json
tap_is "$(printf '%s' "$out" | json 'd["vmm"]["devices"]')" 0 "the VMM has no device left"

# -- the host asks for edu back: an admin unbinds it from vfio-pci under the running VM
"$ctl" attach "$edu" vm1 >/dev/null 2>&1
tap_is "$(driver)" vfio-pci "edu attached again"
timeout 60 sh -c "echo $edu > /sys/bus/pci/drivers/vfio-pci/unbind"
tap_is "$?" 0 "unbinding it from vfio-pci returns: the VMM let go of it at the host's request"
run "$ctl" status vm1 --json
tap_is "$(printf '%s' "$out" | json '(d["state"], d["vmm"]["devices"])')" "('running', 0)" "vm1 runs on without edu"
grep -q "$edu: the host asks for the device back" "$PASSTHRU_LOG_DIR/vm1.log"
tap_ok $? "the VMM's log says why edu left"
run "$ctl" recover
tap_like "$out" "whose VMM does not have it" "recover finds the record of a device vm1 no longer has"
unchanged "and puts edu back as it was (driver, driver_override, no record)"

# -- 20 rounds: nothing grows
pid=$("$ctl" status vm1 --json | json 'd["pid"]')
tap_ok "$([ -n "$pid" ] && [ -d "/proc/$pid/fd" ]; echo $?)" "vm1's VMM (pid $pid) is there to count"
counts() { # fds, memory slots, route entries, MSI routes, irqfds of vm1's VMM
	n=$(ls "/proc/$pid/fd" | wc -l)
	for _ in 1 2 3 4 5 6 7 8 9 10; do # a closed client's fd goes at the next poll
		sleep 0.05
		m=$(ls "/proc/$pid/fd" | wc -l)
		[ "$m" = "$n" ] && break
		n=$m
	done
	s=$("$ctl" status vm1 --json | json 'd["vmm"]["memory_slots"]')
	r=$("$ctl" routes vm1 --json | json '(d["entries"], d["msi_routes"], d["irqfds"])')
	echo "fds=$n slots=$s routes=$r"
}
before=$(counts)
ok=0
i=0
while [ $i -lt 20 ]; do
	"$ctl" attach "$edu" vm1 >"$tap_tmp/round" 2>&1 && "$ctl" detach "$edu" vm1 >>"$tap_tmp/round" 2>&1 ||
		{ sed 's/^/# /' "$tap_tmp/round"; break; }
	ok=$((ok + 1))
	i=$((i + 1))
done
tap_is "$ok" 20 "20 rounds of attach and detach"
tap_is "$(counts)" "$before" "no growth in fds, memory slots or routes ($before)"
unchanged "after the rounds edu is on $drv0 with no record"

# -- refusals change nothing
run "$ctl" attach 0000:zz:00.0 vm1
tap_is "$rc" 2 "a bad PCI address: exit 2"
run "$ctl" attach 0000:00:1f.7 vm1
tap_is "$rc" 5 "a function the host lacks: exit 5"
tap_like "$err" "no PCI function 0000:00:1f.7" "it names it"
run "$ctl" attach "$edu" nosuchvm
tap_is "$rc" 5 "a VM that is not defined: exit 5"
define vm3 "scenario=spin" "[device $edu]" "backend = legacy"
run "$ctl" attach "$edu" vm3
tap_is "$rc" 6 "backend = legacy on this kernel: exit 6"
tap_like "$err" "4.12" "it says the interface was removed in Linux 4.12"
unchanged "none of these touched edu"

define vm2 "scenario=rescan,spin find=0x1234:0x11e8 wait_ms=120000"
"$ctl" attach "$edu" vm1 >/dev/null 2>&1
run "$ctl" start vm2
tap_is "$rc" 0 "vm2 starts"; [ "$rc" = 0 ] || say
run "$ctl" attach "$edu" vm2
tap_is "$rc" 4 "attach of a device another running VM has: exit 4"
tap_like "$err" "assigned to VM vm1, which runs" "it names the VM that has it"
tap_is "$(record_vm)" vm1 "vm1 keeps it"
"$ctl" detach "$edu" vm1 >/dev/null 2>&1
"$ctl" stop vm2 >/dev/null 2>&1

# The VMM cannot pin guest RAM for DMA: root's CAP_IPC_LOCK dropped, memlock 1 MiB.
if command -v setpriv >/dev/null 2>&1; then
	run setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock -- sh -c \
		'ulimit -l 1024 && exec "$0" start vm2' "$ctl"
	tap_is "$rc" 0 "vm2 starts with memlock 1 MiB and no CAP_IPC_LOCK"; [ "$rc" = 0 ] || say
	run "$ctl" attach "$edu" vm2
	tap_is "$rc" 1 "attach when the VMM cannot pin guest RAM: exit 1"
	tap_match "$err" "given back to" "it says that edu was given back"
	tap_diag "$err"
	unchanged "edu is back on $drv0 with no record"
	run "$ctl" status vm2 --json
	tap_is "$(printf '%s' "$out" | json '(d["state"], d["vmm"]["devices"])')" "('running', 0)" "vm2 runs on, without the device"
	"$ctl" stop vm2 >/dev/null 2>&1
else
	for _ in 1 2 3 4 5; do echo "ok $((tap_n += 1)) # SKIP setpriv is not installed"; done
fi

# -- a definition's device: taken by start, given back by stop
"$ctl" stop vm1 >/dev/null 2>&1
run "$ctl" attach "$edu" vm2
tap_is "$rc" 0 "attach to vm2 while it does not run: into its definition"
run "$ctl" start vm2
tap_is "$rc" 0 "vm2 starts with edu in its definition"; [ "$rc" = 0 ] || say
tap_is "$(driver) $(record_vm)" "vfio-pci vm2" "start took edu to vfio-pci for vm2"
wait_for "$tap_tmp/vm2.console" '^TG result scenario=rescan status=PASS detail="found 00:' 60
tap_ok $? "vm2's guest finds edu at boot"
grep -q "$edu: its VFIO group came from passthru-ctl (fd [0-9]*)" "$PASSTHRU_LOG_DIR/vm2.log"
tap_ok $? "start handed the VMM edu's VFIO group (the VMM did not open /dev/vfio itself)"
run "$ctl" stop vm2
tap_is "$rc" 0 "vm2 stops"
unchanged "stop gave edu back to $drv0"

# -- run in the foreground: the devices back when the VM ends
define vm4 "scenario=rescan find=0x1234:0x11e8 bar_read=0:0 wait_ms=60000" "[device $edu]"
run timeout 120 "$ctl" run vm4
tap_is "$rc" 0 "run vm4 (with edu) ends when its guest is done: exit 0"; [ "$rc" = 0 ] || say
grep -Eq '^TG result scenario=rescan status=PASS detail="found 00:[0-9a-f]{2}\.0 bar0=0x[0-9a-f]+ read 0x10000ed"$' "$tap_tmp/vm4.console"
tap_ok $? "its guest read edu's ID register"
unchanged "after run, edu is back on $drv0 with no record"
tap_done
