#!/bin/sh
# passthru-vmm --group-fd BDF=FD, the VFIO group passthru-ctl opened and handed over
# at start: a malformed value, a descriptor that is not open and one for a function
# the VM does not have are usage errors (status 2) said before anything is set up.
# That the VMM uses a handed group instead of opening /dev/vfio itself is proven in
# the testbed (tests/vfio/attach.sh: the start log names it).
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ -f "$guest" ] || tap_skip_all "the test guest is not built ($guest)"
unset PASSTHRU_LOG

run_vmm() { # ARGS...: sets rc, err (fd 7 open on /dev/null for the run)
	timeout 60 "$vmm" --kernel "$guest" --memory 4M --console none "$@" >/dev/null 2>"$tap_tmp/err" \
		</dev/null 7</dev/null
	rc=$?
	err=$(cat "$tap_tmp/err")
}

run_vmm --device 0000:3f:1f.7 --group-fd 0000:3f:1f.7
tap_is "$rc" 2 "no =FD: status 2"
tap_like "$err" "--group-fd 0000:3f:1f.7: expected BDF=FD, such as 0000:03:00.0=5" "and what would do"

run_vmm --device 0000:3f:1f.7 --group-fd 3f:1f.7x=7
tap_is "$rc" 2 "a bad address: status 2"
tap_like "$err" "--group-fd 3f:1f.7x=7: " "and it is named"

run_vmm --device 0000:3f:1f.7 --group-fd 0000:3f:1f.7=0x7
tap_is "$rc" 2 "a descriptor not in decimal: status 2"
tap_like "$err" "\"0x7\" is not a descriptor number (3 or more)" "and it says what is"

run_vmm --device 0000:3f:1f.7 --group-fd 0000:3f:1f.7=200
tap_is "$rc" 2 "a descriptor that is not open: status 2"
tap_like "$err" "descriptor 200 is not open" "and it says so"

run_vmm --device 0000:3f:1f.7 --group-fd 0000:3f:1f.7=7 --group-fd 0000:3f:1f.7=7
tap_is "$rc" 2 "two descriptors for one function: status 2"
tap_like "$err" "0000:3f:1f.7 has a descriptor already" "and it says so"

run_vmm --device 0000:3f:1f.7 --group-fd 0000:3f:1f.6=7
tap_is "$rc" 2 "a descriptor for a function the VM does not have: status 2"
tap_like "$err" "--group-fd 0000:3f:1f.6: vm has no such device" "and it names the function"

# A well-formed one passes the checks: the run ends later, for want of KVM (3), of
# the function (5), or of a usable VFIO (7), never with a usage error.
run_vmm --device 0000:3f:1f.7 --group-fd 0000:3f:1f.7=7
tap_ok "$(case $rc in 3 | 5 | 7) echo 0 ;; *) echo 1 ;; esac)" \
	"a well-formed --group-fd passes the checks (status $rc)"
tap_ok "$(case $err in *--group-fd*) echo 1 ;; *) echo 0 ;; esac)" "and nothing is said of it"
tap_done
