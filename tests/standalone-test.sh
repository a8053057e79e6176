#!/bin/sh
# standalone-test.sh SCRIPT TAP_SH TOP_BUILDDIR [NAME=VALUE...]
# Prints a copy of the test SCRIPT that needs nothing from the source tree, for
# tests/testbed/kvm-suite.sh, which runs tests from the build tree inside a guest
# that may not see the source tree (a CI clone under /tmp): the variables are set
# at the top, the line of SCRIPT ending in "@TAP_SH@" is replaced by TAP_SH, and a
# line '. "${top_srcdir:?}/FILE" # @INLINE@' by FILE (from TAP_SH's source tree).
set -eu
script=$1 tap=$2 builddir=$3
shift 3
srcdir=$(cd "$(dirname "$tap")/../.." && pwd)
echo '#!/bin/sh'
echo "# Generated from $(basename "$script") by tests/standalone-test.sh: edit that instead."
printf "top_builddir='%s'; export top_builddir\n" "$builddir"
for kv in "$@"; do
	printf "%s='%s'; export %s\n" "${kv%%=*}" "${kv#*=}" "${kv%%=*}"
done
awk -v tap="$tap" -v src="$srcdir" '
function inline(f,  l) {
	while ((getline l < f) > 0)
		print l
	close(f)
}
NR == 1 { next }
/@TAP_SH@$/ { inline(tap); next }
/# @INLINE@$/ {
	rest = substr($0, index($0, "top_srcdir:?}/") + 14)
	inline(src "/" substr(rest, 1, index(rest, "\"") - 1))
	next
}
{ print }' "$script"
