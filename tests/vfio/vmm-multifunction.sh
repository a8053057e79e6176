#!/bin/sh
# Two functions of one host slot as two functions of one guest slot. The testbed's
# host gets an edu pair at one slot (QEMU: --device edu,addr=0x18.0,multifunction=on
# --device edu,addr=0x18.1); both are then in one IOMMU group, so the VM holds the
# group once for both (as in vmm-group2.sh).
# - passthru-ctl run with guest-slot = 5 and 5.1 (function 1 listed first): the guest
#   sees 00:05.0 with the multi-function bit and 00:05.1 behind it, both edu, and
#   reads edu's ID register through 00:05.0's BAR0.
# - passthru-ctl start with function 0 only, then attach of function 1: it joins
#   function 0's guest slot as 00:01.1 (function 0 already said "multifunction", as
#   its host function 0 does), and the guest, rescanning, finds it and reads the ID
#   register through its BAR0. Detaching function 0 first is refused (it leads the
#   slot), detaching function 1 takes only it, and at the end both are back on the
#   drivers they had.
# Elsewhere (no such pair) it skips. Not in the kvm-suite's topology: run it in a
# testbed with the pair (see tests/vfio.mk).
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
guest=$top_builddir/tests/guest/guest.elf
testbed_require
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 reads status --json"
# An edu at function 0 with another edu at function 1 of its slot.
f0='' f1=''
for b in $(pci_find_all 0x1234 0x11e8); do
	case $b in *.0) ;; *) continue ;; esac
	m=${b%.0}.1
	[ -e "/sys/bus/pci/devices/$m" ] && [ "$(cat "/sys/bus/pci/devices/$m/device")" = 0x11e8 ] &&
		f0=$b f1=$m && break
done
[ -n "$f0" ] || tap_skip_all "no edu pair at functions 0 and 1 of one slot (QEMU: --device edu,addr=0x18.0,multifunction=on --device edu,addr=0x18.1)"
group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
tap_diag "functions $f0 (IOMMU group $(group "$f0")) and $f1 (group $(group "$f1")); $f0's header type: $(od -An -tx1 -j14 -N1 "/sys/bus/pci/devices/$f0/config" | tr -d ' ')"

ctl_env_tmp "$top_builddir/src/vmm/passthru-vmm"
driver() { d=$(pci_driver "$1"); echo "${d:-none}"; }
before="$(driver "$f0") $(driver "$f1")"
trap '"$ctl" stop --force mf2 >/dev/null 2>&1; "$ctl" recover >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT

# -- places asked for: guest-slot = 5 and 5.1, function 1's section first
{
	printf '[vm]\nname = mf1\nmemory = 64M\nkernel = %s\n' "$guest"
	printf 'cmdline = scenario=info,rescan find=0x1234:0x11e8 bar_read=0:0 wait_ms=5000\n'
	printf 'console = file:%s/mf1.console\n' "$tap_tmp"
	printf '[device %s]\nguest-slot = 5.1\n[device %s]\nguest-slot = 5\n' "$f1" "$f0"
} >"$PASSTHRU_CONFIG_DIR/mf1.conf"
PASSTHRU_LOG=info timeout 120 "$ctl" run mf1 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "passthru-ctl run with $f1 at guest-slot 5.1 and $f0 at 5: the guest ran and passed"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
con=$(cat "$tap_tmp/mf1.console" 2>/dev/null)
tap_match "$con" "TG pci bdf=00:05\.0 vendor=0x1234 device=0x11e8 .* header=0x80 " "the guest finds edu at 00:05.0, its header type with the multi-function bit"
tap_match "$con" "TG pci bdf=00:05\.1 vendor=0x1234 device=0x11e8 " \
	"and, scanning function 1 because of it, edu at 00:05.1"
tap_match "$con" 'TG result scenario=rescan status=PASS detail="found 00:05\.0 bar0=0x[0-9a-f]+ read 0x10000ed"' \
	"edu's ID register (0x010000ed) read through 00:05.0's BAR0"
tap_like "$(cat "$tap_tmp/err")" "$f1: assigned (vfio) at guest 00:05.1" "the VMM says $f1 is at 00:05.1"
tap_is "$(driver "$f0") $(driver "$f1")" "$before" "after run both are back as they were ($before)"

# -- hot attach of function 1 beside function 0: it joins its slot
{
	printf '[vm]\nname = mf2\nmemory = 64M\nkernel = %s\n' "$guest"
	printf 'cmdline = scenario=rescan,spin find=0x1234:0x11e8 find_fn=1 bar_read=0:0 wait_ms=300000\n'
	printf 'console = file:%s/mf2.console\n[device %s]\n' "$tap_tmp" "$f0"
} >"$PASSTHRU_CONFIG_DIR/mf2.conf"
# status mf2 --json: "HOST@GUEST/multifunction" for each device the VMM lists, sorted.
listed() {
	status_devices mf2 '"%s@%s/%d.%d/%s" % (d["host"], d["guest"], d["guest_slot"], d["guest_function"], d["multifunction"])'
}
PASSTHRU_LOG=info "$ctl" start mf2 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_is "$?" 0 "mf2 starts with $f0"
sleep 2
tap_is "$(listed)" "$f0@00:01.0/1.0/True" \
	"status --json: $f0 at 00:01.0, multifunction (its host function 0 is) while alone"
PASSTHRU_LOG=info "$ctl" attach "$f1" mf2 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "attach $f1 mf2 (the VM runs): exit 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
tap_like "$(cat "$tap_tmp/out")" "$f1: attached to mf2 as guest 00:01.1 (1234:11e8" \
	"it joins $f0's guest slot as function 1"
two=$(listed)
tap_is "$two" "$f0@00:01.0/1.0/True $f1@00:01.1/1.1/True" "status --json lists both, slot and function ($two)"
for _ in $(seq 100); do
	grep -q '^TG result scenario=rescan' "$tap_tmp/mf2.console" 2>/dev/null && break
	sleep 0.2
done
tap_match "$(cat "$tap_tmp/mf2.console" 2>/dev/null)" \
	'TG result scenario=rescan status=PASS detail="found 00:01\.1 bar0=0x[0-9a-f]+ read 0x10000ed"' \
	"the guest, rescanning, finds 00:01.1 and reads edu's ID register through its BAR0"

"$ctl" detach "$f0" mf2 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_ok "$([ "$rc" != 0 ]; echo $?)" "detach $f0 while $f1 is in its guest slot: refused (exit $rc)"
tap_like "$(cat "$tap_tmp/err")" "detach $f1 (guest 00:01.1) first" "the refusal names $f1"
tap_is "$(listed)" "$two" "both still listed"
"$ctl" detach "$f1" mf2 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "detach $f1 mf2: exit 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
tap_is "$(listed)" "$f0@00:01.0/1.0/True" "$f1 is out: $f0 stays at 00:01.0"
"$ctl" attach "$f1" mf2 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_like "$(cat "$tap_tmp/out")" "$f1: attached to mf2 as guest 00:01.1 " "attached again: 00:01.1 again"
"$ctl" detach "$f1" mf2 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_is "$?" 0 "detach $f1 again"
"$ctl" detach "$f0" mf2 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "then detach $f0, alone in its slot now: exit 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
tap_is "$(listed)" "" "mf2 lists no device"
tap_is "$(driver "$f0") $(driver "$f1")" "$before" "both are back as they were ($before)"
tap_ok "$("$ctl" status mf2 >/dev/null 2>&1; echo $?)" "mf2 still runs"
"$ctl" stop mf2 >/dev/null 2>&1
tap_is "$(driver "$f0") $(driver "$f1")" "$before" "after stop both are as they were ($before)"
tap_done
