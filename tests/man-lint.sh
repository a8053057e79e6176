#!/bin/sh
# Every installed man page passes mandoc's linter at warning level (TAP).
# MANPAGES (set by the Makefile) lists them relative to top_srcdir.
set -u
if ! command -v mandoc >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc is not installed (Debian package mandoc)"
	exit 0
fi
set -- ${MANPAGES:-}
if [ $# -eq 0 ]; then
	echo "1..0 # SKIP no man pages are built yet"
	exit 0
fi
echo "1..$#"
n=0
for page in "$@"; do
	n=$((n + 1))
	# -Wwarning reports warnings and worse; the style level is advice, not an error.
	out=$(mandoc -Tlint -Wwarning "$top_srcdir/$page" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - $page is clean under mandoc -Tlint"
	else
		echo "not ok $n - $page has mandoc warnings"
		echo "$out" | sed 's/^/# /'
	fi
done
