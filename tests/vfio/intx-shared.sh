#!/bin/sh
# Two INTx devices on one IOAPIC pin: two of QEMU's edu in the testbed, assigned to one
# VM at guest slots 3 and 11, whose INTA both swizzle onto GSI 19 (16 + slot % 8). The
# test guest programs pin 19 level-triggered; its handler, as a shared-line driver's,
# reads both edus' interrupt status (0x24) and acks both (0x64). Each edu alone raises
# its INTx (0x60) and then finishes a DMA: two interrupts in a row, the second only
# if the first was resampled at the guest's EOI. Both together: one raise each, then
# the DMA of one of them or of both: every device's bits are seen, and the one whose
# DMA comes last is heard after a shared EOI. status --json shows both on GSI 19 in
# INTx mode, routes --json both owners of GSI 19, each with its irqfd.
# Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
vmm=$top_builddir/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
testbed_require
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 reads the JSON answers"
set -- $(pci_find_all 0x1234 0x11e8)
[ $# -ge 2 ] || tap_skip_all "fewer than two edu (1234:11e8) here (kvm-suite.sh adds two)"
a=$1 b=$2
slot_a=3 slot_b=11 gsi=19 vec=0x51

ctl_env_tmp "$vmm"
driver() { d=$(pci_driver "$1"); echo "${d:-none}"; }
before="$(driver "$a") $(driver "$b")"
trap '"$ctl" stop --force sh-wait >/dev/null 2>&1; "$ctl" recover >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT
json() { # EXPR over the JSON on stdin (d)
	python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# define NAME CMDLINE: a VM with edu A at slot 3 and edu B at slot 11, console to a file.
define() {
	{
		printf '[vm]\nname = %s\nmemory = 64M\nkernel = %s\ncmdline = %s\n' "$1" "$guest" "$2"
		printf 'console = file:%s/%s.console\n' "$tap_tmp" "$1"
		printf '[device %s]\nguest-slot = %s\n[device %s]\nguest-slot = %s\n' \
			"$a" "$slot_a" "$b" "$slot_b"
	} >"$PASSTHRU_CONFIG_DIR/$1.conf"
}
# run NAME CMDLINE: passthru-ctl run, console in $tap_tmp/NAME.console, status in $rc
run() {
	define "$1" "$2"
	PASSTHRU_LOG=info timeout 200 "$ctl" run "$1" >"$tap_tmp/$1.out" 2>"$tap_tmp/$1.err"
	rc=$?
	[ "$rc" = 0 ] || { tap_diag "$1: exit $rc"; sed 's/^/# /' "$tap_tmp/$1.err" | tail -15; }
}
con() { cat "$tap_tmp/$1.console"; }
has() { grep -Eq -- "$2" "$tap_tmp/$1.console"; }

# -- where the guest finds them: both INTA on IRQ 19
run info "scenario=info"
tap_is "$rc" 0 "passthru-ctl run with edu $a at slot $slot_a and edu $b at slot $slot_b"
la=$(grep "^TG pci bdf=00:03.0 vendor=0x1234 device=0x11e8 " "$tap_tmp/info.console")
lb=$(grep "^TG pci bdf=00:0b.0 vendor=0x1234 device=0x11e8 " "$tap_tmp/info.console")
tap_ok "$([ -n "$la" ] && [ -n "$lb" ]; echo $?)" "the guest finds both edus, at 00:03.0 and 00:0b.0"
tap_like "$la" "irq_line=$gsi irq_pin=1 " "00:03.0: INTA on IRQ $gsi"
tap_like "$lb" "irq_line=$gsi irq_pin=1 " "00:0b.0: INTA on IRQ $gsi as well (slots 3 and 11 swizzle onto one pin)"
tap_like "$(cat "$tap_tmp/info.err")" "$b: INTx on GSI $gsi, shared with $a" "the VMM logs the sharing"
bar() { sed -n "s/^TG pci-bar bdf=$1 bar=0 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) size=0x100000\$/\1/p" \
	"$tap_tmp/info.console"; }
bar_a=$(bar 00:03.0) bar_b=$(bar 00:0b.0)
tap_ok "$([ -n "$bar_a" ] && [ -n "$bar_b" ]; echo $?)" "BAR0 of each: $bar_a, $bar_b"
[ -n "$bar_a" ] && [ -n "$bar_b" ] || { con info | sed 's/^/# /' | tail -30; tap_done; }

reg() { printf '0x%x' $(($1 + $2)); }
raise() { printf '%s:1' "$(reg "$1" 0x60)"; } # edu: interrupt status |= 1, INTx up
dma() { # a 128-byte DMA from guest RAM into edu's buffer, interrupt (0x100) when done
	printf '%s:0x200000,%s:0x40000,%s:0x80,%s:5' "$(reg "$1" 0x80)" "$(reg "$1" 0x88)" \
		"$(reg "$1" 0x90)" "$(reg "$1" 0x98)"
}
handler="ioapic_pin=$gsi:$vec:level irq_read=$vec:$(reg "$bar_a" 0x24),$vec:$(reg "$bar_b" 0x24)"
handler="$handler irq_ack=$vec:$(reg "$bar_a" 0x64):0xffffffff,$vec:$(reg "$bar_b" 0x64):0xffffffff"
# reads NAME BAR: every status value the handler read from that edu, one a line
reads() { sed -n "s/^TG irq-read vec=$vec cpu=[0-9]* count=[0-9]* addr=$(reg "$2" 0x24) value=\(0x[0-9a-f]*\)\$/\1/p" \
	"$tap_tmp/$1.console"; }
# seen NAME BAR BIT: the handler saw BIT set in that edu's status at some interrupt
seen() { for v in $(reads "$1" "$2"); do [ $((v & $3)) != 0 ] && return 0; done; return 1; }
# last NAME BAR: the status that edu had at the last interrupt
last() { reads "$1" "$2" | tail -n 1; }
count() { sed -n "s/^TG irq-count vec=$vec cpu=0 count=\([0-9]*\)\$/\1/p" "$tap_tmp/$1.console"; }
passed() { has "$1" '^TG result scenario=irq-wait status=PASS '; }

# -- each alone: raise, then DMA done: two interrupts, the second after a resample
for who in a b; do
	if [ $who = a ]; then me=$bar_a other=$bar_b dev=$a; else me=$bar_b other=$bar_a dev=$b; fi
	run alone-$who "scenario=irq-wait $handler poke=$(raise "$me"),$(dma "$me") expect=2 settle_ms=500 max=4 wait_ms=20000"
	tap_is "$(count alone-$who)" 2 "$who ($dev) alone: exactly two INTx on the shared pin (raise, then DMA)"
	tap_is "$(reads alone-$who "$me" | tr '\n' ' ')" "0x1 0x100 " \
		"$who alone: the handler saw its raise, then its DMA completion (resampled at the EOI)"
	tap_is "$(reads alone-$who "$other" | tr '\n' ' ')" "0x0 0x0 " "$who alone: the other edu was quiet"
	passed alone-$who
	tap_ok $? "$who alone: irq-wait passes (no storm)"
done

# -- together: both raise, then one or both DMA; every bit is seen, no storm
for who in a b both; do
	case $who in
	a) pokes="$(dma "$bar_a")" ;;
	b) pokes="$(dma "$bar_b")" ;;
	both) pokes="$(dma "$bar_a"),$(dma "$bar_b")" ;;
	esac
	run both-$who "scenario=irq-wait $handler poke=$(raise "$bar_a"),$(raise "$bar_b"),$pokes expect=2 settle_ms=1500 max=6 wait_ms=20000"
	n=$(count both-$who)
	tap_ok "$([ "${n:-0}" -ge 2 ] && [ "$n" -le 4 ]; echo $?)" \
		"both raise, then DMA of $who: $n interrupts on the shared pin (2-4: raises and DMAs may coincide)"
	seen both-$who "$bar_a" 1 && seen both-$who "$bar_b" 1
	tap_ok $? "DMA of $who: the handler saw both edus' raise"
	case $who in
	a) seen both-a "$bar_a" 0x100 && [ "$(last both-a "$bar_a")" = 0x100 ] && [ "$(last both-a "$bar_b")" = 0x0 ] ;;
	b) seen both-b "$bar_b" 0x100 && [ "$(last both-b "$bar_b")" = 0x100 ] && [ "$(last both-b "$bar_a")" = 0x0 ] ;;
	both) seen both-both "$bar_a" 0x100 && seen both-both "$bar_b" 0x100 ;;
	esac
	tap_ok $? "DMA of $who: its completion came in after the shared EOI (the line was resampled for it)"
	passed both-$who
	tap_ok $? "DMA of $who: irq-wait passes (no storm)"
	[ "$rc" = 0 ] && passed both-$who || con both-$who | grep '^TG \(irq\|result\)' | sed 's/^/# /'
done

# -- while it runs: status and routes show both on GSI 19
define sh-wait "scenario=irq-wait ioapic_pin=$gsi:$vec:level wait_ms=120000"
"$ctl" start sh-wait >"$tap_tmp/start.out" 2>"$tap_tmp/start.err"
tap_is "$?" 0 "a VM with both starts (passthru-ctl start)"
"$ctl" status --json sh-wait >"$tap_tmp/status.json" 2>"$tap_tmp/status.err"
tap_is "$(json '" ".join("%s=%s/%s" % (x["guest"], x["gsi"], x["irq"]) for x in d["devices"])' <"$tap_tmp/status.json" | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"00:03.0=$gsi/intx 00:0b.0=$gsi/intx " "status --json: each device on GSI $gsi, in INTx mode"
"$ctl" routes --json sh-wait >"$tap_tmp/routes.json" 2>"$tap_tmp/routes.err"
tap_is "$(json '[(o["device"], o["irqfd"] is not None, o["resamplefd"] is not None) for r in d["routes"] if r["gsi"] == '$gsi' for o in r.get("owners", [])]' <"$tap_tmp/routes.json")" \
	"[('$a', True, True), ('$b', True, True)]" "routes --json: GSI $gsi has both owners, each with an irqfd and a resamplefd"
tap_is "$(json '[r["owner"] for r in d["routes"] if r["gsi"] == '$gsi']' <"$tap_tmp/routes.json")" "['$a']" \
	"routes --json: \"owner\" is still one name, the first"
"$ctl" routes sh-wait >"$tap_tmp/routes.txt" 2>&1
tap_match "$(cat "$tap_tmp/routes.txt")" "ioapic pin $gsi +$a; $b +fd [0-9]+, resample fd [0-9]+; fd [0-9]+, resample fd [0-9]+" \
	"routes: the table line lists both devices and both bindings"
"$ctl" stop sh-wait >/dev/null 2>&1
tap_is "$(driver "$a") $(driver "$b")" "$before" "after the VMs both edus are as they were ($before)"
tap_done
