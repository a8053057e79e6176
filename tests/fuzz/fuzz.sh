#!/bin/sh
# Builds the libFuzzer targets in their own clang build and runs each for a bounded time.
#   tests/fuzz/fuzz.sh BUILDDIR SECONDS [TARGET...]
# BUILDDIR is configured with CC=clang --enable-fuzzing the first time (make fuzz uses
# _build/fuzz under the build it runs from). TARGETs are vm-def, bdf, control,
# vconfig, vconfig-msix, iobus (default: all). Each run's corpus grows in BUILDDIR/corpus/TARGET from
# tests/fuzz/corpus/TARGET; an input that crashes is saved in BUILDDIR/artifacts/TARGET/.
# One line per target: "fuzz-TARGET: N executions in S s, C crashes". Exit 1 if any
# target crashed or failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 BUILDDIR SECONDS [TARGET...]" >&2; exit 2; }
dir=$1
secs=$2
shift 2
targets=${*:-vm-def bdf control vconfig vconfig-msix iobus}
case $secs in ''|*[!0-9]*) echo "$0: SECONDS must be a number: $secs" >&2; exit 2 ;; esac
command -v clang >/dev/null 2>&1 || {
	echo "$0: clang is needed (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
}

mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || exit 1
if [ ! -f "$dir/Makefile" ]; then
	(cd "$dir" && "$top/configure" CC=clang --enable-fuzzing >configure.log 2>&1) || {
		tail -20 "$dir/configure.log" >&2
		echo "$0: configuring the fuzz build in $dir failed" >&2
		exit 1
	}
fi
make -C "$dir" -j2 fuzz-build >"$dir/build.log" 2>&1 || {
	tail -30 "$dir/build.log" >&2
	echo "$0: building the fuzz targets failed (log: $dir/build.log)" >&2
	exit 1
}

status=0
for t in $targets; do
	bin="$dir/tests/fuzz/fuzz-$t"
	seeds="$top/tests/fuzz/corpus/$t"
	[ -x "$bin" ] && [ -d "$seeds" ] || { echo "$0: no target $t" >&2; status=1; continue; }
	mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$t/" "$dir/corpus/$t" "$seeds" \
		>"$dir/fuzz-$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz-$t.log" | tail -1)
	crashes=$(find "$dir/artifacts/$t" -type f | wc -l)
	echo "fuzz-$t: ${execs:-?} executions in $secs s, $crashes crashes"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		grep -m5 -E "ERROR|invariant|SUMMARY" "$dir/fuzz-$t.log" | sed 's/^/  /'
		echo "  log: $dir/fuzz-$t.log, inputs: $dir/artifacts/$t/"
		status=1
	fi
done
exit $status
