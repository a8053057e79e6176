#!/bin/sh
# passthru-ctl check BDF [--vm VM] against a fixture sysroot (mksysroot.py
# preflight): the shapes the testbed lacks. ACS on a root port and its absence,
# FLR, PM reset, bus reset only (naming the functions it would also reset), a
# valid option ROM, one made for another device and one without 0x55AA, a
# reserved IOVA region over the VM's RAM, and memlock below what the VM pins.
. "${top_srcdir:?}/tests/host/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to build the fixture"
root="$tap_tmp/pf"
python3 "$top_srcdir/tests/fixtures/mksysroot.py" preflight "$root" /run ||
	tap_skip_all "cannot build the fixture tree"
PASSTHRU_RUN_DIR="$tap_tmp/run" PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
export PASSTHRU_RUN_DIR PASSTHRU_CONFIG_DIR
mkdir -p "$PASSTHRU_CONFIG_DIR"
printf '[vm]\nname = small\nmemory = 64M\nvcpus = 1\nkernel = /bin/true\n' > "$PASSTHRU_CONFIG_DIR/small.conf"

# finding BDF KEY [--vm VM]: "result|evidence|fix" from --json
finding() {
	bdf=$1 key=$2
	shift 2
	"$ctl" --sysroot "$root" check --json "$bdf" "$@" > "$tap_tmp/out" 2> "$tap_tmp/err"
	echo "$?" > "$tap_tmp/rc"
	python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["findings"].get(sys.argv[2])
print("absent" if f is None else "%s|%s|%s" % (f["result"], f["evidence"], f["fix"]))
' "$tap_tmp/out" "$key"
}
snapshot() { (cd "$root" && find . -type f -exec cksum {} + | LC_ALL=C sort); }
snapshot > "$tap_tmp/before"

tap_like "$(finding 01:00.0 acs)" "yes|no PCIe port on its path lacks ACS: 0000:00:1c.0" "ACS enabled on the root port above"
tap_like "$(finding 01:00.0 reset)" "yes|FLR (PCIe capability)" "FLR from the PCIe capability"
tap_like "$(finding 01:00.0 rom)" "yes|option ROM valid: 0x55AA, PCIR at 0x1c for 8086:1533" "a valid option ROM"
tap_is "$(finding 01:00.0 memlock)" absent "no memlock finding without --vm"
tap_is "$(cat "$tap_tmp/rc")" 0 "nothing that fails: exit 0"

tap_like "$(finding 02:00.0 acs)" "warning|without ACS on 0000:00:1d.0 (no ACS capability), everything below 0000:00:1d.0 shares IOMMU group 2" \
	"a root port without ACS: named, with the group it merges"
tap_like "$(finding 02:00.0 acs)" "the pcie_acs_override kernel patch only pretends" "the ACS override is never suggested without its risk"
tap_like "$(finding 02:00.0 reset)" "warning|no FLR and no PM reset in config space: only a reset of bus behind 0000:00:1d.0, which would also reset 0000:02:00.1" \
	"bus reset only: names the bridge and the function it would also reset"
tap_like "$(finding 02:00.0 rom)" "warning|option ROM for 10ec:8168, the device is 8086:1533" "a ROM made for another device"
tap_like "$(finding 02:00.0 group)" "yes|group 2 is viable: its other members 0000:00:1d.0 (pcieport), 0000:02:00.1 (no driver) do not hold it" \
	"group viability names the members and their drivers"
tap_like "$(finding 00:05.0 reset)" "yes|PM D3hot->D0 (No_Soft_Reset clear)" "PM reset"
tap_like "$(finding 00:05.0 rom)" "warning|option ROM without the 0x55AA signature" "a ROM without its signature"
tap_like "$(finding 00:05.0 acs)" "yes|it sits on a root bus" "root bus: nothing to isolate"

tap_like "$(finding 01:00.0 reserved_iova --vm small)" \
	"no|group 10 reserves 0-0xffffff (direct-relaxable) inside VM small's RAM (64 MiB): DMA maps there fail" \
	"--vm: a reserved region over the VM's RAM is named"
tap_is "$(cat "$tap_tmp/rc")" 3 "a failing finding: exit 3"
tap_like "$(finding 00:05.0 reserved_iova --vm small)" "yes|none of group 5's 1 reserved ranges overlaps VM small's RAM" \
	"--vm: the MSI window stays clear of the RAM"
if command -v setpriv >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1; then
	got=$(prlimit --memlock=65536 setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
		"$ctl" --sysroot "$root" check --json 00:05.0 --vm small 2>/dev/null |
		python3 -c 'import json, sys; f = json.load(sys.stdin)["findings"]["memlock"]; print(f["result"], f["evidence"])')
	tap_like "$got" "no VM small pins 64 MiB of guest RAM for DMA, but RLIMIT_MEMLOCK is 64 KiB" \
		"--vm: memlock below the VM's RAM, without CAP_IPC_LOCK"
else
	echo "ok $((tap_n += 1)) # SKIP setpriv or prlimit is missing"
fi

"$ctl" --sysroot "$root" check 00:05.0 --vm nosuch > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 5 "--vm with an unknown VM: exit 5"
"$ctl" --sysroot "$root" check --vm small > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "--vm without a BDF: exit 2"
"$ctl" --sysroot "$root" check 00:05.0 01:00.0 > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "two BDFs: exit 2"
"$ctl" --sysroot "$root" check 00:05.0 > "$tap_tmp/out" 2>&1
tap_like "$(cat "$tap_tmp/out")" "    fix: give the VM a ROM file, or none" "the text report puts each fix under its finding"
snapshot > "$tap_tmp/after"
tap_ok "$(cmp -s "$tap_tmp/before" "$tap_tmp/after"; echo $?)" "check changed nothing in the tree"

tap_done
