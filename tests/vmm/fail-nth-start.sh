#!/bin/sh
# passthru-vmm starting a VM from its definition (the test guest, scenario=info) with
# each of its start-up calls failing in turn (tests/inject/fail-nth.so): a clean run
# counts the calls up to the vCPU's first KVM_RUN (the allocations, the pidfile, the
# KVM ioctls, memory, eventfds, the control socket, the threads), then one run per
# point N with the Nth failing. Every run must end by exit() within its time, never by
# a signal; one that fails says so on stderr, with the error's text when the failed
# call has one; none leaves its pidfile, its control socket or a descriptor of its
# own open. A run the failure did not stop must end as the guest asks (status 0).
# The one leftover accepted: the empty pidfile of a failed flock, named on stderr.
# Skips without /dev/kvm, and in an ASan build (no allocator can be preloaded there).
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/inject/fail-nth-lib.sh"

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
inject=$top_builddir/tests/inject
[ -c /dev/kvm ] || tap_skip_all "no /dev/kvm on this host"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || tap_skip_all "/dev/kvm is not usable by this user"
[ -f "$guest" ] || tap_skip_all "the test guest is not built"
[ -f "$inject/fail-nth.so" ] || tap_skip_all "$inject/fail-nth.so is not built (make check builds it)"
command -v timeout >/dev/null 2>&1 || tap_skip_all "timeout(1) guards against a hang"
grep -q __asan_init "$vmm" && tap_skip_all "passthru-vmm is built with ASan (--enable-sanitizers): no preloading"
unset PASSTHRU_LOG PT_FAIL_CALLS PT_FAIL_NTH PT_FAIL_ERRNO

top=$(cd "$tap_tmp" && pwd -P)
PASSTHRU_CONFIG_DIR=$top/vms
PASSTHRU_RUN_DIR=$top/run
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR
mkdir -p "$PASSTHRU_CONFIG_DIR"
printf '[vm]\nname = fn\nmemory = 64M\nkernel = %s\ncmdline = scenario=info\nconsole = none\n' \
	"$guest" >"$PASSTHRU_CONFIG_DIR/fn.conf"

# run N: the VMM with its Nth call failing (0: none); its status.
run() {
	rm -f "$top/fds" "$top/failed" "$top/count"
	# timeout(1) outside: the library instruments the first program only.
	timeout 60 env LD_PRELOAD="$inject/fail-nth.so" PT_FAIL_NTH="$1" PT_FAIL_PATH="$top/" \
		PT_FAIL_COUNT="$top/count" PT_FAIL_TRACE="${2:-}" PT_FAIL_LOG="$top/failed" \
		PT_FAIL_FDS="$top/fds" "$vmm" fn >"$top/out" 2>"$top/err" </dev/null
}

run 0 "$top/trace"
rc=$?
tap_is "$rc:$(cat "$top/fds" 2>/dev/null)" "0:" "a clean start: the guest passes, no descriptor left"
[ "$rc" = 0 ] || sed 's/^/#   /' "$top/err"
# KVM_RUN is _IO(0xae, 0x80).
first_run=$(sed -n 's/^\([0-9]*\) ioctl .* req=0xae80$/\1/p' "$top/trace" | head -1)
kinds=$(sed -n "1,${first_run:-0}p" "$top/trace" | awk '{print $2}' | sort | uniq -c |
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
tap_ok "$([ -n "$first_run" ]; echo $?)" \
	"$(cat "$top/count" 2>/dev/null) calls in all, ${first_run:-?} up to the first KVM_RUN ($kinds)"
[ -n "$first_run" ] || tap_done


: >"$top/bad"
: >"$top/harmless"
stopped=0 harmless=0
n=1
while [ "$n" -le "$first_run" ]; do
	run "$n"
	rc=$?
	what=$(failed_point "$top/failed" | sed "s|$top/||")
	err=$(failed_errno "$top/failed")
	bad=$(ended_badly "$rc" "$top/fds" 60)
	if [ -n "$bad" ]; then
		:
	elif [ -e "$PASSTHRU_RUN_DIR/fn.sock" ] || { [ -e "$PASSTHRU_RUN_DIR/fn.pid" ] &&
		! { [ "${what%% *}" = lock ] && grep -q "pidfile $PASSTHRU_RUN_DIR/fn.pid" "$top/err"; }; }; then
		# A failed flock leaves the empty pidfile: nobody holds it, so removing it
		# would not be safe; passthru-ctl recover removes it.
		bad="exit $rc, its pidfile or socket left: $(ls "$PASSTHRU_RUN_DIR")"
	elif [ "$rc" = 0 ]; then
		harmless=$((harmless + 1))
		echo "$n $what" >>"$top/harmless"
	elif [ ! -s "$top/err" ]; then
		bad="exit $rc without a message"
	elif [ -n "$err" ] && [ "$err" != 12 ] && ! grep -qF "$(errno_text "$err")" "$top/err"; then
		bad="exit $rc without naming the error ($(errno_text "$err"))"
	else
		stopped=$((stopped + 1))
	fi
	if [ -n "$bad" ]; then
		echo "point $n ($what): $bad" >>"$top/bad"
		sed 's/^/    /' "$top/err" | head -3 >>"$top/bad"
	fi
	rm -rf "$PASSTHRU_RUN_DIR"
	n=$((n + 1))
done
tap_ok "$([ ! -s "$top/bad" ]; echo $?)" \
	"each of the $first_run start-up calls failing: $stopped stopped the start with a message, $harmless did not stop it; no signal, no pidfile, socket or descriptor left"
[ -s "$top/bad" ] && sed 's/^/# /' "$top/bad" | head -60
[ -s "$top/harmless" ] && tap_diag "not stopping the start: $(tr '\n' ';' <"$top/harmless")"

tap_done
