#!/bin/sh
# passthru-vmm adds an MSI-X vector to an enabled index (issue 10), with e1000e
# (8086:10d3) in the testbed's nested KVM. The test guest enables MSI-X with entry 0
# only (RXQ0 -> 0x61) and receives it; then, MSI-X staying enabled, it programs and
# unmasks entry 1 (TXQ0 -> 0x62) and receives that too (msix_add=, tests/guest/PROTOCOL.md).
#
# Which path the VFIO backend takes depends on the host kernel (src/vfio/irq_state.c):
# - Linux 6.5+ (dynamic MSI-X, VFIO_IRQ_INFO_NORESIZE clear): the index is enabled with
#   one vector, and entry 1's vector is added by a SET_IRQS of its own (the "grow" path):
#   devices shows msix.vfio can_grow true, 1 vector while only entry 0 is live, grows 1.
# - 6.1 (NORESIZE set): the index is enabled with the whole table (5 vectors) and entry
#   1's trigger is set inside it (the "whole table" path): can_grow false, 5 vectors,
#   grows 0.
# Neither may disable and re-enable the index (reenables 0, enables 1), which loses
# interrupts. The path expected follows the kernel version (6.5+: grow);
# PASSTHRU_MSIX_GROW=yes|no overrides it (yes on 6.1 must fail: the test tells the
# paths apart). Elsewhere it skips. tests/testbed/kvm-suite.sh runs a self-contained copy.
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

kver=$(uname -r)
case ${PASSTHRU_MSIX_GROW:-} in
yes | no) grow=$PASSTHRU_MSIX_GROW why="PASSTHRU_MSIX_GROW=$grow" ;;
"")
	major=${kver%%.*} minor=${kver#*.}
	minor=${minor%%[!0-9]*}
	if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 5 ]; }; then
		grow=yes
	else
		grow=no
	fi
	why="Linux $kver"
	;;
*)
	echo "Bail out! PASSTHRU_MSIX_GROW=$PASSTHRU_MSIX_GROW: expected yes or no"
	exit 1
	;;
esac

host_driver=$(driver_of)
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
timeout 200 "$vmm" --kernel "$guest" --append scenario=info --memory 64M --device "$nic" \
	>"$tmp/info.out" 2>"$tmp/info.err" </dev/null
slot=$(sed -n 's/^TG pci bdf=\([0-9a-f:.]*\) vendor=0x8086 device=0x10d3 .*/\1/p' "$tmp/info.out")
bar=$(sed -n "s/^TG pci-bar bdf=$slot bar=0 kind=mem32 prefetch=0 addr=\(0x[0-9a-f]*\) size=0x20000\$/\1/p" "$tmp/info.out")
[ -n "$bar" ]
tap_ok $? "the test guest finds e1000e at ${slot:-nowhere} with BAR0 at ${bar:-?}" ||
	{ sed 's/^/# /' "$tmp/info.err"; tap_done; }

# IVAR: RXQ0 -> entry 0, TXQ0 -> entry 1; IMS: both causes; ICS: raise RXQ0. Entry 1 is
# added once 0x61 has arrived and settle_ms has passed: msix_add raises TXQ0 then.
dev=$((0x$(printf '%s' "$slot" | cut -c4-5)))
r() { printf '0x%x' $((bar + $1)); }
sock=$tmp/vm.sock
"$vmm" --kernel "$guest" --memory 64M --socket "$sock" --device "$nic" --append \
	"scenario=irq-wait,spin msix=$dev:0:0x61 msix_add=1:0x62:$(r 0xc8):0x400000 poke=$(r 0xe4):0x908,$(r 0xd0):0x500000,$(r 0xc8):0x100000 irq_ack=0x61:$(r 0xc0):0x100000,0x62:$(r 0xc0):0x400000 expect=1 settle_ms=4000 max=3 wait_ms=60000" \
	>"$tmp/grow.out" 2>"$tmp/grow.err" </dev/null &
vmpid=$!

# The state with entry 0 alone (within settle_ms) and after the scenario (entry 1
# added, then MSI-X off): the counts kept across modes tell how it was done.
python3 - "$sock" "$tmp/grow.out" >"$tmp/py" 2>&1 <<'PY'
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
    m = call("devices")[0].get("msix", {})
    v = m.get("vfio", {})
    print(tag, "msix", m.get("enabled"), m.get("live"), "vfio",
          *("%s=%s" % (k, json.dumps(v.get(k))) for k in
            ("can_grow", "vectors", "triggers", "enables", "vector_calls", "grows",
             "reenables")))

if not wait_line("TG irq vec=0x61 "):
    print("no interrupt 0x61 came")
    sys.exit(1)
show("one")
if not wait_line("TG ready scenario=spin"):
    print("irq-wait did not end")
    sys.exit(1)
show("after")
print("stop", json.dumps(call("stop")))
PY
wait "$vmpid"
rc=$?
vmpid=
sed 's/^/# /' "$tmp/py"
get() { sed -n "s/^$1 //p" "$tmp/py"; }
has() { grep -Eq -- "$1" "$tmp/grow.out"; }
tap_is "$rc" 0 "the VM ran the scenario and stopped when told"
has "^TG msix dev=$dev .* enabled=1 masked=0 " && has "^TG msix-entry dev=$dev entry=0 vector=0x61 dest=0 masked=0\$"
tap_ok $? "the guest enables MSI-X with entry 0 alone (0x61)"
has '^TG irq vec=0x61 cpu=0 count=1$'
tap_ok $? "RXQ0 arrives as 0x61"
tap_match "$(get one)" "^msix True 1 " "devices while entry 0 alone is live: MSI-X on, 1 live entry"
has "^TG msix-add dev=$dev entry=1 vector=0x62 enabled=1 received=1\$"
tap_ok $? "entry 1 programmed and unmasked with MSI-X still enabled: TXQ0 arrives as 0x62"
has '^TG result scenario=irq-wait status=PASS detail="received=2 unexpected=0 '
tap_ok $? "irq-wait PASS: 2 interrupts, nothing unexpected"
tap_match "$(get after)" " enables=1 vector_calls=1 grows=[01] reenables=0\$" \
	"MSI-X enabled once; entry 1 one SET_IRQS in place; never disabled and enabled again"

if [ "$(get after | sed -n 's/.* grows=\([0-9]*\) .*/\1/p')" = 1 ]; then
	path="grow (vector 1 added to the enabled index)"
else
	path="whole table (every vector enabled at once, entry 1's trigger set inside it)"
fi
tap_diag "$why: VFIO took the $path path"
if [ "$grow" = yes ]; then
	tap_like "$(get one)" " vfio can_grow=true vectors=1 triggers=1 " \
		"grow path ($why): NORESIZE clear, the index enabled with 1 vector for entry 0"
	tap_like "$(get after)" " grows=1 " "grow path ($why): entry 1's vector added to the enabled index"
else
	tap_like "$(get one)" " vfio can_grow=false vectors=5 triggers=1 " \
		"whole-table path ($why): NORESIZE set, the index enabled with all 5 vectors"
	tap_like "$(get after)" " grows=0 " "whole-table path ($why): nothing added to the index"
fi

give_back
tap_is "$(driver_of)" "${host_driver:-}" "after the VM, $nic is back on ${host_driver:-no driver}"
tap_done
