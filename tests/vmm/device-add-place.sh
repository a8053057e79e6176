#!/bin/sh
# device-add's place arguments, with no device needed: "function" without "slot" or
# out of 0-7 is refused as an argument error, and a function > 0 of a guest slot with
# no function 0 is refused before the device is touched (no guest would find it
# there), saying so; the VM runs on with no device. Placing real functions side by
# side is proven in the testbed (tests/vfio/vmm-multifunction.sh).
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
[ -c /dev/kvm ] || tap_skip_all "no /dev/kvm on this host"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || tap_skip_all "/dev/kvm is not usable by this user"
[ -f "$guest" ] || tap_skip_all "the test guest is not built ($guest)"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 drives the socket"
unset PASSTHRU_LOG
sock=$tap_tmp/vm.sock
trap 'kill "$vmpid" 2>/dev/null; rm -rf "$tap_tmp"' EXIT

"$vmm" --kernel "$guest" --append scenario=spin --memory 16M --console none --socket "$sock" \
	>"$tap_tmp/out" 2>"$tap_tmp/err" </dev/null &
vmpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
tap_ok "$([ -S "$sock" ]; echo $?)" "the VMM serves its socket"

python3 - "$sock" >"$tap_tmp/py" 2>&1 <<'PY'
import json, os, socket, sys

def call(verb, args=None, fds=()):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sys.argv[1])
    req = {"execute": verb}
    if args is not None:
        req["arguments"] = args
    data = (json.dumps(req) + "\n").encode()
    if fds:
        socket.send_fds(s, [data], list(fds))
    else:
        s.sendall(data)
    reply = json.loads(s.makefile("r").readline())
    s.close()
    return reply

def error(reply):
    e = reply.get("error", {})
    return "%s: %s" % (e.get("class"), e.get("desc"))

null = os.open("/dev/null", os.O_RDWR)
bdf = "0000:3f:1f.7"
print("nofslot", error(call("device-add", {"bdf": bdf, "function": 1}, [null])))
print("fn8", error(call("device-add", {"bdf": bdf, "slot": 5, "function": 8}, [null])))
print("alone", error(call("device-add", {"bdf": bdf, "slot": 5, "function": 1}, [null])))
print("devices", json.dumps(call("devices")["return"]))
PY
sed 's/^/# /' "$tap_tmp/py"
get() { sed -n "s/^$1 //p" "$tap_tmp/py"; }
tap_is "$(get nofslot)" 'InvalidArgument: "function": a function 0-7 of the guest slot given as "slot"' \
	"\"function\" without \"slot\": an argument error, saying what would do"
tap_like "$(get fn8)" 'InvalidArgument: "function": a function 0-7' "function 8: an argument error"
tap_is "$(get alone)" "InvalidArgument: guest slot 5 has no function 0, so no guest would find function 1 there: attach the slot's function 0 first" \
	"function 1 of an empty slot: refused, saying why"
tap_like "$(cat "$tap_tmp/err")" "0000:3f:1f.7: not put at guest 00:05.1: that slot has no function 0" \
	"the VMM's log says it too, naming the device"
tap_is "$(get devices)" "[]" "no device was assigned"
tap_ok "$(kill -0 "$vmpid" 2>/dev/null; echo $?)" "the VM still runs"
tap_done
