#!/bin/sh
# Two functions of one IOMMU group in one VM. In the testbed two e1000 behind a
# pcie-pci-bridge share a group (with the bridge). passthru-vmm run by hand with both
# opens the group once (VFIO lets a group be opened once: the second open used to fail
# with EBUSY), puts it in the VM's container once and hands each function its own
# copy; passthru-ctl run with both in the definition takes both, hands one fd for the
# group, and gives both back at the end. The guest finds both functions. Hot-attaching
# the second while the first is in a running VM is refused, saying what to do instead.
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

PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
PASSTHRU_RUN_DIR="$tap_tmp/run"
PASSTHRU_LOG_DIR="$tap_tmp/log"
PASSTHRU_VMM=$vmm
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
unset PASSTHRU_LOG
mkdir -p "$PASSTHRU_CONFIG_DIR"
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

# -- hot attach of the second function while the first is in the running VM: refused
{
	printf '[vm]\nname = g3\nmemory = 64M\nkernel = %s\n' "$guest"
	printf 'cmdline = scenario=rescan find=0x1b36:0x00fe wait_ms=60000\n'
	printf 'console = file:%s/g3.console\n[device %s]\n' "$tap_tmp" "$a"
} >"$PASSTHRU_CONFIG_DIR/g3.conf"
"$ctl" start g3 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_is "$?" 0 "g3 starts with $a"
"$ctl" attach "$b" g3 >"$tap_tmp/out" 2>"$tap_tmp/err"
tap_is "$?" 3 "attach $b g3 (same group, the VM runs): exit 3"
tap_like "$(cat "$tap_tmp/err")" "$b: g3 holds its IOMMU group $g already (through $a): a second function of a group cannot be hot-attached yet" \
	"it says why and what to do instead"
tap_is "$(driver "$b")" "$(echo "$before" | cut -d' ' -f2)" "$b is left as it was"
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
