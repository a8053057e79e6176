#!/bin/sh
# Two functions of one IOMMU group in one VM. In the testbed two e1000 behind a
# pcie-pci-bridge share a group (with the bridge). passthru-vmm run by hand with both
# opens the group once (VFIO lets a group be opened once: the second open used to fail
# with EBUSY), puts it in the VM's container once and hands each function its own
# copy; passthru-ctl run with both in the definition takes both, hands one fd for the
# group, and gives both back at the end. The guest finds both functions. Hot-attaching
# the second while the first is in a running VM works without a second open: the VMM
# takes it from the group it holds, and the group leaves the VM with its last function.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
vmm=$top_builddir/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
testbed_require
a= b=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x100e ] || continue
	if [ -z "$a" ]; then a=${d##*/}; elif [ -z "$b" ]; then b=${d##*/}; fi
done
group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
[ -n "$b" ] && [ "$(group "$a")" = "$(group "$b")" ] ||
	tap_skip_all "no two e1000 (8086:100e) in one IOMMU group (a pcie-pci-bridge with two) here"
g=$(group "$a")

ctl_env_tmp "$vmm"
driver() { d=$(pci_driver "$1"); echo "${d:-none}"; }
before="$(driver "$a") $(driver "$b")"
trap '"$ctl" stop --force g3 >/dev/null 2>&1; "$ctl" recover >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT

# -- passthru-ctl run: both taken for the VM, one group fd handed over, both given back
{
	printf '[vm]\nname = g2\nmemory = 64M\nkernel = %s\ncmdline = scenario=info\n' "$guest"
	printf 'console = file:%s/g2.console\n[device %s]\n[device %s]\n' "$tap_tmp" "$a" "$b"
} >"$PASSTHRU_CONFIG_DIR/g2.conf"
PASSTHRU_LOG=info timeout 120 "$ctl" run g2 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "passthru-ctl run with $a and $b (IOMMU group $g): the guest ran and ended"
n=$(grep -c '^TG pci bdf=.* vendor=0x8086 device=0x100e ' "$tap_tmp/g2.console")
tap_is "$n" 2 "the guest finds both e1000"
tap_like "$(cat "$tap_tmp/err")" "$b: IOMMU group $g is in the VM already (another of its functions)" \
	"the second function joins the group the first put in the container"
tap_is "$(driver "$a") $(driver "$b")" "$before" "after run both are back as they were ($before)"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20

# -- hot attach of the second function while the first is in the running VM: the
# VMM holds the group (VFIO opens it once), so attach sends no group fd and the VMM
# takes the device from the group it holds; each detach keeps the group in the VM
# (and a detached function on vfio-pci) until the last of its functions leaves.
{
	printf '[vm]\nname = g3\nmemory = 64M\nkernel = %s\n' "$guest"
	printf 'cmdline = scenario=rescan find=0x1b36:0x00fe wait_ms=300000\n'
	printf 'console = file:%s/g3.console\n[device %s]\n' "$tap_tmp" "$a"
} >"$PASSTHRU_CONFIG_DIR/g3.conf"
# status g3 --json: "HOST:ACCESS,ACCESS" for each device the VMM lists, sorted.
listed() {
	status_devices g3 '"%s:%s" % (d["host"], ",".join(b["access"] for b in d["bars"]))'
}
# status g3 --json: the functions held for g3 on the host but not in it.
held() {
	"$ctl" status g3 --json 2>/dev/null |
		python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin).get("held", ["?"])))'
}
vmm_fds() { ls "/proc/$(cat "$PASSTHRU_RUN_DIR/g3.pid" 2>/dev/null || echo 0)/fd" 2>/dev/null | wc -l; }
PASSTHRU_LOG=info "$ctl" start g3 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_is "$?" 0 "g3 starts with $a"
sleep 2
one=$(listed)
fds1=$(vmm_fds)
tap_like "$one" "$a:" "g3 lists $a ($one; the VMM has $fds1 fds)"
PASSTHRU_LOG=info "$ctl" attach "$b" g3 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "attach $b g3 (same IOMMU group $g, the VM runs): exit 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
tap_like "$(cat "$tap_tmp/out")" "$b: attached to g3 as guest" "it says where the guest finds it"
tap_like "$(cat "$tap_tmp/err")" "$b: g3 holds its IOMMU group $g already (through $a): the VMM takes it from there" \
	"passthru-ctl opens no group fd: the VMM has the group"
tap_like "$(cat "$PASSTHRU_LOG_DIR/g3.log" 2>/dev/null)" "$b: IOMMU group $g is the VM's through $a" \
	"the VMM takes $b from the group it holds (matched by its IOMMU group number)"
two=$(listed)
tap_like "$two" "$one $b:" "status --json lists both, with their BARs ($two)"
tap_is "$(driver "$b")" vfio-pci "$b is on vfio-pci"

"$ctl" detach "$b" g3 >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "detach $b g3 while $a stays: exit 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
tap_like "$(cat "$tap_tmp/out")" "$b: stays on vfio-pci, recorded as g3's, while g3 holds its IOMMU group $g through $a" \
	"it says $b stays on vfio-pci until $a leaves (no host driver may have it while the group is the VM's)"
tap_is "$(listed)" "$one" "g3 lists $a alone again, its BARs as before ($one)"
tap_is "$(vmm_fds)" "$fds1" "the VMM's fds are back to $fds1 (the group stays open through $a)"
tap_is "$(driver "$b")" vfio-pci "$b stays on vfio-pci"
tap_is "$(held)" "$b" "status g3 --json lists $b as held (on the host for g3, not in it)"
tap_like "$("$ctl" status g3 2>&1)" "held:     $b on vfio-pci, recorded as g3's but not in it" \
	"status g3 says $b is held"
"$ctl" recover >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_like "$(cat "$tap_tmp/out")" "$b: kept on vfio-pci: VM g3 holds its IOMMU group through $a" \
	"recover keeps $b (g3 holds its group) instead of giving it back under the VM"
tap_is "$(driver "$b")" vfio-pci "$b is still on vfio-pci after recover"
"$ctl" attach "$b" g3 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_is "$?" 0 "attach $b g3 again (it was kept for g3): exit 0"
tap_is "$(listed)" "$two" "both listed again, as before"
tap_is "$(held)" "" "and none is held"

"$ctl" detach "$a" g3 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_is "$?" 0 "detach $a g3 (the first) while $b stays: exit 0"
tap_is "$(listed | sed 's/:[a-z,-]*$//')" "$b" "g3 lists $b alone; the group stayed in the VM with it"
tap_is "$(held)" "$a" "status g3 --json lists $a as held"
"$ctl" detach "$b" g3 --json >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "detach $b g3 --json, the group's last function in the VM: exit 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
drv_a=$(echo "$before" | cut -d' ' -f1 | sed 's/^none$/null/')
tap_is "$(python3 -c 'import json, sys
for m in json.load(open(sys.argv[1]))["group_mates_given_back"]:
    print(m["bdf"], m["driver"] or "null")' "$tap_tmp/out")" "$a $drv_a" \
	"it gives back $a too, kept until now, and --json says so (group_mates_given_back)"
tap_is "$(listed)" "" "g3 lists no device"
tap_is "$(driver "$a") $(driver "$b")" "$before" "both are back as they were ($before)"
tap_ok "$("$ctl" status g3 >/dev/null 2>&1; echo $?)" "g3 still runs"
"$ctl" stop g3 >/dev/null 2>&1
tap_is "$(driver "$a") $(driver "$b")" "$before" "after stop both are as they were ($before)"

# -- passthru-vmm by hand: it opens the group once itself
drv_a=$(pci_driver "$a") drv_b=$(pci_driver "$b")
vfio_take "$a"
vfio_take "$b"
tap_is "$(driver "$a") $(driver "$b")" "vfio-pci vfio-pci" "both on vfio-pci"
timeout 120 "$vmm" --kernel "$guest" --memory 64M --verbose --device "$a" --device "$b" \
	--append scenario=info >"$tap_tmp/out" 2>"$tap_tmp/err" </dev/null
rc=$?
tap_is "$rc" 0 "passthru-vmm --device $a --device $b: no EBUSY on the second, the guest ran"
tap_is "$(grep -c '^TG pci bdf=.* vendor=0x8086 device=0x100e ' "$tap_tmp/out")" 2 "the guest finds both"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
vfio_give_back "$a" "$drv_a"
vfio_give_back "$b" "$drv_b"
tap_done
