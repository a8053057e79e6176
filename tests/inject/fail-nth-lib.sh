# Helpers of the tests that walk failure points with tests/inject/fail-nth.so, sourced
# after tap.sh (tests/standalone-test.sh inlines it into the testbed's copies).

# errno_text E: the text strerror() gives for the errnos fail-nth.so uses (glibc's).
errno_text() {
	case $1 in
	5) echo "Input/output error" ;;
	11) echo "Resource temporarily unavailable" ;;
	12) echo "Cannot allocate memory" ;;
	13) echo "Permission denied" ;;
	24) echo "Too many open files" ;;
	37) echo "No locks available" ;;
	104) echo "Connection reset by peer" ;;
	*) echo "errno $1" ;;
	esac
}

# failed_point LOG: the call made to fail, as "CLASS FUNCTION TARGET" (empty: none).
failed_point() { sed "s/ errno=.*//; s/^[0-9]* //" "$1" 2>/dev/null; }

# failed_errno LOG: the errno it was made to fail with (empty: none).
failed_errno() { sed -n 's/.* errno=//p' "$1" 2>/dev/null; }

# names_error FILE E: FILE says what failed, with E's text unless E is ENOMEM (an
# allocation's failure is told as "out of memory" in many words).
names_error() {
	[ -s "$1" ] || return 1
	[ -z "$2" ] || [ "$2" = 12 ] || grep -qF "$(errno_text "$2")" "$1"
}

# alloc_points TRACE MAX: the allocation points of TRACE to walk, every Sth so that
# at most MAX are (all of them with FAIL_NTH_ALL=1).
alloc_points() {
	awk -v max="$2" -v all="${FAIL_NTH_ALL:-0}" '$2 == "alloc" { n[++c] = $1 }
		END { s = (all == 1 || c <= max) ? 1 : int((c + max - 1) / max)
		      for (i = 1; i <= c; i += s) print n[i] }' "$1"
}

# kernel_points TRACE [MAX]: the points of TRACE that are not allocations; with MAX,
# every Sth so that at most MAX are (all of them with FAIL_NTH_ALL=1).
kernel_points() {
	awk -v max="${2:-0}" -v all="${FAIL_NTH_ALL:-0}" '$2 != "alloc" { n[++c] = $1 }
		END { s = (all == 1 || max == 0 || c <= max) ? 1 : int((c + max - 1) / max)
		      for (i = 1; i <= c; i += s) print n[i] }' "$1"
}

# ended_badly RC FDS SECONDS: why a walked run that ended with status RC (under
# timeout(1) of SECONDS) and wrote FDS (PT_FAIL_FDS) at exit did not end well;
# nothing when it ended by exit() with none of its descriptors left open.
ended_badly() {
	if [ "$1" = 124 ]; then
		echo "still running after $3 s"
	elif [ "$1" -ge 128 ]; then
		echo "killed by signal $(($1 - 128))"
	elif [ ! -e "$2" ]; then
		echo "did not end through exit()"
	elif [ -s "$2" ]; then
		echo "descriptors left open: $(tr '\n' ' ' <"$2")"
	fi
}
