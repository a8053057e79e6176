#!/bin/sh
# BDF arguments are parsed strictly before anything is read: a bad one ends the
# command with status 2 and a message naming it. The evidence that nothing was read
# first: with --sysroot pointing nowhere, the error is about the argument, not the
# missing directory (and a good argument with the same sysroot is about the directory).
. "${top_srcdir:?}/tests/host/tap.sh"

nowhere="$tap_tmp/does-not-exist"

bad() { # ARGUMENT EXPECTED-PHRASE DESCRIPTION
	"$ctl" --sysroot "$nowhere" devices "$1" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" 2 "$3: exit 2"
	err=$(cat "$tap_tmp/err")
	tap_like "$err" "'$1': $2" "$3: the message names the argument and what is wrong"
	case $err in
	*does-not-exist*|*sys/bus/pci*) tap_ok 1 "$3: nothing was read before the check"
		tap_diag "$err" ;;
	*) tap_ok 0 "$3: nothing was read before the check" ;;
	esac
	tap_is "$(cat "$tap_tmp/out")" "" "$3: nothing on stdout"
}

malformed="not a PCI address: expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:03:00.0"
bad "../../../etc/passwd" "$malformed" "path fragment"
bad "0000:03:00.0/../../x" "$malformed" "address with a path after it"
bad "devices/0000:03:00.0" "$malformed" "address inside a path"
bad "00000:03:00.0" "$malformed" "overlong domain"
bad "0000:003:00.0" "$malformed" "overlong bus"
bad "0000:03:00.00" "$malformed" "overlong function"
bad "0000:03:20.0" "device number out of range (00-1f)" "device 0x20"
bad "0000:03:00.8" "function number out of range (0-7)" "function 8"
bad "0000:g3:00.0" "$malformed" "non-hex digit"
bad "" "empty PCI address" "empty argument"

# A bad argument after good ones still stops everything before any read.
"$ctl" --sysroot "$nowhere" devices 0000:00:00.0 03:00.0 "x" > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "one bad argument among good ones: exit 2"
tap_like "$(cat "$tap_tmp/err")" "'x': not a PCI address" "the bad one is named"

# The same sysroot with good arguments is read, and its absence reported.
"$ctl" --sysroot "$nowhere" devices 0000:00:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 1 "good arguments and a missing sysroot: exit 1"
tap_like "$(cat "$tap_tmp/err")" "$nowhere/sys/bus/pci/devices does not exist" \
	"then the error is about the directory"

"$ctl" --bogus devices > /dev/null 2>&1
tap_is "$?" 2 "unknown option: exit 2"
"$ctl" frobnicate > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "unknown command: exit 2"
tap_like "$(cat "$tap_tmp/err")" "unknown command 'frobnicate'" "the unknown command is named"
"$ctl" > /dev/null 2>&1
tap_is "$?" 2 "no command: exit 2"
"$ctl" --sysroot "" devices > /dev/null 2>&1
tap_is "$?" 2 "empty --sysroot: exit 2"

tap_done
