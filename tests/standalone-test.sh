#!/bin/sh
# standalone-test.sh SCRIPT TAP_SH TOP_BUILDDIR [NAME=VALUE...]
# Prints a copy of the test SCRIPT that needs nothing from the source tree, for
# tests/testbed/kvm-suite.sh, which runs tests from the build tree inside a guest
# that may not see the source tree (a CI clone under /tmp): the variables are set
# at the top and the line of SCRIPT ending in "@TAP_SH@" is replaced by TAP_SH.
set -eu
script=$1 tap=$2 builddir=$3
shift 3
echo '#!/bin/sh'
echo "# Generated from $(basename "$script") by tests/standalone-test.sh: edit that instead."
printf "top_builddir='%s'; export top_builddir\n" "$builddir"
for kv in "$@"; do
	printf "%s='%s'; export %s\n" "${kv%%=*}" "${kv#*=}" "${kv%%=*}"
done
sed -e '1d' -e "/@TAP_SH@\$/{r $tap" -e 'd;}' "$script"
