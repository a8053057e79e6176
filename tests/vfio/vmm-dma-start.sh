#!/bin/sh
# Guest RAM mapped for DMA while the guest runs (src/vmm/dma_map.h), with QEMU's edu in
# the testbed: passthru-vmm given edu at start maps beside the running guest, the
# guest's Bus Master Enable write waits for the map and edu's DMA then works (the
# guest's irq-wait scenario has edu copy a buffer and raise its completion INTx);
# with VFIO's mapping limit at 0 (vfio_iommu_type1's dma_entry_limit) the map fails
# the way a real one does: passthru-vmm ends with status 1 naming edu and the error,
# the guest never gets past its BME write, and passthru-ctl start reports a VM that
# did not start.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
vmm=$top_builddir/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
limit=/sys/module/vfio_iommu_type1/parameters/dma_entry_limit
testbed_require
[ -w "$limit" ] || tap_skip_all "$limit cannot be written here"
edu=$(pci_find 0x1234 0x11e8) || tap_skip_all "no edu device (1234:11e8) in this testbed"
tmp=$tap_tmp
limit0=$(cat "$limit")
PASSTHRU_CONFIG_DIR=$tmp/vms PASSTHRU_RUN_DIR=$tmp/run PASSTHRU_LOG_DIR=$tmp/log PASSTHRU_VMM=$vmm
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
mkdir -p "$PASSTHRU_CONFIG_DIR"
trap 'echo "$limit0" > "$limit"; "$ctl" stop --force dm >/dev/null 2>&1; "$ctl" recover >/dev/null 2>&1
	rm -rf "$tmp"; echo > "/sys/bus/pci/devices/$edu/driver_override"
	[ -e "/sys/bus/pci/devices/$edu/driver" ] && echo "$edu" > "/sys/bus/pci/devices/$edu/driver/unbind"' EXIT

# The fixture step passthru-ctl prepare does for real.
echo vfio-pci > "/sys/bus/pci/devices/$edu/driver_override"
echo "$edu" > /sys/bus/pci/drivers_probe

# boot NAME APPEND: passthru-vmm with edu, info log; $tmp/NAME.out, .err, .rc
boot() {
	PASSTHRU_LOG=info timeout 200 "$vmm" --kernel "$guest" --append "$2" --memory 64M \
		--device "$edu" >"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null
	echo $? >"$tmp/$1.rc"
}

# Where edu's BAR0 and INTx are (the scenario info), then its DMA and completion INTx.
boot info "scenario=info"
line=$(grep '^TG pci bdf=.* vendor=0x1234 device=0x11e8 ' "$tmp/info.out")
slot=$(printf '%s\n' "$line" | sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) .*/\1/p')
irq=$(printf '%s\n' "$line" | sed -n 's/.* irq_line=\([0-9]*\) irq_pin=1 .*/\1/p')
bar=$(sed -n "s/^TG pci-bar bdf=$slot bar=0 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) size=0x100000\$/\1/p" "$tmp/info.out")
tap_ok "$([ "$(cat "$tmp/info.rc")" = 0 ] && [ -n "$bar" ] && [ -n "$irq" ]; echo $?)" \
	"edu found at $slot, BAR0 $bar, INTx on IRQ $irq"
grep -q "guest RAM mapped for DMA in [0-9.]* ms while the guest ran" "$tmp/info.err"
tap_ok $? "guest RAM was mapped while the guest ran: $(grep -o 'guest RAM mapped for DMA in [0-9.]* ms' "$tmp/info.err")"
[ -n "$bar" ] || { sed 's/^/# /' "$tmp/info.err"; tap_done; }

# The guest enables MSI, which sets Bus Master Enable (held until the map is done),
# then has edu copy 0x80 bytes of guest RAM at 0x200000 into its buffer and raise its
# MSI at the end. A DMA before the map would be an IOMMU fault in the kernel's log.
dev=$((0x$(printf '%s' "$slot" | cut -c4-5)))
ack=$(printf '0x%x' $((bar + 0x64)))
dma=$(printf '0x%x:0x200000,0x%x:0x40000,0x%x:0x80,0x%x:5' $((bar + 0x80)) $((bar + 0x88)) \
	$((bar + 0x90)) $((bar + 0x98)))
faults0=$(dmesg | grep -c 'DMAR.*fault\|DMAR: \[DMA')
boot dma "scenario=irq-wait msi=$dev:0x45 poke=$dma irq_ack=0x45:$ack:0xffffffff expect=1 settle_ms=300 max=3 wait_ms=20000"
grep -q '^TG irq vec=0x45 cpu=0 count=1$' "$tmp/dma.out" &&
	grep -q '^TG result scenario=irq-wait status=PASS' "$tmp/dma.out"
tap_ok $? "BME set with MSI: edu's DMA completes and its MSI arrives"
[ "$(cat "$tmp/dma.rc")" = 0 ] || sed 's/^/# /' "$tmp/dma.out" "$tmp/dma.err"
faults=$(dmesg | grep -c 'DMAR.*fault\|DMAR: \[DMA')
tap_is "$faults" "$faults0" "no IOMMU fault in the kernel's log"
held=$(grep -o "the guest's Bus Master Enable held [0-9.]* ms" "$tmp/dma.err")
tap_diag "${held:-the map was done before the guest set BME}"

# A map the kernel refuses: VFIO allows no mapping at all.
echo 0 > "$limit"
boot nomap "scenario=rescan find=0x1234:0x11e8 master=1 bar_read=0:0 wait_ms=20000"
tap_is "$(cat "$tmp/nomap.rc")" 1 "a failed map: passthru-vmm ends with status 1"
err=$(grep "could not be mapped for the DMA of $edu" "$tmp/nomap.err")
tap_like "$err" "$(printf '%s' "No space left on device")" "it names edu and the error: $err"
grep -q '^TG result' "$tmp/nomap.out"
tap_ok "$([ $? -ne 0 ]; echo $?)" "the guest never read edu's register"

printf '[vm]\nname = dm\nmemory = 64M\nkernel = %s\ncmdline = scenario=spin\nconsole = none\n[device %s]\n' \
	"$guest" "$edu" >"$PASSTHRU_CONFIG_DIR/dm.conf"
"$ctl" start dm >"$tmp/start.out" 2>"$tmp/start.err"
rc=$?
tap_is "$rc" 1 "passthru-ctl start of a VM with edu: status 1"
tap_like "$(cat "$tmp/start.err")" "did not start" "it reports a VM that did not start"
echo "$limit0" > "$limit"
"$ctl" recover >/dev/null 2>&1
"$ctl" start dm >"$tmp/start.out" 2>"$tmp/start.err"
tap_is "$?" 0 "with the limit back, it starts"
"$ctl" stop dm >/dev/null 2>&1
tap_done
