#!/bin/sh
# Every failure point of prepare BDF, prepare --group, release and recover, against
# a fixture sysroot (tests/fixtures/mksysroot.py bindable) that the fixture kernel
# (tests/inject/fixture-kernel.so) binds and unbinds like sysfs. A clean run of each
# command counts its points (tests/inject/fail-nth.so); then the command runs once per
# point N with the Nth call failing, from a fresh copy of the tree, and:
#   - it ends by exit(), never by a signal, with no descriptor of its own left open;
#   - exit 0: the tree is what the clean run left (the failure was not fatal);
#   - any other exit: stderr says what failed (the injected error's text), and the
#     tree (paths, link targets, contents; the record's pid aside) is as before,
#     records and locks included; or, for release and recover, whose contract is to
#     leave the record for a later run (host/bind.h, cmd_recover.c), the same command
#     run again without a failure leaves the tree the clean run left.
# File and kernel calls (open for writing, write, fsync, unlink, rename, mkdir, flock
# on the tree) are walked one by one; allocations (180 to 1 330 per command) every Sth,
# 100 per command, so that the test stays short (FAIL_NTH_ALL=1 walks each one).
# Two leftovers are accepted, each named: a lock file whose unlink failed (passthru-ctl
# warns, recover removes it), and the empty lock file of a failed flock (removing a
# lock file one does not hold is not safe). libpci ends the process itself when it
# runs out of memory: its own read-only descriptors are then open at exit.
. "${top_srcdir:?}/tests/host/tap.sh"
. "${top_srcdir:?}/tests/inject/fail-nth-lib.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to build the fixture"
: "${runstatedir:?run through make check}"
inject=$top_builddir/tests/inject
[ -f "$inject/fail-nth.so" ] && [ -f "$inject/fixture-kernel.so" ] ||
	tap_skip_all "$inject/fail-nth.so is not built (make check builds it)"
# An ASan program cannot have another allocator preloaded before its runtime.
grep -q __asan_init "$ctl" && tap_skip_all "passthru-ctl is built with ASan (--enable-sanitizers): no preloading"

top=$(cd "$tap_tmp" && pwd -P)
root=$top/fx
pristine=$top/pristine
python3 "$top_srcdir/tests/fixtures/mksysroot.py" bindable "$pristine" "$runstatedir" ||
	tap_skip_all "cannot build the fixture tree"
PASSTHRU_RUN_DIR=$root$runstatedir/passthru
PT_FIXTURE_ROOT=$root
export PASSTHRU_RUN_DIR PT_FIXTURE_ROOT
unset PASSTHRU_LOG PASSTHRU_FAULT PT_FAIL_CALLS PT_FAIL_NTH PT_FAIL_ERRNO
preload="$inject/fail-nth.so $inject/fixture-kernel.so"
kernel_calls=open,write,sync,fs,lock,ioctl,send,socket,event,mmap,thread
max_alloc_runs=${FAIL_NTH_ALLOC_RUNS:-100}

# Paths, link targets and contents; a record's pid is the run's own.
snapshot() {
	(cd "$root" && find . -printf '%y %p %l\n' | LC_ALL=C sort &&
		find . -type f ! -name '*.json' -exec cksum {} + | LC_ALL=C sort &&
		find . -type f -name '*.json' | LC_ALL=C sort | while IFS= read -r f; do
			printf '%s ' "$f"
			sed 's/"pid": [0-9]*/"pid": PID/' "$f" | cksum
		done)
}
same() { cmp -s "$1" "$2"; }
same_but_locks() { [ "$(grep -v '\.lock' "$1")" = "$(grep -v '\.lock' "$2")" ]; }
fresh() { rm -rf "$root" && cp -a "$pristine" "$root"; }

# run CALLS N CMD...: passthru-ctl with the Nth of CALLS failing (0: none, counting).
run() {
	calls=$1 nth=$2
	shift 2
	rm -f "$top/fds" "$top/failed" "$top/count"
	LD_PRELOAD=$preload PT_FAIL_CALLS=$calls PT_FAIL_NTH=$nth PT_FAIL_PATH=$root/ \
		PT_FAIL_COUNT=$top/count PT_FAIL_LOG=$top/failed PT_FAIL_FDS=$top/fds \
		"$ctl" --sysroot "$root" "$@" >"$top/out" 2>"$top/err"
}


fresh
snapshot >"$top/before"

# walk AGAIN CALLS STRIDE CMD...: one point after another; the problems in $top/bad.
# AGAIN not empty: a failed run may leave the rest to a second run.
walk() {
	again=$1 calls=$2 stride=$3
	shift 3
	: >"$top/bad"
	n=1
	while [ "$n" -le "$count" ]; do
		run "$calls" "$n" "$@"
		rc=$?
		snapshot >"$top/after"
		what=$(sed "s|$root||; s/ errno=.*//; s/^[0-9]* //" "$top/failed" 2>/dev/null)
		err=$(sed -n 's/.* errno=//p' "$top/failed" 2>/dev/null)
		bad=
		if [ "$rc" -ge 128 ]; then
			bad="killed by signal $((rc - 128))"
		elif [ ! -e "$top/fds" ]; then
			bad="did not end through exit()"
		elif [ -s "$top/fds" ] && ! grep -q 'libpci: ' "$top/err"; then
			bad="descriptors left open: $(tr '\n' ' ' <"$top/fds")"
		elif [ "$rc" = 0 ]; then
			if same "$top/after" "$top/end"; then
				:
			elif grep -q 'removing the lock file' "$top/err" &&
				same_but_locks "$top/after" "$top/end"; then
				:
			else
				bad="exit 0, but the tree is not what a clean run leaves"
			fi
		else
			case $calls in
			# libpci names what it could not do, not why; when it loses a
			# group or a driver to a failed allocation, the verdict refuses.
			alloc) grep -Eq 'memory|libpci: |nothing was changed' "$top/err" ||
				bad="exit $rc without saying that memory ran out" ;;
			*) grep -qF "$(errno_text "$err")" "$top/err" ||
				bad="exit $rc without naming the error ($(errno_text "$err"))" ;;
			esac
			if [ -n "$bad" ]; then
				:
			elif same "$top/after" "$top/before"; then
				:
			elif [ "${what%% *}" = lock ] && same_but_locks "$top/after" "$top/before"; then
				:
			elif [ -n "$again" ]; then
				LD_PRELOAD=$inject/fixture-kernel.so "$ctl" --sysroot "$root" "$@" \
					>/dev/null 2>"$top/err2"
				snapshot >"$top/after"
				same "$top/after" "$top/end" ||
					bad="exit $rc, and a second run does not finish: $(cat "$top/err2")"
			else
				bad="exit $rc, and the tree is not as before"
			fi
		fi
		if [ -n "$bad" ]; then
			echo "point $n ($what): $bad" >>"$top/bad"
			sed 's/^/    /' "$top/err" | head -4 >>"$top/bad"
		fi
		same "$top/after" "$top/before" || fresh
		n=$((n + stride))
	done
}

# walk_command LABEL AGAIN CMD...: the clean run, then both walks.
walk_command() {
	label=$1 again=$2
	shift 2
	run "$kernel_calls" 0 "$@"
	rc=$?
	snapshot >"$top/end"
	kcount=$(cat "$top/count" 2>/dev/null)
	fresh
	run alloc 0 "$@"
	acount=$(cat "$top/count" 2>/dev/null)
	fresh
	tap_is "$rc:$(cat "$top/fds" 2>/dev/null)" "0:" "$label: a clean run exits 0, no descriptor left"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$top/err"
	tap_ok "$([ "${kcount:-0}" -gt 0 ] && [ "${acount:-0}" -gt 0 ]; echo $?)" \
		"$label: ${kcount:-?} file and kernel calls, ${acount:-?} allocations"
	count=${kcount:-0}
	walk "$again" "$kernel_calls" 1 "$@"
	tap_ok "$([ ! -s "$top/bad" ]; echo $?)" \
		"$label: each of the $count file and kernel calls failing: undone or harmless, and named"
	[ -s "$top/bad" ] && sed 's/^/# /' "$top/bad" | head -40
	count=${acount:-0}
	stride=$(((count + max_alloc_runs - 1) / max_alloc_runs))
	[ "${FAIL_NTH_ALL:-}" = 1 ] && stride=1
	[ "$stride" -ge 1 ] || stride=1
	walk "$again" alloc "$stride" "$@"
	tap_ok "$([ ! -s "$top/bad" ]; echo $?)" \
		"$label: allocation 1, $((1 + stride)), ... of $count failing (every $stride): no crash, a message, undone"
	[ -s "$top/bad" ] && sed 's/^/# /' "$top/bad" | head -40
}

walk_command "prepare 02:00.0 (e1000e: unbind, override, probe)" "" prepare 02:00.0
walk_command "prepare --group 0a:00.0 (two functions on e1000)" "" prepare --group 0a:00.0
walk_command "release 04:00.0 (vfio-pci to igb)" again release 04:00.0
walk_command "recover (a prepare killed after its override step)" again recover

tap_done
