#!/bin/sh
# Boots the test guest in QEMU (pc and microvm machines) and checks its lines
# against what QEMU's platform really is: QEMU is the reference the guest is
# tested against before passthru-vmm runs it. Prints TAP.
#
# Environment: top_builddir (set by make check; else the current directory),
# QEMU (default qemu-system-x86_64), ACCEL=tcg (default) or kvm: with kvm
# (tests/guest/test-guest-qemu-kvm, run in the testbed's nested KVM) the same
# checks run on a real in-kernel LAPIC, IOAPIC and PIT.
set -u

qemu=${QEMU:-qemu-system-x86_64}
guest=${top_builddir:-.}/tests/guest/guest.elf
lock=/tmp/passthru-qemu.lock
accel=${ACCEL:-tcg}

if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "1..0 # SKIP $qemu is not installed (Debian package qemu-system-x86)"
	exit 0
fi
case $accel in
tcg)
	cpu="-cpu max"
	;;
kvm)
	if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		echo "1..0 # SKIP no usable /dev/kvm here (the testbed runs this: make check-testbed)"
		exit 0
	fi
	cpu=	# QEMU's default model: -cpu max/host abort in nested KVM (TESTBED.md)
	;;
*)
	echo "Bail out! ACCEL must be tcg or kvm, not '$accel'"
	exit 1
	;;
esac
for tool in flock timeout od mkfifo cmp; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed"
		exit 0
	fi
done
if [ ! -f "$guest" ]; then
	echo "Bail out! $guest is missing: run make first"
	exit 1
fi

# Level-triggered semantics differ between KVM backends: upstream KVM keeps a level
# interrupt in service until the guest's EOI, the software KVM of some build machines
# (HOST-KVM.md) completes it at delivery. Ask the backend first (tests/guest/probe-level-eoi)
# and expect only what holds on it; the exact semantics are asserted where they hold.
level_eoi=at-eoi
if [ "$accel" = kvm ]; then
	probe=${top_builddir:-.}/tests/guest/probe-level-eoi
	level_eoi=$("$probe" 2>"${TMPDIR:-/tmp}/probe-level-eoi.$$") && level_eoi=${level_eoi#level-eoi: }
	probe_rc=$?
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-guest-qemu.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
	fi
}

# has NAME REGEX: the guest output of boot NAME has a line matching REGEX (grep -E).
has() {
	grep -Eq -- "$2" "$tmp/$1.out"
}

# boot NAME SMP APPEND [QEMU ARGS...]: output in $tmp/NAME.out, exit status in $tmp/NAME.rc.
# The machine type is $machine (pc unless set). Only one QEMU may run on this machine at a
# time: take the shared lock.
machine=pc
boot() {
	name=$1 smp=$2 append=$3
	shift 3
	t0=$(date +%s)
	# shellcheck disable=SC2086 # $cpu is empty or two words
	flock "$lock" timeout 120 "$qemu" -accel "$accel" -M "$machine" $cpu -smp "$smp" -m 128 \
		-nodefaults -display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0x501,iosize=2 \
		-kernel "$guest" -append "$append" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
	# Show what the guest said, for the test log.
	sed "s/^/# $name: /" "$tmp/$name.out" "$tmp/$name.err"
	echo "# $name: QEMU exit status $(cat "$tmp/$name.rc") after $(($(date +%s) - t0)) s (lock wait included)"
}

# wait_ready NAME PID: until boot NAME (QEMU process PID) says TG ready, ends, or 120 s pass.
wait_ready() {
	i=0
	while [ $i -lt 1200 ] && ! grep -q '^TG ready' "$tmp/$1.out"; do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}

# boot_ready NAME SMP APPEND: for scenarios that never end. Waits (up to 120 s) for
# TG ready, then 1 s more, then kills that QEMU; $tmp/NAME.rc says "alive" if it was still
# running then.
boot_ready() {
	name=$1 smp=$2 append=$3
	exec 9>"$lock"
	flock 9
	# shellcheck disable=SC2086 # $cpu is empty or two words
	"$qemu" -accel "$accel" -M "$machine" $cpu -smp "$smp" -m 128 \
		-nodefaults -display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0x501,iosize=2 \
		-kernel "$guest" -append "$append" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null 9>&- &
	pid=$!
	wait_ready "$name" "$pid"
	sleep 1
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid"
		echo alive >"$tmp/$name.rc"
	else
		wait "$pid"
		echo $? >"$tmp/$name.rc"
	fi
	exec 9>&-
	sed "s/^/# $name: /" "$tmp/$name.out" "$tmp/$name.err"
}

# boot_input NAME SMP APPEND INPUT: like boot, and the bytes of the file INPUT are typed on
# the guest's serial port once it says TG ready (bytes sent sooner could be lost when the guest
# resets its UART). QEMU's stdin is a FIFO that stays open until QEMU ends: no EOF. QEMU reads
# only as much as the emulated UART has room for, so no byte is dropped.
boot_input() {
	name=$1 smp=$2 append=$3 input=$4
	t0=$(date +%s)
	rm -f "$tmp/$name.in"
	mkfifo "$tmp/$name.in" || { echo "# mkfifo failed" >"$tmp/$name.err"; echo fifo >"$tmp/$name.rc"; return; }
	exec 9>"$lock"
	flock 9
	# shellcheck disable=SC2086 # $cpu is empty or two words
	timeout 120 "$qemu" -accel "$accel" -M "$machine" $cpu -smp "$smp" -m 128 \
		-nodefaults -display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0x501,iosize=2 \
		-kernel "$guest" -append "$append" \
		<"$tmp/$name.in" >"$tmp/$name.out" 2>"$tmp/$name.err" 9>&- &
	pid=$!
	exec 8>"$tmp/$name.in"	# meets QEMU's open of the FIFO
	wait_ready "$name" "$pid"
	cat "$input" >&8 2>/dev/null
	wait "$pid"
	echo $? >"$tmp/$name.rc"
	exec 8>&- 9>&-
	sed "s/^/# $name: /" "$tmp/$name.out" "$tmp/$name.err"
	echo "# $name: QEMU exit status $(cat "$tmp/$name.rc") after $(($(date +%s) - t0)) s (lock wait included)"
}

rc() {
	cat "$tmp/$1.rc"
}

# Every guest line follows PROTOCOL.md's grammar, and the run produced some.
grammar() {
	grep '^TG ' "$tmp/$1.out" >"$tmp/$1.tg"
	[ -s "$tmp/$1.tg" ] || return 1
	! grep -Ev '^TG [a-z][a-z0-9-]*( [a-z][a-z0-9_]*=([^ "]+|"[^"]*"))*$' "$tmp/$1.tg" >/dev/null
}

u32() {
	od -A n -t u4 -j "$2" -N 4 "$1" | tr -d ' '
}

u16() {
	od -A n -t u2 -j "$2" -N 2 "$1" | tr -d ' '
}

u8() {
	od -A n -t u1 -j "$2" -N 1 "$1" | tr -d ' '
}

# The ELF32 program header and the Multiboot address fields describe the same load.
image_check() {
	f=$1
	[ "$(u32 "$f" 0)" = 1179403647 ] || { echo "# not an ELF file"; return 1; }
	[ "$(u8 "$f" 4)" = 1 ] || { echo "# not ELF32"; return 1; }
	[ "$(u16 "$f" 18)" = 3 ] || { echo "# e_machine is not EM_386"; return 1; }
	entry=$(u32 "$f" 24)
	phoff=$(u32 "$f" 28)
	phnum=$(u16 "$f" 44)
	loads=0
	i=0
	while [ "$i" -lt "$phnum" ]; do
		ph=$((phoff + i * 32))
		if [ "$(u32 "$f" "$ph")" = 1 ]; then
			loads=$((loads + 1))
			p_offset=$(u32 "$f" $((ph + 4)))
			p_paddr=$(u32 "$f" $((ph + 12)))
			p_filesz=$(u32 "$f" $((ph + 16)))
			p_memsz=$(u32 "$f" $((ph + 20)))
		fi
		i=$((i + 1))
	done
	[ "$loads" = 1 ] || { echo "# $loads PT_LOAD segments, want 1"; return 1; }
	hdr=$(od -A d -t u4 -v -N 8192 "$f" | awk '{
		for (i = 2; i <= NF; i++) if ($i == 464367618) { print $1 + 4 * (i - 2); exit } }')
	[ -n "$hdr" ] || { echo "# no Multiboot header in the first 8 KiB"; return 1; }
	magic=$(u32 "$f" "$hdr")
	flags=$(u32 "$f" $((hdr + 4)))
	sum=$(u32 "$f" $((hdr + 8)))
	header_addr=$(u32 "$f" $((hdr + 12)))
	load_addr=$(u32 "$f" $((hdr + 16)))
	load_end=$(u32 "$f" $((hdr + 20)))
	bss_end=$(u32 "$f" $((hdr + 24)))
	entry_addr=$(u32 "$f" $((hdr + 28)))
	[ $(((magic + flags + sum) % 4294967296)) = 0 ] || { echo "# bad checksum"; return 1; }
	[ $((flags & 65536)) != 0 ] || { echo "# address fields not flagged"; return 1; }
	[ $((hdr - (header_addr - load_addr))) = "$p_offset" ] ||
		{ echo "# load_addr maps to file offset $((hdr - (header_addr - load_addr))), ELF says $p_offset"; return 1; }
	[ "$load_addr" = "$p_paddr" ] || { echo "# load_addr $load_addr, p_paddr $p_paddr"; return 1; }
	[ $((load_end - load_addr)) = "$p_filesz" ] || { echo "# load size differs"; return 1; }
	[ $((bss_end - load_addr)) = "$p_memsz" ] || { echo "# bss end differs"; return 1; }
	[ "$entry_addr" = "$entry" ] || { echo "# entry_addr $entry_addr, e_entry $entry"; return 1; }
}

image_check "$guest"
ok $? "image: ELF32 container with one PT_LOAD that the Multiboot address fields match"

# -- info: the platform of QEMU's pc machine, two CPUs, a device with MSI and one with MSI-X
boot info 2 "scenario=info" -device edu -device virtio-rng-pci
grammar info
ok $? "info: every line follows the grammar"
ok "$([ "$(rc info)" = 1 ]; echo $?)" "info: QEMU exits with 1, the guest's code 0 (PASS)"
has info '^TG hello version=1 magic=0x2badb002 mbi=0x[0-9a-f]+ loader="qemu"$'
ok $? "info: hello with the Multiboot magic"
has info '^TG cmdline text="[^"]* scenario=info"$'
ok $? "info: command line as QEMU passed it"
has info '^TG tsc khz=[0-9]+ source=pit$'
ok $? "info: TSC calibrated with the PIT"
has info '^TG cpus count=2 apic_ids=0,1 bsp_apic_id=0 disabled=0 source=madt$'
ok $? "info: the MADT lists the 2 CPUs of -smp 2"
has info '^TG ioapic id=0 addr=0xfec00000 gsi_base=0 pins=24 version=0x[0-9a-f]+ source=madt$'
ok $? "info: one IOAPIC with 24 pins at 0xfec00000"
has info '^TG ap cpu=1 apic_id=1 status=online$' && has info '^TG smp online=2 count=2 apic_ids=0,1$'
ok $? "info: the AP was started"
has info '^TG mem base=0x100000 len=0x[0-9a-f]+ type=1$' && has info '^TG mem base=0x0 len=0x9fc00 type=1$'
ok $? "info: memory map from Multiboot"
has info '^TG route source=madt type=int bus_type=isa irq=0 gsi=2 '
ok $? "info: the MADT's IRQ0 -> GSI2 override"
has info '^TG pci bdf=00:00.0 vendor=0x8086 device=0x1237 class=0x060000 '
ok $? "info: i440FX host bridge at 00:00.0"
has info '^TG pci bdf=00:01.0 vendor=0x8086 device=0x7000 class=0x060100 rev=0x[0-9a-f]+ header=0x80 '
ok $? "info: PIIX3 ISA bridge at 00:01.0, multi-function"
has info '^TG pci bdf=00:01.1 vendor=0x8086 device=0x7010 ' && has info '^TG pci bdf=00:01.3 vendor=0x8086 device=0x7113 '
ok $? "info: PIIX3 IDE and PIIX4 ACPI functions"
has info '^TG pci-bar bdf=00:01.1 bar=4 kind=io addr=0x[0-9a-f]+ size=0x10$'
ok $? "info: IDE bus-master I/O BAR sized 16 bytes"
edu=$(sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) vendor=0x1234 device=0x11e8 .*/\1/p' "$tmp/info.out")
ok "$([ -n "$edu" ]; echo $?)" "info: edu device found (at ${edu:-nowhere})"
has info "^TG pci-bar bdf=$edu bar=0 kind=mem32 prefetch=0 addr=0x[0-9a-f]+ size=0x100000$"
ok $? "info: edu BAR0 is 1 MiB of 32-bit memory"
has info "^TG pci-cap bdf=$edu offset=0x[0-9a-f]+ id=0x05 name=msi enabled=0 vectors=1 addr64=1 maskable=0$"
ok $? "info: edu MSI capability"
rng=$(sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) vendor=0x1af4 device=0x10\(05\|44\) .*/\1/p' "$tmp/info.out")
has info "^TG pci-cap bdf=$rng offset=0x[0-9a-f]+ id=0x11 name=msix enabled=0 masked=0 table_size=2 table_bar=[0-9] table_offset=0x[0-9a-f]+ pba_bar=[0-9] pba_offset=0x[0-9a-f]+$"
ok $? "info: virtio-rng MSI-X capability with 2 vectors (at ${rng:-nowhere})"
has info "^TG pci-cap bdf=$rng offset=0x[0-9a-f]+ id=0x09 name=vendor$"
ok $? "info: virtio vendor capabilities listed"
has info '^TG result scenario=info status=PASS ' && has info '^TG done status=PASS code=0 elapsed_ms=[0-9]+$'
ok $? "info: PASS and done"

# -- selftest-ipi: the IDT and LAPIC path, self and to the AP, two vectors
boot ipi 2 "scenario=selftest-ipi ipi_vectors=0x40,0xfe"
grammar ipi
ok $? "selftest-ipi: grammar"
has ipi '^TG irq vec=0x40 cpu=0 count=1$' && has ipi '^TG irq vec=0xfe cpu=0 count=1$'
ok $? "selftest-ipi: self-IPIs counted on cpu 0"
has ipi '^TG irq vec=0x40 cpu=1 count=1$' && has ipi '^TG irq vec=0xfe cpu=1 count=1$'
ok $? "selftest-ipi: IPIs to the AP counted on cpu 1"
has ipi '^TG irq-count vec=0xfe cpu=1 count=1$'
ok $? "selftest-ipi: summary counts"
has ipi '^TG result scenario=selftest-ipi status=PASS detail="sent=4 counted_once=4"$'
ok $? "selftest-ipi: PASS"
ok "$([ "$(rc ipi)" = 1 ]; echo $?)" "selftest-ipi: exit status 1 (code 0)"

# -- ud: the exception path reports #UD and recovers
boot ud 1 "scenario=ud"
has ud '^TG exception vec=0x06 name=UD cpu=0 rip=0x[0-9a-f]+ err=0x0 cr2=0x[0-9a-f]+ expected=1$'
ok $? "ud: #UD reported with vector, RIP and error code"
has ud '^TG result scenario=ud status=PASS ' && has ud '^TG done status=PASS code=0 elapsed_ms=[0-9]+$'
ok $? "ud: PASS after recovering"
ok "$([ "$(rc ud)" = 1 ]; echo $?)" "ud: exit status 1"

# -- int3: delivered as #BP by TCG and by hardware-backed KVM (software KVM backends fail it
#    with an internal error, which is what passthru-vmm's tests use it for)
if [ "$accel" = tcg ] || [ -d /sys/module/kvm_amd ] || [ -d /sys/module/kvm_intel ]; then
	boot int3 1 "scenario=int3"
	has int3 '^TG exception vec=0x03 name=BP cpu=0 rip=0x[0-9a-f]+ err=0x0 cr2=0x[0-9a-f]+ expected=1$' &&
		has int3 '^TG result scenario=int3 status=PASS ' && has int3 '^TG done status=PASS code=0 elapsed_ms=[0-9]+$'
	ok $? "int3: #BP reported, recovered, PASS"
else
	n=$((n + 1))
	echo "ok $n # SKIP int3: this KVM is not hardware-backed"
fi

# -- irq-wait: the PIT (ISA IRQ0 -> IOAPIC pin 2) delivers to vector 0x50 on the AP
boot irq 2 "scenario=irq-wait ioapic_pin=2:0x50:edge:1 expect=3 wait_ms=5000"
has irq '^TG ioapic-pin gsi=2 ioapic_id=0 pin=2 vector=0x50 trigger=edge polarity=high dest=1$'
ok $? "irq-wait: pin programmed as asked"
has irq '^TG ready scenario=irq-wait$'
ok $? "irq-wait: ready"
has irq '^TG irq vec=0x50 cpu=1 count=3$' && ! has irq '^TG irq vec=0x50 cpu=0 '
ok $? "irq-wait: 3 interrupts, all on the destination CPU"
has irq '^TG result scenario=irq-wait status=PASS detail="received=[3-9][0-9]* unexpected=0 elapsed_ms=[0-9]+ ended=expect"$'
ok $? "irq-wait: PASS when the expectation is met"

# -- the backend probe: which level semantics the checks below expect
if [ "$accel" = kvm ]; then
	if [ "$probe_rc" -eq 0 ]; then
		echo "# this KVM ends a level interrupt $level_eoi (tests/guest/probe-level-eoi)"
	else
		sed 's/^/# /' "${TMPDIR:-/tmp}/probe-level-eoi.$$"
	fi
	rm -f "${TMPDIR:-/tmp}/probe-level-eoi.$$"
	ok "$probe_rc" "level-EOI probe: the backend answered ($level_eoi)"
	if [ -d /sys/module/kvm_amd ] || [ -d /sys/module/kvm_intel ]; then
		ok "$([ "$level_eoi" = at-eoi ]; echo $?)" "level-EOI probe: hardware-backed KVM resamples at the guest's EOI"
	else
		n=$((n + 1))
		echo "ok $n # SKIP level-EOI probe: this KVM is not hardware-backed, either answer is its own"
	fi
fi

# -- irq-wait, level-triggered: edu's INTx (raised by a poke at BAR0+0x60, quieted in the
#    handler at BAR0+0x64) on its IOAPIC pin, with the same devices as the info boot
edu_bar=$(sed -n "s/^TG pci-bar bdf=$edu bar=0 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) .*/\1/p" "$tmp/info.out")
edu_irq=$(sed -n "s/^TG pci bdf=$edu .* irq_line=\([0-9]*\) irq_pin=1 .*/\1/p" "$tmp/info.out")
if [ -n "$edu_bar" ] && [ -n "$edu_irq" ]; then
	raise=$(printf '0x%x' $((edu_bar + 0x60)))
	ack=$(printf '0x%x' $((edu_bar + 0x64)))
	boot level 2 "scenario=irq-wait ioapic_pin=$edu_irq:0x51:level:1 poke=$raise:1 irq_ack=0x51:$ack:1 expect=1 settle_ms=300 max=5" \
		-device edu -device virtio-rng-pci
	boot storm 2 "scenario=irq-wait,selftest-ipi ioapic_pin=$edu_irq:0x51:level poke=$raise:1 expect=1 max=5" \
		-device edu -device virtio-rng-pci
	edu_dev=$((0x$(printf '%s' "$edu" | cut -c4-5)))
	boot msi 1 "scenario=irq-wait msi=$edu_dev:0x45 poke=$raise:1 irq_ack=0x45:$ack:1 expect=1 settle_ms=200" \
		-device edu -device virtio-rng-pci
fi
has msi "^TG msi dev=${edu_dev:-x} offset=0x[0-9a-f]+ vector=0x45 dest=0 addr64=1 enabled=1\$" &&
	has msi '^TG irq vec=0x45 cpu=0 count=1$' &&
	has msi '^TG result scenario=irq-wait status=PASS detail="received=1 unexpected=0 '
ok $? "irq-wait msi=: the guest programs edu's MSI capability and gets vector 0x45"
if [ "$level_eoi" = at-eoi ]; then
	has level "^TG ioapic-pin gsi=$edu_irq ioapic_id=0 pin=$edu_irq vector=0x51 trigger=level polarity=high dest=1\$" &&
		has level '^TG irq vec=0x51 cpu=1 count=1$' && ! has level '^TG irq vec=0x51 cpu=[0-9]+ count=2$'
	ok $? "irq-wait level: one interrupt per assertion when the handler quiets the device"
	has level '^TG result scenario=irq-wait status=PASS detail="received=1 unexpected=0 elapsed_ms=[0-9]+ ended=expect"$'
	ok $? "irq-wait level: PASS"
	has storm '^TG result scenario=irq-wait status=FAIL detail="received=[0-9]+ unexpected=0 elapsed_ms=[0-9]+ ended=storm storm_vector=0x51"$'
	ok $? "irq-wait level: a line that stays asserted is a storm, stopped at max"
	has storm '^TG result scenario=selftest-ipi status=PASS ' && has storm '^TG done status=FAIL code=1 elapsed_ms=[0-9]+$'
	ok $? "irq-wait level: the pin is masked and the next scenario runs"
else
	# Completed at delivery: the line the handler quiets may be delivered once more
	# before the handler runs, and a storm may be cut short by the expectation.
	has level "^TG ioapic-pin gsi=$edu_irq ioapic_id=0 pin=$edu_irq vector=0x51 trigger=level polarity=high dest=1\$" &&
		has level '^TG irq vec=0x51 cpu=1 count=1$' && ! has level '^TG irq vec=0x51 cpu=0 '
	ok $? "irq-wait level ($level_eoi): the assertion is delivered to the destination CPU"
	has level '^TG result scenario=irq-wait status=PASS detail="received=[1-9][0-9]* unexpected=0 elapsed_ms=[0-9]+ ended=expect"$'
	ok $? "irq-wait level ($level_eoi): PASS, nothing unexpected"
	has storm '^TG irq vec=0x51 cpu=0 count=2$'
	ok $? "irq-wait level ($level_eoi): a line that stays asserted is delivered again"
	has storm '^TG result scenario=selftest-ipi status=PASS ' && has storm '^TG done status=[A-Z]+ code=[01] elapsed_ms=[0-9]+$'
	ok $? "irq-wait level ($level_eoi): the pin is masked and the next scenario runs"
fi

# -- irq-wait msix=: e1000e (82574) raises an MSI-X vector per interrupt cause written to
#    ICS (BAR0+0xc8) and enabled in IMS (+0xd0); IVAR (+0xe4) maps RXQ0 (bit 20) to entry 0
#    and TXQ0 (bit 22) to entry 1; the handlers clear their cause in ICR (+0xc0), so that
#    msix_mask= can raise TXQ0 again with entry 1 masked. QEMU's MSI-X keeps a masked
#    vector's interrupt pending in the PBA and sends it at the unmask.
boot nicinfo 1 "scenario=info" -device e1000e -nic none
nic=$(sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) vendor=0x8086 device=0x10d3 .*/\1/p' "$tmp/nicinfo.out")
nic_bar=$(sed -n "s/^TG pci-bar bdf=$nic bar=0 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) .*/\1/p" "$tmp/nicinfo.out")
nic_bar3=$(sed -n "s/^TG pci-bar bdf=$nic bar=3 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) .*/\1/p" "$tmp/nicinfo.out")
has nicinfo "^TG pci-cap bdf=$nic offset=0x[0-9a-f]+ id=0x11 name=msix enabled=0 masked=0 table_size=5 table_bar=3 table_offset=0x0 pba_bar=3 pba_offset=0x2000\$"
ok $? "info: e1000e at ${nic:-nowhere}, BAR0 at ${nic_bar:-nowhere}, its MSI-X table in BAR3"
if [ -n "$nic" ] && [ -n "$nic_bar" ]; then
	nic_dev=$((0x$(printf '%s' "$nic" | cut -c4-5)))
	r() { printf '0x%x' $((nic_bar + $1)); }
	nic_writes="poke=$(r 0xe4):0x908,$(r 0xd0):0x500000,$(r 0xc8):0x100000,$(r 0xc8):0x400000 irq_ack=0x61:$(r 0xc0):0x100000,0x62:$(r 0xc0):0x400000"
	boot msix 1 "scenario=irq-wait msix=$nic_dev:0:0x61,$nic_dev:1:0x62 $nic_writes expect=1 settle_ms=200 max=3 msix_mask=1:$(r 0xc8):0x400000" \
		-device e1000e -nic none
	boot msixbar 1 "scenario=irq-wait msix=$nic_dev:0:0x61,$nic_dev:1:0x62 msix_bar=0xfe000000 $nic_writes expect=1 settle_ms=200 max=3" \
		-device e1000e -nic none
	# msix_add=: entry 1 programmed and unmasked after the enable (RXQ0 only raised
	# first); with a write that raises nothing (ICS 0) it must FAIL.
	nic_one="poke=$(r 0xe4):0x908,$(r 0xd0):0x500000,$(r 0xc8):0x100000 irq_ack=0x61:$(r 0xc0):0x100000,0x62:$(r 0xc0):0x400000"
	boot msixadd 1 "scenario=irq-wait msix=$nic_dev:0:0x61 msix_add=1:0x62:$(r 0xc8):0x400000 $nic_one expect=1 settle_ms=200 max=3" \
		-device e1000e -nic none
	boot msixaddfail 1 "scenario=irq-wait msix=$nic_dev:0:0x61 msix_add=1:0x62:$(r 0xc8):0 $nic_one expect=1 settle_ms=200 max=3" \
		-device e1000e -nic none
fi
has msix "^TG msix dev=${nic_dev:-x} offset=0x[0-9a-f]+ entries=5 table_bar=3 table_offset=0x0 pba_bar=3 pba_offset=0x2000 enabled=1 masked=0 table_addr=${nic_bar3:-x}\$" &&
	has msix "^TG msix-entry dev=${nic_dev:-x} entry=0 vector=0x61 dest=0 masked=0\$" &&
	has msix "^TG msix-entry dev=${nic_dev:-x} entry=1 vector=0x62 dest=0 masked=0\$"
ok $? "irq-wait msix=: the guest finds e1000e's table through the capability and BAR3, programs two entries"
has msix '^TG irq vec=0x61 cpu=0 count=1$' && has msix '^TG irq vec=0x62 cpu=0 count=1$'
ok $? "irq-wait msix=: RXQ0 arrives on entry 0 (0x61), TXQ0 on entry 1 (0x62)"
has msix "^TG msix-mask dev=${nic_dev:-x} entry=1 vector=0x62 while_masked=0 pending=1 after_unmask=1\$"
ok $? "irq-wait msix_mask=: masked, TXQ0 stays pending in the PBA and arrives at the unmask"
has msix '^TG result scenario=irq-wait status=PASS detail="received=3 unexpected=0 '
ok $? "irq-wait msix=: PASS"
has msixbar "^TG msix dev=${nic_dev:-x} offset=0x[0-9a-f]+ entries=5 .* table_addr=0xfe000000\$" &&
	has msixbar '^TG result scenario=irq-wait status=PASS detail="received=2 unexpected=0 '
ok $? "irq-wait msix_bar=: the table's BAR moved to 0xfe000000 first, both vectors arrive"
has msixadd "^TG msix-entry dev=${nic_dev:-x} entry=0 vector=0x61 dest=0 masked=0\$" &&
	! has msixadd "^TG msix-entry dev=${nic_dev:-x} entry=1 " &&
	has msixadd "^TG msix-add dev=${nic_dev:-x} entry=1 vector=0x62 enabled=1 received=1\$" &&
	has msixadd '^TG result scenario=irq-wait status=PASS detail="received=2 unexpected=0 '
ok $? "irq-wait msix_add=: entry 1 added with MSI-X enabled, TXQ0 arrives on it (0x62)"
has msixaddfail "^TG msix-add dev=${nic_dev:-x} entry=1 vector=0x62 enabled=1 received=0\$" &&
	has msixaddfail '^TG result scenario=irq-wait status=FAIL detail="received=1 unexpected=0 '
ok $? "irq-wait msix_add=: nothing raised on the added entry is a FAIL"

# -- stop_vector ends the wait; print=summary prints counts only
boot stop 1 "scenario=irq-wait ioapic_pin=2:0x50:edge stop_vector=0x50 print=summary wait_ms=5000"
has stop '^TG result scenario=irq-wait status=PASS detail="received=[1-9][0-9]* unexpected=0 elapsed_ms=[0-9]+ ended=stop"$'
ok $? "irq-wait: stop_vector ends the scenario"
has stop '^TG irq-count vec=0x50 cpu=0 count=[1-9][0-9]*$' && ! has stop '^TG irq '
ok $? "irq-wait: print=summary prints only the counts"

# -- irq-wait that cannot be satisfied: FAIL after wait_ms, exit code 1
boot irqfail 1 "scenario=irq-wait vectors=0x60 expect=1 wait_ms=300"
has irqfail '^TG result scenario=irq-wait status=FAIL detail="received=0 unexpected=0 elapsed_ms=[0-9]+ ended=timeout"$'
ok $? "irq-wait: FAIL on timeout"
has irqfail '^TG done status=FAIL code=1 elapsed_ms=[0-9]+$'
ok $? "irq-wait: done FAIL"
ok "$([ "$(rc irqfail)" = 3 ]; echo $?)" "irq-wait: exit status 3 (code 1)"

# -- an unknown port, then poweroff with a chosen code
boot port 1 "scenario=bad-port,poweroff port=0x1234 access=in size=4 code=7"
has port '^TG action what=bad-port port=0x1234 access=in size=4 value=0x0$'
ok $? "bad-port: announced"
has port '^TG result scenario=bad-port status=PASS detail="read 0xffffffff"$'
ok $? "bad-port: QEMU reads all-ones from nothing"
has port '^TG done status=PASS code=7 elapsed_ms=[0-9]+$'
ok $? "poweroff: done with code 7"
ok "$([ "$(rc port)" = 15 ]; echo $?)" "poweroff: exit status (7 << 1) | 1"

# -- an MMIO read from nothing
boot mmio 1 "scenario=bad-mmio addr=0xd0000000 access=read size=4"
has mmio '^TG action what=bad-mmio addr=0xd0000000 access=read size=4 value=0x0$' &&
	has mmio '^TG result scenario=bad-mmio status=PASS detail="read 0x[0-9a-f]+"$'
ok $? "bad-mmio: announced, and the guest continues"

# -- rescan: a device found on the bus and read through its BAR (edu's ID register)
boot rescan 1 "scenario=rescan find=0x1234:0x11e8 bar_read=0:0 wait_ms=2000" -device edu
has rescan '^TG pci bdf=00:[0-9a-f]{2}\.0 vendor=0x1234 device=0x11e8 ' &&
	has rescan '^TG result scenario=rescan status=PASS detail="found 00:[0-9a-f]{2}\.0 bar0=0x[0-9a-f]+ read 0x10000ed"$'
ok $? "rescan: edu found, its ID register read through BAR0"
boot norescan 1 "scenario=rescan find=0x1234:0x11e8 wait_ms=200"
has norescan '^TG result scenario=rescan status=FAIL detail="no 1234:11e8 on bus 0 within 200 ms"$'
ok $? "rescan: a device that never comes is a FAIL after wait_ms"
# -- rescan find_fn=: function 1 of a multifunction slot, found through function 0's bit 7
boot rescanfn 1 "scenario=info,rescan find=0x1234:0x11e8 find_fn=1 bar_read=0:0 wait_ms=2000" \
	-device edu,addr=0x5.0,multifunction=on -device edu,addr=0x5.1
has rescanfn '^TG pci bdf=00:05\.0 vendor=0x1234 device=0x11e8 .* header=0x80 ' &&
	has rescanfn '^TG pci bdf=00:05\.1 vendor=0x1234 device=0x11e8 ' &&
	has rescanfn '^TG result scenario=rescan status=PASS detail="found 00:05\.1 bar0=0x[0-9a-f]+ read 0x10000ed"$'
ok $? "rescan find_fn=1: 00:05.1 found behind 00:05.0's multi-function bit, read through its BAR0"

# -- rescan rom_read=: e1000e's option ROM sized, enabled and read as a driver does
rom=/usr/share/qemu/efi-e1000e.rom
[ -f "$rom" ] || rom=/usr/lib/ipxe/qemu/efi-e1000e.rom	# Debian's ipxe-qemu
if [ -f "$rom" ]; then
	want=$(od -An -tx4 -j 0x40 -N4 "$rom" | tr -d ' ')
	boot rom 1 "scenario=rescan find=0x8086:0x10d3 rom_read=0x40 rom_sig=1 wait_ms=2000" \
		-device "e1000e,romfile=$rom" -nic none
	has rom "^TG pci-rom bdf=00:[0-9a-f]{2}\.0 addr=0x[0-9a-f]+ size=0x40000 signature=0xaa55 pcir=0x[0-9a-f]+ pcir_ok=1 offset=0x40 value=0x$want$" &&
		has rom '^TG result scenario=rescan status=PASS '
	ok $? "rescan rom_read=: the ROM's 0x55AA, its PCIR and the file's bytes at 0x40"
else
	n=$((n + 1))
	echo "ok $n # SKIP no efi-e1000e.rom (Debian package ipxe-qemu)"
fi
boot norom 1 "scenario=rescan find=0x8086:0x10d3 rom_read=0 wait_ms=2000" \
	-device e1000e,romfile= -nic none
has norom '^TG pci-rom bdf=00:[0-9a-f]{2}\.0 addr=0x0 size=0x0 ' &&
	has norom '^TG result scenario=rescan status=PASS '
ok $? "rescan rom_read=: no ROM BAR reads back size 0, which is no failure"
boot norom_sig 1 "scenario=rescan find=0x8086:0x10d3 rom_read=0 rom_sig=1 wait_ms=2000" \
	-device e1000e,romfile= -nic none
has norom_sig '^TG result scenario=rescan status=FAIL detail="found 00:[0-9a-f]{2}\.0, but its ROM BAR is absent"$'
ok $? "rescan rom_sig=1: no ROM BAR is a FAIL saying so"

# -- command line errors
boot badcmd 1 "scenario=info bogus=1"
has badcmd "^TG result scenario=cmdline status=FAIL detail=\"unknown key 'bogus'\"$" &&
	has badcmd '^TG done status=FAIL code=1 elapsed_ms=[0-9]+$'
ok $? "cmdline: an unknown key is a FAIL naming it"
ok "$([ "$(rc badcmd)" = 3 ]; echo $?)" "cmdline: exit status 3"
boot badmsix 1 "scenario=irq-wait msix=3:0:0x61,4:1:0x62"
has badmsix "^TG result scenario=cmdline status=FAIL detail=\"bad value in 'msix=3:0:0x61,4:1:0x62' "
ok $? "cmdline: msix= entries of two functions are refused"
boot nomsix 1 "scenario=irq-wait msix=2:0:0x61 expect=1" -device edu
has nomsix '^TG result scenario=irq-wait status=FAIL detail="msix: 00:02.0 has no MSI-X capability"$'
ok $? "irq-wait msix=: a function without MSI-X is a FAIL saying so"

# -- reset and triple fault end the run without TG done (-no-reboot makes QEMU exit 0)
boot reset 1 "scenario=reset"
has reset '^TG action what=reset$' && ! has reset '^TG (done|result) '
ok $? "reset: announced, nothing after"
ok "$([ "$(rc reset)" = 0 ]; echo $?)" "reset: QEMU ended on the reset"
boot triple 1 "scenario=triple-fault"
has triple '^TG action what=triple-fault$' && ! has triple '^TG (done|result|exception) '
ok $? "triple-fault: announced, nothing after"
ok "$([ "$(rc triple)" = 0 ]; echo $?)" "triple-fault: QEMU ended on the shutdown"

# -- halt and spin never end by themselves (a VMM's "stop" tests end them)
boot_ready halt 2 "scenario=halt"
boot_ready spin 2 "scenario=spin"
has halt '^TG ready scenario=halt$' && ! has halt '^TG (done|result) ' &&
	has spin '^TG ready scenario=spin$' && ! has spin '^TG (done|result) '
ok $? "halt, spin: ready, then nothing"
ok "$([ "$(rc halt)" = alive ] && [ "$(rc spin)" = alive ]; echo $?)" "halt, spin: still running 1 s after ready"

# -- echo: lines typed on the serial port come back, escaped like any quoted value; the
#    rest of an over-long line is dropped; "quit" ends the scenario, and what follows is not read
long=$(printf '%0200d' 0 | tr 0 a)
{
	printf 'hello world\r\n'		# CR LF ends one line
	printf 'say "hi"\n'
	printf 'tab\there\n\n'		# a control character; an empty line
	printf '%sbbbbbbbbbbbbbbbbbbbb\n' "$long"	# 220 characters
	printf 'quits\n'
	printf 'quit\nafter\n'
} >"$tmp/echo.input"
{
	echo 'TG echo text="hello world"'
	echo "TG echo text=\"say 'hi'\""
	echo "TG echo text=\"tab'here\""
	echo "TG echo text=\"$long\""
	echo 'TG echo text="quits"'
	echo 'TG echo text="quit"'
} >"$tmp/echo.want"
boot_input echo 1 "scenario=echo wait_ms=20000" "$tmp/echo.input"
grammar echo
ok $? "echo: every line follows the grammar"
has echo '^TG ready scenario=echo$'
ok $? "echo: ready"
grep '^TG echo ' "$tmp/echo.out" | cmp -s - "$tmp/echo.want"
ok $? "echo: each line echoed once, quote and tab escaped, cut at 200 characters, nothing after quit"
has echo '^TG result scenario=echo status=PASS detail="lines=6 cut=1 overruns=0 wait_ms=20000 elapsed_ms=[0-9]+ ended=quit"$' &&
	has echo '^TG done status=PASS code=0 elapsed_ms=[0-9]+$'
ok $? "echo: PASS on quit"
ok "$([ "$(rc echo)" = 1 ]; echo $?)" "echo: exit status 1 (code 0)"

# -- echo without quit (a "quit" with no line end does not count): FAIL after wait_ms
printf 'no quit here\nquit' >"$tmp/echotimeout.input"
boot_input echotimeout 1 "scenario=echo wait_ms=1000" "$tmp/echotimeout.input"
[ "$(grep '^TG echo ' "$tmp/echotimeout.out")" = 'TG echo text="no quit here"' ]
ok $? "echo timeout: the finished line echoed, the unfinished one not"
has echotimeout '^TG result scenario=echo status=FAIL detail="lines=1 cut=0 overruns=0 wait_ms=1000 elapsed_ms=[0-9]+ ended=timeout"$' &&
	has echotimeout '^TG done status=FAIL code=1 elapsed_ms=[0-9]+$'
ok $? "echo timeout: FAIL naming the timeout"
ok "$([ "$(rc echotimeout)" = 3 ]; echo $?)" "echo timeout: exit status 3 (code 1)"

# -- echo's own default watchdog, 30 s
printf 'quit\n' >"$tmp/echodefault.input"
boot_input echodefault 1 "scenario=echo" "$tmp/echodefault.input"
has echodefault '^TG result scenario=echo status=PASS detail="lines=1 cut=0 overruns=0 wait_ms=30000 elapsed_ms=[0-9]+ ended=quit"$'
ok $? "echo: wait_ms defaults to 30000"

# -- microvm: no PCI, no port 0x61, two IOAPICs
machine=microvm
boot microvm 2 "scenario=info,selftest-ipi"
machine=pc
if [ "$accel" = tcg ]; then
	has microvm '^TG tsc khz=[0-9]+ source=pit0$'
	ok $? "microvm: TSC calibrated on PIT channel 0 without port 0x61"
	has microvm '^TG ioapic id=0 addr=0xfec00000 gsi_base=0 pins=24 ' &&
		has microvm '^TG ioapic id=1 addr=0xfec10000 gsi_base=24 pins=24 '
	ok $? "microvm: both IOAPICs, the second from GSI 24"
else	# KVM's in-kernel PIT answers port 0x61; microvm has one IOAPIC with KVM's irqchip
	has microvm '^TG tsc khz=[0-9]+ source=pit0?$'
	ok $? "microvm: TSC calibrated on the PIT"
	has microvm '^TG ioapic id=0 addr=0xfec00000 gsi_base=0 pins=24 '
	ok $? "microvm: the IOAPIC"
fi
has microvm '^TG result scenario=info status=FAIL detail="no device at 00:00.0"$' &&
	has microvm '^TG result scenario=selftest-ipi status=PASS ' && has microvm '^TG done status=FAIL code=1 elapsed_ms=[0-9]+$'
ok $? "microvm: info FAILs without a PCI host bridge, and the run goes on"

# -- the MP table path (SeaBIOS lists one processor entry per package, so only the IOAPIC and
#    the routes are compared) and smp=0
boot mp 2 "scenario=info tables=mp smp=0"
has mp '^TG tables rsdp=0x[0-9a-f]+ madt=0x[0-9a-f]+ mp=0x[0-9a-f]+ used=mp$' &&
	has mp '^TG ioapic id=0 addr=0xfec00000 gsi_base=0 pins=24 version=0x[0-9a-f]+ source=mp$'
ok $? "tables=mp: CPUs and IOAPIC from the MP table"
has mp '^TG route source=mp type=int bus=0 bus_type=pci dev=1 int=A ioapic_id=0 pin=[0-9]+ gsi=[0-9]+ '
ok $? "tables=mp: PCI interrupt routes from the MP table"
has mp '^TG smp online=1 ' && ! has mp '^TG ap '
ok $? "smp=0: no AP started"

# The plan comes last: a run that dies half-way has none, which the harness reports.
echo "1..$n"
exit 0
