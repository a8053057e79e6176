#!/bin/sh
# Assigning edu to a running VM through the control socket (device-add with the VFIO
# group fd over SCM_RIGHTS, as passthru-ctl attach will), and taking it out again
# (device-del), 20 times: each time the VMM answers with the guest slot, lists the
# device, and after removal its fds, routes and irqfds are back to where they were.
# In the testbed only; tests/testbed/kvm-suite.sh runs a self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 drives the socket"
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && edu=${d##*/} && break
done
[ -n "$edu" ] || tap_skip_all "no edu device (1234:11e8) in this testbed"
sock=$tap_tmp/vm.sock
trap 'kill "$vmpid" 2>/dev/null; rm -rf "$tap_tmp"; echo > "/sys/bus/pci/devices/$edu/driver_override";
	[ -e "/sys/bus/pci/devices/$edu/driver" ] && echo "$edu" > "/sys/bus/pci/devices/$edu/driver/unbind"' EXIT
echo vfio-pci > "/sys/bus/pci/devices/$edu/driver_override"
echo "$edu" > /sys/bus/pci/drivers_probe
group=/dev/vfio/$(basename "$(readlink "/sys/bus/pci/devices/$edu/iommu_group")")

"$vmm" --kernel "$guest" --append "scenario=spin" --memory 64M --socket "$sock" \
	>"$tap_tmp/out" 2>"$tap_tmp/err" </dev/null &
vmpid=$!
for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done

python3 - "$sock" "$group" "$edu" "$vmpid" >"$tap_tmp/py" 2>&1 <<'PY'
import json, os, socket, sys
path, group, bdf, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def call(verb, args=None, fds=()):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    req = {"execute": verb}
    if args is not None:
        req["arguments"] = args
    data = (json.dumps(req) + "\n").encode()
    if fds:
        socket.send_fds(s, [data], list(fds))
    else:
        s.sendall(data)
    f = s.makefile("r")
    reply = json.loads(f.readline())
    s.close()
    return reply

def nfds():
    # The server closes a finished client's socket when it next polls: let it.
    import time
    n = len(os.listdir("/proc/%d/fd" % pid))
    for _ in range(20):
        time.sleep(0.05)
        m = len(os.listdir("/proc/%d/fd" % pid))
        if m == n:
            break
        n = m
    return n

def routes():
    r = call("routes")["return"]
    return r["msi_routes"], r["irqfds"], r["entries"]

print("heldnone", json.dumps(call("device-add", {"bdf": bdf, "group": "held"})))
print("fds0", nfds(), "routes0", *routes())
fds_before, routes_before = nfds(), routes()
ok_all = True
for i in range(20):
    g = os.open(group, os.O_RDWR)
    r = call("device-add", {"bdf": bdf}, [g])
    os.close(g)
    if "return" not in r or r["return"].get("host") != bdf:
        print("add", i, r)
        ok_all = False
        break
    if i == 0:
        print("added", json.dumps(r["return"], sort_keys=True))
        print("listed", json.dumps(call("devices")["return"]))
        print("busy", json.dumps(call("device-add", {"bdf": bdf})))
        print("routes1", *routes())
    d = call("device-del", {"bdf": bdf})
    if d != {"return": {}}:
        print("del", i, d)
        ok_all = False
        break
print("cycles", "ok" if ok_all else "failed")
print("fds1", nfds(), "routes1x", *routes())
print("same", nfds() == fds_before and routes() == routes_before)
print("deltwice", json.dumps(call("device-del", {"bdf": bdf})))
print("nofd", json.dumps(call("device-add", {"bdf": bdf})))
print("empty", json.dumps(call("devices")["return"]))
PY
sed 's/^/# /' "$tap_tmp/py"
get() { sed -n "s/^$1 //p" "$tap_tmp/py"; }
tap_like "$(get added)" "\"guest\": \"00:01.0\", \"guest_function\": 0, \"guest_slot\": 1, \"host\": \"$edu\", \"irq\": \"intx\"" \
	"device-add: edu goes into the running VM at guest 00:01.0, INTx wired"
tap_like "$(get listed)" "\"host\": \"$edu\"" "devices lists it"
tap_like "$(get routes1)" "0 1 " "its INTx pin has an irqfd while it is in"
tap_like "$(get busy)" "takes the device's VFIO group fd" "device-add without an fd is refused, saying why"
tap_like "$(get heldnone)" "holds no function of $edu's IOMMU group: hand its group fd over" \
	"device-add with \"group\": \"held\" for a group the VM does not hold: refused, saying why"
tap_is "$(get cycles)" ok "20 times added and removed"
tap_is "$(get same)" True "after them, the VMM's fds, routes and irqfds are as before ($(get fds1))"
tap_like "$(get deltwice)" "is not assigned to this VM" "device-del of a device not in: refused"
tap_like "$(get nofd)" "and 0 came" "device-add without an fd: refused"
tap_is "$(get empty)" "[]" "no device left"
tap_ok "$(kill -0 "$vmpid" 2>/dev/null; echo $?)" "the VM still runs"
tap_done
