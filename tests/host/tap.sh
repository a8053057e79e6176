# TAP for the shell tests of tests/host (sourced). Each test prints "ok N - what" or
# "not ok N - what" with the evidence as "# " lines, and ends with tap_done.
tap_n=0
tap_failed=0

tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

tap_ok() { # CONDITION-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

tap_is() { # GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

tap_like() { # TEXT SUBSTRING DESCRIPTION
	case $1 in
	*"$2"*) tap_ok 0 "$3" ;;
	*)
		tap_ok 1 "$3"
		printf '#   wanted to contain: %s\n' "$2"
		printf '%s\n' "$1" | sed 's/^/#   got: /'
		;;
	esac
}

tap_match() { # TEXT ERE DESCRIPTION: some line of TEXT matches the extended regex
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		printf '#   wanted a line matching: %s\n' "$2"
		printf '%s\n' "$1" | sed 's/^/#   got: /'
	fi
}

tap_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

# The program under test and a scratch directory removed at exit.
ctl="${top_builddir:?run through make check}/src/ctl/passthru-ctl"
tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/passthru-host-test.XXXXXX") || exit 99
trap 'rm -rf "$tap_tmp"' EXIT
