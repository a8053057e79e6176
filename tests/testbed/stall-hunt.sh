#!/bin/bash
# stall-hunt.sh RUNS LABEL [TESTBED-RUN-OPTION]...
# Measures how often the testbed stalls (README.md, "The KVM suite and testbed
# lockups") under one configuration: runs the KVM suite RUNS times with a single
# boot each (no retry), with the given testbed-run options (e.g. --append
# kvm_amd.npt=1 to measure NPT against the default npt=0, --accel tcg,thread=single, --smp 2), and appends one line per run
# to stall-hunt.tsv in the build tree: label, run, stalled (0/1), where, seconds,
# failed cases. Prints a summary line at the end. Run from the build tree after
# make check_PROGRAMS check_DATA; STALL_TESTS overrides the tests (default: the
# three the stalls hit in 2026-11).
set -u
if [ "${1:-}" = --look ]; then # --look QMP FILE: the stall hook
	for i in 1 2 3; do
		python3 "$(dirname "$0")/qmp-hmp.py" "$2" "info cpus" "info registers" >>"$3" 2>&1
		sleep 1
	done
	exit 0
fi
[ $# -ge 2 ] || { echo "usage: $0 RUNS LABEL [TESTBED-RUN-OPTION]..." >&2; exit 2; }
runs=$1 label=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
export top_builddir=${top_builddir:-$PWD}
export top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
export KVM_TESTS=${STALL_TESTS:-tests/vmm/test-vm-kvm tests/vmm/test-linux-kvm tests/guest/test-guest-qemu-kvm}
export PASSTHRU_KVM_BOOTS=1
# On a stall, look at the stuck machine through QMP before it is stopped: where its
# CPU is (three register dumps a second apart), appended to stall-N.txt.
qmp=${TMPDIR:-/tmp}/stall-hunt-$$.qmp
export PASSTHRU_TESTBED_ARGS="$* --qmp $qmp"
export PASSTHRU_KVM_STALL_HOOK="$here/stall-hunt.sh --look $qmp"
tsv=$top_builddir/stall-hunt.tsv
logs=$top_builddir/stall-hunt
mkdir -p "$logs"
stalls=0 failing=0 total=0
for i in $(seq 1 "$runs"); do
	t0=$SECONDS
	"$here/kvm-suite.sh" >"$logs/$label-$i.tap" 2>&1
	secs=$((SECONDS - t0))
	where=$(sed -n 's/^# attempt 1: the testbed stopped .* during \([^;]*\);.*/\1/p' "$logs/$label-$i.tap" | sed 's|.*/||')
	cp "$top_builddir/tests/testbed/kvm-results/console-1.log" "$logs/$label-$i.console" 2>/dev/null
	cp "$top_builddir/tests/testbed/kvm-results/stall-1.txt" "$logs/$label-$i.stall" 2>/dev/null
	stalled=0
	[ -n "$where" ] && stalled=1 stalls=$((stalls + 1))
	failed=$(grep -c '^not ok' "$logs/$label-$i.tap")
	[ "$failed" -gt 0 ] && [ "$stalled" = 0 ] && failing=$((failing + 1))
	total=$((total + secs))
	printf '%s\t%d\t%d\t%s\t%d\t%d\n' "$label" "$i" "$stalled" "${where:--}" "$secs" "$failed" | tee -a "$tsv"
done
echo "$label: $runs runs, $stalls stalled, $failing with failures but no stall, $((total / runs)) s a run on average"
