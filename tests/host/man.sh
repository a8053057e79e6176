#!/bin/sh
# man/passthru-ctl.8 against the program: the commands and options --help lists are
# the ones the page documents (both ways: nothing unimplemented is documented), every
# exit status in src/common/exit_status.h is described, and mandoc finds no warning.
. "${top_srcdir:?}/tests/host/tap.sh"

page="$top_srcdir/man/passthru-ctl.8"
[ -f "$page" ] || tap_skip_all "man/passthru-ctl.8 is missing"

help=$("$ctl" --help)
tap_is "$?" 0 "--help exits 0"

# Section NAME of the page, without the .SH line.
section() {
	awk -v s="$1" '/^\.SH / { on = ($0 == ".SH " s || $0 == ".SH \"" s "\""); next } on' "$page"
}
sorted() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; }

help_cmds=$(printf '%s\n' "$help" |
	awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^ [a-z]/ { print $1 }' | sorted)
# Top-level .TP items only: the lists inside .RS/.RE are not commands.
man_cmds=$(section COMMANDS | awk '/^\.RS/ { depth++ } /^\.RE/ { depth-- }
	!depth && prev == ".TP" && /^\.B[RI]? / { print $2 } { prev = $0 }' | sorted)
tap_ok "$([ -n "$help_cmds" ]; echo $?)" "--help lists commands ($help_cmds)"
tap_is "$man_cmds" "$help_cmds" "the COMMANDS section documents exactly the commands --help lists"
for c in $help_cmds; do
	tap_ok "$(section SYNOPSIS | grep -qx "\.B $c"; echo $?)" "SYNOPSIS shows $c"
done

help_opts=$(printf '%s\n' "$help" |
	awk '/^Options:/ { on = 1; next } on && /^$/ { on = 0 } on' |
	grep -o -- '--[a-z][a-z-]*' | sorted)
man_opts=$(section OPTIONS | awk 'prev == ".TP" { print } { prev = $0 }' |
	grep -o -- '\\-\\-[a-z][a-z\\-]*' | sed 's/\\//g' | sorted)
tap_is "$man_opts" "$help_opts" "the OPTIONS section documents exactly the options --help lists"

statuses=$(sed -n 's/.*PT_EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$top_srcdir/src/common/exit_status.h" | sorted)
man_statuses=$(section "EXIT STATUS" | awk 'prev == ".TP" && /^\.B [0-9]+$/ { print $2 } { prev = $0 }' | sorted)
tap_is "$man_statuses" "$statuses" "EXIT STATUS describes every status in exit_status.h"

if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	tap_is "$?:$out" "0:" "mandoc -Tlint -Wwarning is clean"
else
	echo "ok $((tap_n += 1)) # SKIP mandoc is not installed"
fi
if command -v groff >/dev/null 2>&1; then
	out=$(groff -ww -z -man "$page" 2>&1)
	tap_is "$?:$out" "0:" "groff -ww -z -man is clean"
else
	echo "ok $((tap_n += 1)) # SKIP groff is not installed"
fi

tap_done
