#!/bin/sh
# passthru-ctl prepare, release and recover against a fixture sysroot
# (tests/fixtures/mksysroot.py hostprep): every refusal names its blocker and
# changes nothing, a failed step is undone and named, the state record is what
# state.h documents, two commands on one function: one wins and the other names
# it, and recover puts back what a killed command left, then has nothing to do.
# The fixture has no kernel behind its sysfs: the real binds are proven in the
# testbed (prepare-testbed.sh).
. "${top_srcdir:?}/tests/host/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to build the fixture"
: "${runstatedir:?run through make check}"
faults="$top_builddir/tests/host/passthru-ctl-faults"
[ -x "$faults" ] || tap_skip_all "$faults is not built (make check builds it)"
root="$tap_tmp/hp"
python3 "$top_srcdir/tests/fixtures/mksysroot.py" hostprep "$root" "$runstatedir" ||
	tap_skip_all "cannot build the fixture tree"
PASSTHRU_RUN_DIR="$root$runstatedir/passthru"
export PASSTHRU_RUN_DIR
state="$PASSTHRU_RUN_DIR/devices"
command -v flock >/dev/null 2>&1 || tap_skip_all "flock(1) is needed to play a running VMM"
# VM db (the record of 0000:06:00.0) runs: something holds its pidfile's lock.
mkdir -p "$PASSTHRU_RUN_DIR"
flock "$PASSTHRU_RUN_DIR/db.pid" sleep 120 &
vmm=$!
trap 'kill $vmm 2>/dev/null; rm -rf "$tap_tmp"' EXIT
i=0
until ! flock -n "$PASSTHRU_RUN_DIR/db.pid" true || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done

# Everything in the tree: paths, link targets and file contents.
snapshot() {
	(cd "$root" && find . | LC_ALL=C sort | while IFS= read -r p; do
		if [ -L "$p" ]; then
			echo "$p -> $(readlink "$p")"
		elif [ -f "$p" ]; then
			echo "$p $(cksum < "$p")"
		else
			echo "$p/"
		fi
	done)
}
snapshot > "$tap_tmp/before"

# refused NAME STATUS SUBSTRING ARGS...: refused with STATUS naming SUBSTRING, nothing changed.
refused() {
	name=$1 want=$2 text=$3
	shift 3
	"$ctl" --sysroot "$root" prepare "$@" > "$tap_tmp/out" 2> "$tap_tmp/err"
	tap_is "$?" "$want" "$name: exit $want"
	tap_like "$(cat "$tap_tmp/err")" "$text" "$name: the refusal names it"
	tap_like "$(cat "$tap_tmp/err")" "nothing was changed" "$name: says nothing was changed"
	snapshot > "$tap_tmp/after"
	tap_ok "$(cmp -s "$tap_tmp/before" "$tap_tmp/after"; echo $?)" "$name: the tree is unchanged"
}

refused "group member on a host driver, --group could take it" 4 \
	"0000:0a:00.0: refused: group 10 is shared with 0000:0a:01.0 which is bound to host driver e1000 (--group would take it too)" \
	0a:00.0
refused "group member --group cannot take" 4 \
	"group 8 is shared with 0000:09:00.0 which is bound to host driver i915 (--group cannot take it: boot VGA device)" \
	08:00.0
refused "--group does not take a companion that is unsafe" 4 \
	"0000:09:00.0: refused: boot VGA device (--force overrides this)" --group 08:00.0
refused "group member assigned to another VM" 4 \
	"0000:07:00.0: refused: group 6 member 0000:06:00.0 is assigned to VM db" 07:00.0
refused "already assigned" 4 "0000:06:00.0: refused: already assigned to VM db" 06:00.0
refused "multifunction sibling outside the group" 4 \
	"sibling 0000:03:00.1 (outside its IOMMU group) is bound to host driver snd_hda_intel" 03:00.0
refused "default route" 4 \
	"0000:02:00.0: refused: its network interface eth0 carries the IPv4 default route (--force overrides this)" \
	02:00.0
tap_like "$(cat "$tap_tmp/err")" "eth0 carries the IPv6 default route" "default route: IPv6 too"
refused "swap" 4 "0000:05:00.0: refused: backs active swap /dev/sda2 (sda2)" 05:00.0
tap_like "$(cat "$tap_tmp/err")" "sda3 below it is a member of dm-1" "LVM member"
refused "bridge" 4 "0000:00:00.0: refused: bridge, not an endpoint" 00:00.0
refused "every function is judged before anything changes" 4 \
	"0000:0a:00.0: refused: group 10" 01:00.0 0a:00.0

"$ctl" --sysroot "$root" prepare --json 03:00.0 > "$tap_tmp/out" 2> /dev/null
tap_is "$?" 4 "--json refusal: exit 4"
tap_is "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["ok"], d["prepared"], ",".join(r["bdf"] + "=" + r["code"] for r in d["refused"]))
' "$tap_tmp/out")" "False [] 0000:03:00.0=multifunction_sibling" "--json names each refusal with its code"

# --force names what it overrides; the fixture's sysfs then fails the first
# write, which names the step and undoes it.
"$ctl" --sysroot "$root" prepare --force 02:00.0 > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 1 "--force past the default route, then a failing unbind: exit 1"
tap_like "$(cat "$tap_tmp/err")" "0000:02:00.0: --force overrides: its network interface eth0 carries the IPv4 default route" \
	"--force says what it overrides"
tap_like "$(cat "$tap_tmp/err")" "prepare failed at step 'unbind'" "the failed step is named"
tap_like "$(cat "$tap_tmp/err")" "drivers/e1000e/unbind" "with the file it wrote"
snapshot > "$tap_tmp/after"
tap_ok "$(cmp -s "$tap_tmp/before" "$tap_tmp/after"; echo $?)" "after the failure the tree is as before (no record, no lock)"

# Usage errors come before anything is read.
"$ctl" --sysroot "$root" prepare > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "prepare without an address: exit 2"
"$ctl" --sysroot "$root" prepare 1:2:3 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "prepare with a malformed address: exit 2"
tap_like "$(cat "$tap_tmp/err")" "'1:2:3'" "the malformed address is named"
"$ctl" --sysroot "$root" devices --group > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "--group with devices: exit 2"
"$ctl" --sysroot "$root" recover 01:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "recover with an argument: exit 2"
"$ctl" --sysroot "$root" prepare 0000:0f:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 5 "prepare of a function the host lacks: exit 5"
"$ctl" --sysroot "$root" release 01:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 5 "release of a function that was not prepared: exit 5"
tap_like "$(cat "$tap_tmp/err")" "not prepared by passthru" "and says why"
"$ctl" --sysroot "$root" release 06:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 4 "release of a function assigned to a running VM: exit 4"
tap_like "$(cat "$tap_tmp/err")" "assigned to VM db, which runs (passthru-ctl stop db first)" "and says why"

# --- the lock: a prepare stopped after writing its record holds the function ---
PASSTHRU_FAULT=prepare:after-record:pause "$faults" --sysroot "$root" prepare 01:00.0 \
	> /dev/null 2> "$tap_tmp/holder.err" &
holder=$!
i=0
while ! grep -q "fault point" "$tap_tmp/holder.err" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
tap_like "$(cat "$tap_tmp/holder.err")" "fault point prepare:after-record reached (pid $holder)" \
	"the test binary stops at the fault point"
rec=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(list(d), d["phase"], d["vm"], d["original_driver"], d["original_override"], d["steps"], d["command"], d["pid"])
' "$state/0000:01:00.0.json")
tap_is "$rec" "['bdf', 'phase', 'vm', 'backend', 'original_driver', 'original_override', 'steps', 'command', 'pid'] preparing None None None [] prepare $holder" \
	"the record is written before the first change, as state.h documents"
"$ctl" --sysroot "$root" prepare 01:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 4 "a second prepare of the held function: exit 4"
tap_like "$(cat "$tap_tmp/err")" "0000:01:00.0 is busy: passthru-ctl prepare (pid $holder) holds it" \
	"the loser names the holder: command and pid"
"$ctl" --sysroot "$root" release 01:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 4 "a release of the held function: exit 4"
"$ctl" --sysroot "$root" recover > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 0 "recover while the holder lives: exit 0"
tap_like "$(cat "$tap_tmp/out")" "0000:01:00.0: left alone: passthru-ctl prepare (pid $holder) holds it now" \
	"recover leaves a held function alone"
tap_ok "$([ -f "$state/0000:01:00.0.json" ]; echo $?)" "and its record stays"

kill -9 "$holder"
wait "$holder" 2> /dev/null
"$ctl" --sysroot "$root" prepare 01:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 4 "prepare over a killed prepare's record: exit 4"
tap_like "$(cat "$tap_tmp/err")" "0000:01:00.0: refused: a prepare by pid $holder did not finish (passthru-ctl recover puts it back)" \
	"the refusal points at recover"
"$ctl" --sysroot "$root" recover > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 0 "recover after kill -9: exit 0"
tap_like "$(cat "$tap_tmp/out")" "0000:01:00.0: an interrupted prepare (pid $holder, before its first step) had changed nothing" \
	"recover reports the interrupted prepare"
tap_ok "$([ ! -e "$state/0000:01:00.0.json" ] && [ ! -e "$state/0000:01:00.0.lock" ]; echo $?)" \
	"its record and lock are gone"

# Stale VMM leftovers in the run directory.
echo 999999 > "$PASSTHRU_RUN_DIR/ghost.pid"
# Bound from its directory: the run directory may be longer than sun_path (distcheck).
(cd "$PASSTHRU_RUN_DIR" &&
	python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("ghost.sock")')
tap_ok "$([ -S "$PASSTHRU_RUN_DIR/ghost.sock" ]; echo $?)" "a socket nobody answers on is in the run directory"
: > "$state/0000:07:00.0.lock"
"$ctl" --sysroot "$root" recover --json > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 0 "recover of stale files: exit 0"
tap_is "$(python3 -c '
import json, sys
print(" ".join(a["object"].rsplit("/", 1)[-1] + "=" + a["action"] for a in json.load(open(sys.argv[1]))["actions"]))
' "$tap_tmp/out")" "0000:06:00.0=kept 0000:07:00.0=removed_lock ghost.pid=removed_pidfile ghost.sock=removed_socket" \
	"recover --json: keeps the running VM's function, removes a lock, a pidfile, a socket nobody holds"
snapshot > "$tap_tmp/after"
"$ctl" --sysroot "$root" recover > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 0 "a second recover: exit 0"
snapshot > "$tap_tmp/after2"
tap_ok "$(cmp -s "$tap_tmp/after" "$tap_tmp/after2"; echo $?)" "a second recover changes nothing"
tap_like "$(cat "$tap_tmp/out")" "0000:06:00.0: kept: assigned to VM db, which runs" "and says what it kept"

# Without vfio-pci (not loaded, no module to load under the sysroot).
mv "$root/sys/bus/pci/drivers/vfio-pci" "$tap_tmp/vfio-pci.away"
snapshot > "$tap_tmp/before"
refused "vfio-pci unavailable" 3 "vfio-pci: refused: vfio-pci is unavailable: not loaded" 01:00.0
mv "$tap_tmp/vfio-pci.away" "$root/sys/bus/pci/drivers/vfio-pci"

tap_done
