#!/bin/sh
# passthru-vmm with a real device: QEMU's edu, on vfio-pci in the testbed, assigned
# to the project's test guest in the testbed's nested KVM. The guest finds the
# device with its IDs, BAR and MSI capability, reads its ID register through the
# BAR mapped as a memory slot, takes two INTx interrupts in a row (the second,
# edu's DMA completion, arrives only if the first was re-enabled at the guest's
# EOI through KVM's resamplefd and VFIO's unmask eventfd), then programs the
# virtual MSI capability and takes edu's MSI. Refusals name the cause.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && edu=${d##*/} && break
done
[ -n "$edu" ] || tap_skip_all "no edu device (1234:11e8) in this testbed"
tmp=$tap_tmp
trap 'rm -rf "$tmp"; echo > "/sys/bus/pci/devices/$edu/driver_override";
	[ -e "/sys/bus/pci/devices/$edu/driver" ] && echo "$edu" > "/sys/bus/pci/devices/$edu/driver/unbind"' EXIT

# The fixture step passthru-ctl prepare does for real.
echo vfio-pci > "/sys/bus/pci/devices/$edu/driver_override"
echo "$edu" > /sys/bus/pci/drivers_probe

# boot NAME APPEND [passthru-vmm options]: output in $tmp/NAME.out, status in $tmp/NAME.rc
boot() {
	name=$1 append=$2
	shift 2
	timeout 200 "$vmm" --kernel "$guest" --append "$append" --memory 64M "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}
has() { grep -Eq -- "$2" "$tmp/$1.out"; }

boot info "scenario=info" --device "$edu"
tap_is "$(cat "$tmp/info.rc")" 0 "the test guest runs with edu ($edu) assigned"
line=$(grep '^TG pci bdf=.* vendor=0x1234 device=0x11e8 ' "$tmp/info.out")
tap_like "$line" "class=0x00ff00" "the guest finds 1234:11e8 on its bus, with edu's class"
slot=$(printf '%s\n' "$line" | sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) .*/\1/p')
irq=$(printf '%s\n' "$line" | sed -n 's/.* irq_line=\([0-9]*\) irq_pin=1 .*/\1/p')
bar=$(sed -n "s/^TG pci-bar bdf=$slot bar=0 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) size=0x100000\$/\1/p" "$tmp/info.out")
tap_ok "$([ -n "$bar" ] && [ -n "$irq" ]; echo $?)" "BAR0: 1 MiB of 32-bit memory at $bar, INTx on IRQ $irq"
has info "^TG pci-cap bdf=$slot offset=0x[0-9a-f]+ id=0x05 name=msi enabled=0 vectors=1 addr64=1 maskable=0\$"
tap_ok $? "its MSI capability, virtualized: one vector, 64-bit"
[ -n "$bar" ] || { sed 's/^/# /' "$tmp/info.err"; tap_done; }

boot id "scenario=bad-mmio addr=$bar access=read size=4" --device "$edu"
has id '^TG result scenario=bad-mmio status=PASS detail="read 0x10000ed"$'
tap_ok $? "the guest reads edu's ID register (0x010000ed) through the BAR"

raise=$(printf '0x%x' $((bar + 0x60)))
ack=$(printf '0x%x' $((bar + 0x64)))
dma=$(printf '0x%x:0x200000,0x%x:0x40000,0x%x:0x80,0x%x:5' $((bar + 0x80)) $((bar + 0x88)) \
	$((bar + 0x90)) $((bar + 0x98)))
boot intx "scenario=irq-wait ioapic_pin=$irq:0x51:level poke=$raise:1,$dma irq_ack=0x51:$ack:0xffffffff expect=2 settle_ms=300 max=4 wait_ms=20000" \
	--device "$edu"
has intx '^TG irq vec=0x51 cpu=0 count=2$' && ! has intx '^TG irq vec=0x51 cpu=0 count=3$'
tap_ok $? "two INTx interrupts in a row (raise, then DMA done): the first was unmasked at EOI"
has intx '^TG result scenario=irq-wait status=PASS detail="received=2 unexpected=0 '
tap_ok $? "irq-wait PASS with exactly 2"
dev=$((0x$(printf '%s' "$slot" | cut -c4-5)))
boot msi "scenario=irq-wait msi=$dev:0x45 poke=$raise:1 irq_ack=0x45:$ack:1 expect=1 settle_ms=300 max=3" \
	--device "$edu"
has msi "^TG msi dev=$dev offset=0x[0-9a-f]+ vector=0x45 dest=0 addr64=1 enabled=1\$"
tap_ok $? "the guest programs the virtual MSI capability and enables it"
has msi '^TG irq vec=0x45 cpu=0 count=1$' &&
	has msi '^TG result scenario=irq-wait status=PASS detail="received=1 unexpected=0 '
tap_ok $? "edu's MSI arrives as the guest's vector 0x45 (MSI route + irqfd)"
tap_is "$(basename "$(readlink "/sys/bus/pci/devices/$edu/driver")")" vfio-pci \
	"after the VM, edu is still on vfio-pci"
tap_ok "$(python3 -c 'import os,sys; os.close(os.open(sys.argv[1], os.O_RDWR))' \
	"/dev/vfio/$(basename "$(readlink "/sys/bus/pci/devices/$edu/iommu_group")")" 2>/dev/null; echo $?)" \
	"and its group is free for the next VM"

boot nodev "scenario=info" --device 0000:3f:1f.7
tap_is "$(cat "$tmp/nodev.rc")" 5 "a device that does not exist: status 5"
tap_like "$(cat "$tmp/nodev.err")" "0000:3f:1f.7: no such PCI function" "and it says so"
other=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/driver" ] || [ ! -e "$d/iommu_group" ] || { other=${d##*/}; break; }
done
if [ -n "$other" ]; then
	boot unbound "scenario=info" --device "$other"
	tap_is "$(cat "$tmp/unbound.rc")" 4 "a device not on vfio-pci ($other): status 4"
	tap_like "$(cat "$tmp/unbound.err")" "not bound to vfio-pci (passthru-ctl prepare $other)" \
		"and the message says what to do"
else
	tap_ok 0 "# SKIP no unbound device in this testbed"
fi
tap_done
