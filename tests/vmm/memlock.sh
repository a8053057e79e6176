#!/bin/sh
# passthru-vmm under a low RLIMIT_MEMLOCK, without CAP_IPC_LOCK: a VM with assigned
# devices is refused before anything is set up, with status 1 and a message that names
# the limit, what the VM's RAM needs (once for all its devices: they share one VFIO
# container) and the figure to raise it to. Within the limit, with CAP_IPC_LOCK, or without
# devices, nothing is refused for memlock. The devices named do not exist: the check
# comes before any is opened, so this runs without VFIO, and without KVM (a run that
# passes the check then ends with 3, no KVM, or 5, no such device).
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ -f "$guest" ] || tap_skip_all "the test guest is not built ($guest)"
unset PASSTHRU_LOG

ipc_lock() { # CMD...: whether CMD runs with CAP_IPC_LOCK (bit 14 of CapEff)
	eff=$("$@" sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	[ -n "$eff" ] && [ $(((0x$eff >> 14) & 1)) -eq 1 ]
}
drop=
if ipc_lock env; then
	command -v setpriv >/dev/null 2>&1 ||
		tap_skip_all "setpriv (util-linux) is needed to run without CAP_IPC_LOCK"
	drop="setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock"
	# shellcheck disable=SC2086
	! ipc_lock $drop env || tap_skip_all "CAP_IPC_LOCK cannot be dropped here"
fi
(ulimit -l 4096) 2>/dev/null || tap_skip_all "RLIMIT_MEMLOCK cannot be set to 4 MiB here"

# run_vmm KIB [--keep-cap] ARGS...: passthru-vmm with RLIMIT_MEMLOCK at KIB; sets rc, err
run_vmm() {
	kib=$1
	shift
	how=$drop
	[ "$1" = --keep-cap ] && how= && shift
	# shellcheck disable=SC2086
	(ulimit -l "$kib" && exec timeout 60 $how "$vmm" --kernel "$guest" --console none "$@") \
		>/dev/null 2>"$tap_tmp/err" </dev/null
	rc=$?
	err=$(cat "$tap_tmp/err")
}
passed_check() { # DESCRIPTION: the run went on past the memlock check
	tap_ok "$(case $rc in 3 | 5) echo 0 ;; *) echo 1 ;; esac)" "$1: on past the check (status $rc)"
	tap_ok "$(case $err in *RLIMIT_MEMLOCK*) echo 1 ;; *) echo 0 ;; esac)" "$1: no memlock message"
}

run_vmm 1024 --memory 64M --device 0000:3f:1f.7
tap_is "$rc" 1 "64 MiB VM, 1 device, RLIMIT_MEMLOCK 1 MiB: status 1"
tap_like "$err" "vm: VFIO pins the VM's 64 MiB of RAM for its assigned devices' DMA (once for all of them)" \
	"it says what the VM's RAM needs"
tap_like "$err" "RLIMIT_MEMLOCK is 1 MiB (hard limit 1 MiB) with 0 bytes locked already, so 64 MiB more do not fit" \
	"it names the limit"
tap_like "$err" "raise it to at least 64 MiB (ulimit -l 65536, or LimitMEMLOCK= for a systemd unit) or run with CAP_IPC_LOCK" \
	"it says what to raise it to"
tap_ok "$(case $err in *"no such PCI function"*) echo 1 ;; *) echo 0 ;; esac)" \
	"it refuses before opening any device"

run_vmm 1024 --memory 64M --device 0000:3f:1f.7 --device 0000:3f:1f.6
tap_like "$err" "64 MiB of RAM for its assigned devices' DMA (once for all of them)" \
	"2 devices: the RAM once"
tap_like "$err" "raise it to at least 64 MiB (ulimit -l 65536," "2 devices: the same figure as one"

run_vmm 4096 --memory 4M --device 0000:3f:1f.7
passed_check "4 MiB VM, 1 device, RLIMIT_MEMLOCK 4 MiB: fits"
run_vmm 4096 --memory 4M --device 0000:3f:1f.7 --device 0000:3f:1f.6
passed_check "4 MiB VM, 2 devices, RLIMIT_MEMLOCK 4 MiB: fits (one container)"
run_vmm 1024 --memory 64M --append scenario=poweroff
case $rc in
0 | 3) tap_ok 0 "no device: memlock does not matter (status $rc)" ;;
*) tap_is "$rc" "0 or 3" "no device: memlock does not matter" ;;
esac
if [ -n "$drop" ]; then
	run_vmm 1024 --keep-cap --memory 64M --device 0000:3f:1f.7
	passed_check "RLIMIT_MEMLOCK 1 MiB with CAP_IPC_LOCK: the limit does not apply"
else
	tap_ok 0 "# SKIP this user has no CAP_IPC_LOCK to keep"
fi
tap_done
