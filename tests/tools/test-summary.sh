#!/bin/sh
# tools/test-summary: the closing line CI reads, and the testbed retry count.
. "$top_srcdir/tests/host/tap.sh"
summary=$top_srcdir/tools/test-summary
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-summary.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/b/tests/testbed"
printf '# TOTAL: 9\n# PASS:  6\n# SKIP:  1\n# XFAIL: 1\n# FAIL:  0\n# XPASS: 0\n# ERROR: 0\n' >"$tmp/b/test-suite.log"
printf '# TOTAL: 4\n# PASS:  3\n# SKIP:  0\n# XFAIL: 0\n# FAIL:  1\n# XPASS: 0\n# ERROR: 0\n' >"$tmp/b/testbed-suite.log"
: >"$tmp/b/tests/testbed/kvm-suite.log"

out=$("$summary" "$tmp/b/test-suite.log"); rc=$?
tap_is "$out" "7 passed, 0 failed, 1 skipped" "one log: PASS and XFAIL pass, SKIP counted"
tap_is "$rc" 0 "nothing failed: status 0"

out=$("$summary" "$tmp/b/test-suite.log" "$tmp/b/testbed-suite.log"); rc=$?
tap_is "$out" "testbed retries: 0
10 passed, 1 failed, 1 skipped" "a testbed log: its retry count (0), then the sum"
tap_is "$rc" 1 "a failure: status 1"

cat >"$tmp/b/tests/testbed/kvm-suite.log" <<'LOG'
# attempt 1: no test ended for 400 s: stopping the testbed
# attempt 1: the testbed stopped (testbed-run exit 124) during tests/vmm/test-linux-kvm; console: c1
# retrying the unfinished tests in a fresh testbed boot
# attempt 2: the testbed stopped (testbed-run exit 125) during startup; console: c2
LOG
out=$("$summary" "$tmp/b/testbed-suite.log")
tap_is "$(echo "$out" | head -1)" "testbed retries: 2 (after test-linux-kvm, startup)" \
	"retries are counted and name where the testbed stopped"

out=$("$summary" "$tmp/b/missing.log" 2>&1); rc=$?
tap_like "$out" "missing: that suite did not run" "a missing log is named"
tap_is "$(echo "$out" | tail -1)" "0 passed, 1 failed, 0 skipped" "and counts as one failure"
tap_is "$rc" 1 "with status 1"
tap_done
