#!/bin/sh
# passthru-vmm with e1000e (8086:10d3) and its MSI-X, in the testbed's nested KVM.
# The NIC starts on its host driver e1000e, as on a real host; the test takes it to
# vfio-pci (driver_override, as passthru-ctl prepare does) and gives it back to
# e1000e at exit. The test guest finds it with its MSI-X capability shown, programs
# two vectors in the table the VMM traps (BAR3's table page), makes the device raise
# each through ICS (IVAR maps RXQ0 to entry 0 and TXQ0 to entry 1) and receives them;
# with entry 1 masked a raise does not arrive, the device's PBA (read through the
# VMM) has it pending, and it arrives at the unmask. The devices verb says irq
# "msix", BAR0 is a memory slot and BAR3 memory slots around its trapped table and
# PBA pages; masking and unmasking cost no routing commit. Elsewhere it skips.
# tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 drives the socket"
nic=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] && nic=${d##*/} && break
done
[ -n "$nic" ] || tap_skip_all "no e1000e device (8086:10d3) in this testbed"
sys=/sys/bus/pci/devices/$nic
driver_of() { [ -e "$sys/driver" ] && basename "$(readlink "$sys/driver")"; }
bound() { [ -n "$(driver_of)" ]; }
has_net() { [ -n "$(ls "$sys/net" 2>/dev/null)" ]; }
wait_for() { # up to 5 s for command "$@" to succeed
	for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done
	return 1
}

# The host's own driver first, as on a real host.
bound || { modprobe e1000e 2>/dev/null && wait_for bound; }
host_driver=$(driver_of)
tap_diag "$nic starts on ${host_driver:-no driver}"

vmpid=
give_back() {
	[ -n "$vmpid" ] && kill "$vmpid" 2>/dev/null && wait "$vmpid" 2>/dev/null
	vmpid=
	[ "$(driver_of)" = vfio-pci ] && echo "$nic" >"$sys/driver/unbind"
	echo >"$sys/driver_override"
	[ -n "$host_driver" ] && [ -z "$(driver_of)" ] && echo "$nic" >/sys/bus/pci/drivers_probe
}
trap 'give_back; rm -rf "$tap_tmp"' EXIT

# The fixture step passthru-ctl prepare does for real.
[ -n "$host_driver" ] && echo "$nic" >"$sys/driver/unbind"
echo vfio-pci >"$sys/driver_override"
echo "$nic" >/sys/bus/pci/drivers_probe
tap_is "$(driver_of)" vfio-pci "$nic taken from ${host_driver:-no driver} to vfio-pci"

tmp=$tap_tmp
boot() { # NAME APPEND [passthru-vmm options]: output in $tmp/NAME.out, status in NAME.rc
	name=$1 append=$2
	shift 2
	timeout 200 "$vmm" --kernel "$guest" --append "$append" --memory 64M "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}
has() { grep -Eq -- "$2" "$tmp/$1.out"; }

boot info "scenario=info" --device "$nic"
tap_is "$(cat "$tmp/info.rc")" 0 "the test guest runs with e1000e assigned"
line=$(grep '^TG pci bdf=.* vendor=0x8086 device=0x10d3 ' "$tmp/info.out")
slot=$(printf '%s\n' "$line" | sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) .*/\1/p')
tap_like "$line" "class=0x020000" "the guest finds 8086:10d3, an Ethernet controller, at ${slot:-nowhere}"
bar=$(sed -n "s/^TG pci-bar bdf=$slot bar=0 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) size=0x20000\$/\1/p" "$tmp/info.out")
bar3=$(sed -n "s/^TG pci-bar bdf=$slot bar=3 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) size=0x4000\$/\1/p" "$tmp/info.out")
has info "^TG pci-cap bdf=$slot offset=0x[0-9a-f]+ id=0x11 name=msix enabled=0 masked=0 table_size=5 table_bar=3 table_offset=0x0 pba_bar=3 pba_offset=0x2000\$"
tap_ok $? "its MSI-X capability is shown: 5 entries, table at BAR3+0, PBA at BAR3+0x2000"
[ -n "$bar" ] || { sed 's/^/# /' "$tmp/info.err"; tap_done; }

# Two vectors: RXQ0 -> entry 0 -> 0x61, TXQ0 -> entry 1 -> 0x62; then entry 1 masked
# while TXQ0 is raised again. The guest then spins until the test stops the VM.
dev=$((0x$(printf '%s' "$slot" | cut -c4-5)))
r() { printf '0x%x' $((bar + $1)); }
sock=$tmp/vm.sock
"$vmm" --kernel "$guest" --memory 64M --socket "$sock" --device "$nic" --append \
	"scenario=irq-wait,spin msix=$dev:0:0x61,$dev:1:0x62 poke=$(r 0xe4):0x908,$(r 0xd0):0x500000,$(r 0xc8):0x100000,$(r 0xc8):0x400000 irq_ack=0x61:$(r 0xc0):0x100000,0x62:$(r 0xc0):0x400000 expect=1 settle_ms=5000 max=3 msix_mask=1:$(r 0xc8):0x400000 wait_ms=60000" \
	>"$tmp/msix.out" 2>"$tmp/msix.err" </dev/null &
vmpid=$!

python3 - "$sock" "$tmp/msix.out" >"$tmp/py" 2>&1 <<'PY'
import json, socket, sys, time
path, out = sys.argv[1], sys.argv[2]

def call(verb):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((json.dumps({"execute": verb}) + "\n").encode())
    reply = json.loads(s.makefile("r").readline())
    s.close()
    return reply.get("return")

def wait_line(start, timeout=150):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if any(l.startswith(start) for l in open(out)):
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False

def show(tag):
    d = call("devices")[0]
    r = call("routes")
    bars = {b["index"]: b for b in d["bars"]}
    b3 = bars.get(3, {})
    pieces = " ".join("%x+%x:%s%s" % (p["offset"], p["size"], p["access"],
                                      ":" + p["holds"] if "holds" in p else "")
                      for p in b3.get("pieces", []))
    m = d.get("msix", {})
    print(tag, "irq", d["irq"], "bar0", bars[0]["access"], "bar0slot", "slot" in bars[0],
          "bar3", b3.get("access"), "pieces", pieces or "-",
          "msix", m.get("enabled"), m.get("live"), m.get("masked"), m.get("irq_sets"),
          "routes", r["msi_routes"], r["irqfds"], r["commits"])

if not wait_line("TG irq vec=0x62 "):
    print("no interrupt 0x62 came")
    sys.exit(1)
show("enabled")       # within settle_ms: both vectors live
if not wait_line("TG ready scenario=spin"):
    print("irq-wait did not end")
    sys.exit(1)
show("after")         # the guest masked, unmasked, then disabled MSI-X
print("stop", json.dumps(call("stop")))
PY
wait "$vmpid"
rc=$?
vmpid=
sed 's/^/# /' "$tmp/py"
get() { sed -n "s/^$1 //p" "$tmp/py"; }
tap_is "$rc" 0 "the VM ran the MSI-X scenario and stopped when told"
has msix "^TG msix dev=$dev offset=0x[0-9a-f]+ entries=5 table_bar=3 table_offset=0x0 pba_bar=3 pba_offset=0x2000 enabled=1 masked=0 table_addr=$bar3\$" &&
	has msix "^TG msix-entry dev=$dev entry=0 vector=0x61 dest=0 masked=0\$" &&
	has msix "^TG msix-entry dev=$dev entry=1 vector=0x62 dest=0 masked=0\$"
tap_ok $? "the guest programs entries 0 and 1 in the trapped table, reads them back, enables MSI-X"
has msix '^TG irq vec=0x61 cpu=0 count=1$' && has msix '^TG irq vec=0x62 cpu=0 count=1$'
tap_ok $? "e1000e's RXQ0 arrives as 0x61 (entry 0), TXQ0 as 0x62 (entry 1)"
has msix "^TG msix-mask dev=$dev entry=1 vector=0x62 while_masked=0 pending=1 after_unmask=1\$"
tap_ok $? "entry 1 masked: TXQ0 does not arrive, the device's PBA has it pending, it arrives at the unmask"
has msix '^TG result scenario=irq-wait status=PASS detail="received=3 unexpected=0 '
tap_ok $? "irq-wait PASS: 3 interrupts, nothing unexpected"
tap_like "$(get enabled)" "irq msix bar0 mapped bar0slot True " "devices: irq msix, BAR0 a memory slot"
tap_like "$(get enabled)" " bar3 partly-trapped pieces 0+1000:trapped:msix-table 1000+1000:mapped 2000+1000:trapped:msix-pba 3000+1000:mapped " \
	"devices: BAR3 memory slots around its trapped table and PBA pages"
tap_like "$(get enabled)" " msix True 2 3 1 routes 2 2 " \
	"MSI-X on: 2 live vectors, 3 masked, one backend call, 2 MSI routes and irqfds"
en_commits=$(get enabled | sed -n 's/.* routes [0-9]* [0-9]* \([0-9]*\)$/\1/p')
tap_like "$(get after)" " msix False 2 3 3 routes 0 1 $((en_commits + 1))" \
	"masking and unmasking entry 1: two backend calls, no routing commit (MSI-X off made the one more; INTx has its irqfd again)"
tap_like "$(get after)" "irq intx " "MSI-X off at the end of irq-wait: INTx again"

# The guest moves BAR3 before programming the table (as an OS reassigning BARs does):
# the trapped table and PBA pages and the memory slots between them move with it.
boot moved "scenario=irq-wait msix=$dev:0:0x61,$dev:1:0x62 msix_bar=0xf0000000 poke=$(r 0xe4):0x908,$(r 0xd0):0x500000,$(r 0xc8):0x100000,$(r 0xc8):0x400000 irq_ack=0x61:$(r 0xc0):0x100000,0x62:$(r 0xc0):0x400000 expect=1 settle_ms=300 max=3 wait_ms=60000" \
	--device "$nic"
has moved "^TG msix dev=$dev offset=0x[0-9a-f]+ entries=5 .* enabled=1 masked=0 table_addr=0xf0000000\$" &&
	has moved '^TG irq vec=0x61 cpu=0 count=1$' && has moved '^TG irq vec=0x62 cpu=0 count=1$' &&
	has moved '^TG result scenario=irq-wait status=PASS detail="received=2 unexpected=0 '
tap_ok $? "BAR3 moved by the guest from ${bar3:-?} to 0xf0000000: its table traps there, both vectors arrive"

give_back
tap_is "$(driver_of)" "${host_driver:-}" "after the VM, $nic is back on ${host_driver:-no driver}"
if [ "$host_driver" = e1000e ]; then
	wait_for has_net
	tap_ok $? "and its network interface is back ($(ls "$sys/net" 2>/dev/null))"
fi
tap_done
