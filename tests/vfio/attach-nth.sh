#!/bin/sh
# passthru-ctl attach and detach of a real device (edu) to a running VM in the testbed,
# with each of their calls failing in turn (tests/inject/fail-nth.so), on both sides:
#  1. passthru-ctl's: each of its file and kernel calls (sysfs writes, records, locks,
#     VFIO, the socket) and every Sth allocation fails in one attach (then in one
#     detach). A failed attach must name the error and leave the host and the VM as
#     they were: edu on its driver with its driver_override, no record or lock, the
#     VMM without the device and with the descriptors, memory slots and routes it had.
#     A failed detach must name the error and leave the device either still in the VM
#     (a plain detach then finishes) or out of it with its record (recover finishes).
#  2. passthru-vmm's: the VMM (armed once its guest runs, KVM_RUN not counted) has each
#     call it makes while serving attach, detach and stop fail in turn. Either the
#     attach fails naming the error with the VM running on as it was, or the VMM stops
#     saying why in its log, or the failure is harmless; in each case, once vm1 is
#     stopped, edu is back on its driver, nothing is left and the VMM ended by exit()
#     with no descriptor of its own open.
# Every run must end by exit() (no signal, no hang) with none of passthru-ctl's
# descriptors left. Leftovers accepted, as in tests/host/fail-nth-fixture.sh: the
# empty lock file of a failed flock and a lock file whose unlink failed (warned;
# recover removes them), and libpci's read-only descriptors when libpci itself ends
# the process for want of memory. The points are walked every Sth, at most
# FAIL_NTH_KERNEL_RUNS (12) file and kernel calls and FAIL_NTH_ALLOC_RUNS (4)
# allocations per command and side, some 50 runs and 5 minutes (FAIL_NTH_ALL=1: each
# of some 3 700, hours). Elsewhere it skips; tests/testbed/kvm-suite.sh runs a
# self-contained copy, with the longer limit it asks for:
# kvm-suite-timeout: 1200
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@
. "${top_srcdir:?}/tests/inject/fail-nth-lib.sh" # @INLINE@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
vmm=$top_builddir/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
inject=$top_builddir/tests/inject
testbed_require
[ -f "$inject/fail-nth.so" ] || tap_skip_all "$inject/fail-nth.so is not built (make check builds it)"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 reads the JSON back"
grep -q __asan_init "$ctl" && tap_skip_all "built with ASan (--enable-sanitizers): no preloading"
edu=$(pci_find 0x1234 0x11e8) || tap_skip_all "no edu device (1234:11e8) in this testbed"
dev=/sys/bus/pci/devices/$edu
max_alloc=${FAIL_NTH_ALLOC_RUNS:-4}
max_kernel=${FAIL_NTH_KERNEL_RUNS:-12}

top=$(cd "$tap_tmp" && pwd -P)
PASSTHRU_CONFIG_DIR=$top/vms
PASSTHRU_RUN_DIR=$top/run
PASSTHRU_LOG_DIR=$top/log
PASSTHRU_VMM=$vmm
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
unset PASSTHRU_LOG PASSTHRU_FAULT PT_FAIL_CALLS PT_FAIL_NTH PT_FAIL_ERRNO
mkdir -p "$PASSTHRU_CONFIG_DIR"
trap '"$ctl" stop --force vm1 >/dev/null 2>&1; "$ctl" recover >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT
printf '[vm]\nname = vm1\nmemory = 16M\nkernel = %s\ncmdline = scenario=spin\nconsole = none\n' \
	"$guest" >"$PASSTHRU_CONFIG_DIR/vm1.conf"

drv0=$(pci_driver "$edu")
override0=$(cat "$dev/driver_override")
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
vm_devices() { # how many devices vm1's VMM has, or "down"
	"$ctl" status vm1 --json 2>/dev/null | json 'd["vmm"]["devices"] if d["state"] == "running" else "down"'
}
host() { # edu's driver and override, its record and lock
	rec=none lock=none
	[ -e "$PASSTHRU_RUN_DIR/devices/$edu.json" ] && rec=record
	[ -e "$PASSTHRU_RUN_DIR/devices/$edu.lock" ] && lock=lock
	echo "driver=$(pci_driver "$edu") override=$(cat "$dev/driver_override") $rec $lock"
}
want_host="driver=$drv0 override=$override0 none none"
vmm_pid() { "$ctl" status vm1 --json 2>/dev/null | json 'd["pid"]'; }
fds_of() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# fds_settle PID N: waits up to 2 s for PID to hold N descriptors (a closed client's
# goes at its next poll); prints what it holds.
fds_settle() {
	[ -n "$2" ] && for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(fds_of "$1")" = "$2" ] && break
		sleep 0.2
	done
	fds_of "$1"
}
# The VMM's memory slots, route entries, MSI routes and irqfds.
vm_counts() {
	s=$("$ctl" status vm1 --json 2>/dev/null | json 'd["vmm"]["memory_slots"]')
	r=$("$ctl" routes vm1 --json 2>/dev/null | json '(d["entries"], d["msi_routes"], d["irqfds"])')
	echo "slots=$s routes=$r"
}

# ctl_nth N TRACE CMD...: passthru-ctl CMD with its Nth call failing (0: none).
ctl_nth() {
	nth=$1 trace=$2
	shift 2
	rm -f "$top/fds" "$top/failed" "$top/count"
	timeout -k 10 120 env LD_PRELOAD="$inject/fail-nth.so" PT_FAIL_NTH="$nth" \
		PT_FAIL_COUNT="$top/count" PT_FAIL_TRACE="$trace" PT_FAIL_LOG="$top/failed" \
		PT_FAIL_FDS="$top/fds" "$ctl" "$@" >"$top/out" 2>"$top/err" </dev/null
}

# ctl_ended_badly RC: why passthru-ctl's run did not end well (nothing: it did).
# libpci ends the process itself when it runs out of memory: its own read-only
# descriptors are open then (as in tests/host/fail-nth-fixture.sh).
ctl_ended_badly() {
	if [ "$1" = 137 ]; then
		echo "still running after 120 s"
	elif [ "$1" != 124 ] && [ "$1" -lt 128 ] && [ -s "$top/fds" ] && grep -q 'libpci: ' "$top/err"; then
		:
	else
		ended_badly "$1" "$top/fds" 120
	fi
}

# --- 1. passthru-ctl's calls --------------------------------------------------------
"$ctl" start vm1 >"$top/out" 2>&1
tap_is "$?" 0 "vm1 starts without devices"
pid=$(vmm_pid)
fds0=$(fds_settle "$pid" "")
counts0=$(vm_counts)
tap_is "$(host) vm1=$(vm_devices)" "$want_host vm1=0" "edu on ${drv0:-no driver}; vm1 runs without it ($counts0, $fds0 fds)"

ctl_nth 0 "$top/trace-attach" attach "$edu" vm1
tap_is "$?:$(vm_devices):$(cat "$top/fds" 2>/dev/null)" "0:1:" \
	"a clean attach: $(cat "$top/count" 2>/dev/null) calls, no descriptor left"
ctl_nth 0 "$top/trace-detach" detach "$edu" vm1
tap_is "$?:$(vm_devices):$(cat "$top/fds" 2>/dev/null)" "0:0:" \
	"a clean detach: $(cat "$top/count" 2>/dev/null) calls, no descriptor left"
tap_is "$(host) $(vm_counts) fds=$(fds_settle "$pid" "$fds0")" "$want_host $counts0 fds=$fds0" \
	"after them edu is back and vm1 is as it was"

points() { (kernel_points "$1" "$max_kernel"; alloc_points "$1" "$max_alloc") | sort -n; }
# lock_leftover: the failed call leaves its lock file, as accepted (see the top).
lock_leftover() { failed_point "$top/failed" | grep -Eq '^(lock flock|fs unlink) .*\.lock$'; }
# host_as_before: edu's host side is as at the start (a lock leftover aside, which
# recover then removes).
host_as_before() {
	if lock_leftover; then
		[ "$(host | sed 's/ lock$/ none/')" = "$want_host" ] && "$ctl" recover >/dev/null 2>&1
	else
		[ "$(host)" = "$want_host" ]
	fi
}
kinds() { awk '{print $2}' "$1" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }'; }

: >"$top/bad"
walked=0 harmless=0 refused=0
for n in $(points "$top/trace-attach"); do
	ctl_nth "$n" "" attach "$edu" vm1
	rc=$?
	walked=$((walked + 1))
	what=$(failed_point "$top/failed")
	bad=$(ctl_ended_badly "$rc")
	if [ -z "$bad" ] && [ "$rc" = 0 ]; then
		harmless=$((harmless + 1))
		[ "$(vm_devices)" = 1 ] || bad="exit 0 but vm1 does not have edu"
		"$ctl" detach "$edu" vm1 >/dev/null 2>&1 || bad="${bad:-exit 0, then detach failed}"
	elif [ -z "$bad" ]; then
		refused=$((refused + 1))
		names_error "$top/err" "$(failed_errno "$top/failed")" ||
			bad="exit $rc without naming the error ($(errno_text "$(failed_errno "$top/failed")"))"
	fi
	now="$(host) $(vm_counts) fds=$(fds_settle "$pid" "$fds0")"
	[ -n "$bad" ] || { host_as_before && [ "${now#* slots=}" = "${counts0#slots=} fds=$fds0" ]; } ||
		bad="exit $rc, left: $now"
	if [ -n "$bad" ]; then
		echo "attach point $n ($what): $bad" >>"$top/bad"
		sed 's/^/    /' "$top/err" | head -3 >>"$top/bad"
		"$ctl" detach "$edu" vm1 >/dev/null 2>&1
		"$ctl" recover >/dev/null 2>&1
	fi
done
tap_ok "$([ ! -s "$top/bad" ]; echo $?)" \
	"attach: $walked of its $(wc -l <"$top/trace-attach") calls ($(kinds "$top/trace-attach")) failing in turn: $refused refused naming the error with host and VM as they were, $harmless harmless"
[ -s "$top/bad" ] && sed 's/^/# /' "$top/bad" | head -40

: >"$top/bad"
walked=0 harmless=0 kept=0 left=0
for n in $(points "$top/trace-detach"); do
	"$ctl" attach "$edu" vm1 >/dev/null 2>&1 || echo "detach point $n: the attach before it failed" >>"$top/bad"
	ctl_nth "$n" "" detach "$edu" vm1
	rc=$?
	walked=$((walked + 1))
	what=$(failed_point "$top/failed")
	bad=$(ctl_ended_badly "$rc")
	if [ -z "$bad" ] && [ "$rc" = 0 ]; then
		harmless=$((harmless + 1))
	elif [ -z "$bad" ]; then
		names_error "$top/err" "$(failed_errno "$top/failed")" ||
			bad="exit $rc without naming the error ($(errno_text "$(failed_errno "$top/failed")"))"
		if [ "$(vm_devices)" = 1 ]; then
			# Still in the VM, the host's side untouched: a plain detach finishes.
			kept=$((kept + 1))
			lock_leftover && "$ctl" recover >/dev/null 2>&1
			[ "$(host)" = "driver=vfio-pci override=vfio-pci record none" ] ||
				bad="${bad:-exit $rc, the VM has edu but the host shows $(host)}"
			"$ctl" detach "$edu" vm1 >"$top/out2" 2>&1 ||
				bad="${bad:-exit $rc, then a plain detach failed: $(head -1 "$top/out2")}"
		else
			# Out of the VM, its record kept for recover.
			left=$((left + 1))
			"$ctl" recover >"$top/out2" 2>&1 ||
				bad="${bad:-exit $rc, then recover failed: $(head -1 "$top/out2")}"
		fi
	fi
	now="$(host) $(vm_counts) fds=$(fds_settle "$pid" "$fds0")"
	[ -n "$bad" ] || { host_as_before && [ "${now#* slots=}" = "${counts0#slots=} fds=$fds0" ]; } ||
		bad="exit $rc, left: $now"
	if [ -n "$bad" ]; then
		echo "detach point $n ($what): $bad" >>"$top/bad"
		sed 's/^/    /' "$top/err" | head -3 >>"$top/bad"
		"$ctl" detach "$edu" vm1 >/dev/null 2>&1
		"$ctl" recover >/dev/null 2>&1
	fi
done
tap_ok "$([ ! -s "$top/bad" ]; echo $?)" \
	"detach: $walked of its $(wc -l <"$top/trace-detach") calls ($(kinds "$top/trace-detach")) failing in turn: $kept left edu in the VM, $left out of it for recover, $harmless harmless; then all as before"
[ -s "$top/bad" ] && sed 's/^/# /' "$top/bad" | head -40
"$ctl" stop vm1 >/dev/null 2>&1

# --- 2. passthru-vmm's calls --------------------------------------------------------
# The VMM passthru-ctl starts, preloaded; what to fail is read from files (start does
# not pass its own environment through the preload's removal of it).
cat >"$top/vmm-nth" <<SH
#!/bin/sh
exec env LD_PRELOAD="$inject/fail-nth.so" PT_FAIL_NTH="\$(cat "$top/nth")" PT_FAIL_ARM="$top/arm" \\
	PT_FAIL_SKIP_IOCTL=0xae80 PT_FAIL_COUNT="$top/vcount" PT_FAIL_TRACE="\$(cat "$top/vtrace")" \\
	PT_FAIL_LOG="$top/vfailed" PT_FAIL_FDS="$top/vfds" "$vmm" "\$@"
SH
chmod +x "$top/vmm-nth"

# vmm_round N TRACE: vm1 started with the VMM's Nth call after its guest runs failing,
# attach, detach (if it got edu), stop; sets rc_a, rc_d, rc_s, up (vm1's devices before
# the stop, or "down"), base (vm1's counts before) and after.
vmm_round() {
	echo "$1" >"$top/nth"
	echo "$2" >"$top/vtrace"
	rm -f "$top/arm" "$top/vfds" "$top/vfailed" "$top/vcount" "$PASSTHRU_LOG_DIR/vm1.log"
	PASSTHRU_VMM=$top/vmm-nth "$ctl" start vm1 >"$top/out" 2>&1 || echo "start failed" >>"$top/out"
	vpid=$(vmm_pid)
	vfds=$(fds_settle "$vpid" "")
	base="$(vm_counts) fds=$vfds"
	: >"$top/arm"
	"$ctl" attach "$edu" vm1 >"$top/err" 2>&1
	rc_a=$? rc_d=-
	if [ "$(vm_devices)" = 1 ]; then
		"$ctl" detach "$edu" vm1 >"$top/err-d" 2>&1
		rc_d=$?
	fi
	up=$(vm_devices)
	after="$(vm_counts) fds=$(fds_settle "$vpid" "$vfds")"
	"$ctl" stop vm1 --timeout 20 >"$top/out-stop" 2>&1
	rc_s=$?
	for _ in $(seq 50); do
		[ -d "/proc/$vpid" ] || break
		sleep 0.2
	done
}

vmm_round 0 "$top/vtrace0"
tap_is "$rc_a $rc_d $rc_s:$(cat "$top/vfds" 2>/dev/null):$(host)" "0 0 0::$want_host" \
	"a clean round: attach, detach, stop; the VMM ends with no descriptor left, edu back"
tap_is "$after" "$base" "after attach and detach vm1's counts are as before ($base)"
vcount=$(cat "$top/vcount" 2>/dev/null)
tap_ok "$([ "${vcount:-0}" -gt 0 ]; echo $?)" "${vcount:-0} calls of the VMM in attach, detach and stop ($(kinds "$top/vtrace0"))"

: >"$top/bad"
walked=0 harmless=0 refused=0 stopped=0
for n in $(points "$top/vtrace0"); do
	vmm_round "$n" ""
	walked=$((walked + 1))
	what=$(failed_point "$top/vfailed")
	err=$(failed_errno "$top/vfailed")
	bad=
	if [ -d "/proc/$vpid" ]; then
		bad="the VMM still runs after stop"
		kill -9 "$vpid" 2>/dev/null
	elif [ ! -e "$top/vfds" ]; then
		bad="the VMM did not end through exit() ($(head -1 "$top/out-stop"))"
	elif [ -s "$top/vfds" ]; then
		bad="the VMM left descriptors open: $(tr '\n' ' ' <"$top/vfds")"
	elif [ -z "$what" ]; then
		bad="no call failed"
	elif [ "$(host)" != "$want_host" ]; then
		bad="edu left as $(host)"
	elif [ -e "$PASSTHRU_RUN_DIR/vm1.pid" ] || [ -e "$PASSTHRU_RUN_DIR/vm1.sock" ]; then
		bad="vm1's pidfile or socket left: $(ls "$PASSTHRU_RUN_DIR")"
	elif [ "$rc_a" = 0 ] && [ "$rc_d" = 0 ]; then
		harmless=$((harmless + 1))
	elif [ "$up" = down ]; then
		# The failure stopped vm1: its log says why.
		if names_error "$PASSTHRU_LOG_DIR/vm1.log" "$err"; then stopped=$((stopped + 1)); else
			bad="vm1 stopped without naming the error ($(errno_text "$err"))"; fi
	elif [ "$rc_a" != 0 ]; then
		refused=$((refused + 1))
		names_error "$top/err" "$err" || bad="attach exit $rc_a without naming the error ($(errno_text "$err"))"
		[ "$after" = "$base" ] || bad="${bad:-attach refused, but vm1 is left as $after (was $base)}"
	else
		# The attach went through, the detach or the stop did not.
		harmless=$((harmless + 1))
	fi
	if [ -n "$bad" ]; then
		echo "VMM point $n ($what): $bad" >>"$top/bad"
		{ sed 's/^/    ctl: /' "$top/err" | head -2; tail -3 "$PASSTHRU_LOG_DIR/vm1.log" 2>/dev/null | sed 's/^/    vmm: /'; } >>"$top/bad"
		"$ctl" stop --force vm1 >/dev/null 2>&1
		"$ctl" recover >/dev/null 2>&1
	fi
done
tap_ok "$([ ! -s "$top/bad" ]; echo $?)" \
	"VMM: $walked of its $vcount calls failing in turn: $refused refused the attach naming the error with vm1 as it was, $stopped stopped vm1 saying why, $harmless harmless; each time edu back, nothing left"
[ -s "$top/bad" ] && sed 's/^/# /' "$top/bad" | head -60
tap_done
