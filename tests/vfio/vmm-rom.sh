#!/bin/sh
# An assigned device's expansion ROM, in the testbed's nested KVM: e1000e (8086:10d3)
# with the ROM the testbed's QEMU gives it (testbed-run --device e1000e,romfile=...).
# The test guest sizes the ROM BAR, enables it and reads it (rescan rom_read=):
# by default it is the device's own ROM (0x55AA, PCIR, the bytes the host reads
# through sysfs), rom = off hides it (no ROM BAR), rom = FILE shows the file padded
# to a power of two; the devices verb lists it; a rom file that cannot be read
# stops the VMM before anything is assigned, with FILE:LINE and exit 2.
# Elsewhere it skips.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/vfio/testbed-lib.sh" # @INLINE@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
testbed_require
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 drives the socket"
nic=$(pci_find 0x8086 0x10d3) || tap_skip_all "no e1000e device (8086:10d3) in this testbed"
sys=/sys/bus/pci/devices/$nic
[ -e "$sys/rom" ] || tap_skip_all "$nic has no ROM BAR (testbed-run --device e1000e,romfile=FILE)"
tmp=$tap_tmp

# What the host reads: the ROM through sysfs (reads are on while "1" is written).
echo 1 >"$sys/rom" && cat "$sys/rom" >"$tmp/host.rom"; echo 0 >"$sys/rom"
host_size=$(wc -c <"$tmp/host.rom")
tap_diag "$nic's ROM: $host_size bytes read through sysfs, starting $(od -An -tx1 -N2 "$tmp/host.rom")"
want=$(od -An -tx4 -j 0x40 -N4 "$tmp/host.rom" | tr -d ' ')

host_driver=$(pci_driver "$nic")
vmpid=
give_back() {
	[ -n "$vmpid" ] && kill "$vmpid" 2>/dev/null && wait "$vmpid" 2>/dev/null
	vmpid=
	vfio_give_back "$nic" "$host_driver"
}
trap 'give_back; rm -rf "$tap_tmp"' EXIT
vfio_take "$nic"
tap_is "$(pci_driver "$nic")" vfio-pci "$nic taken from ${host_driver:-no driver} to vfio-pci"

has() { grep -Eq -- "$2" "$tmp/$1.out"; }
rom_args="find=0x8086:0x10d3 rom_read=0x40 wait_ms=2000"

# The device's own ROM, with the devices verb asked while the guest spins after it.
sock=$tmp/vm.sock
t0=$(date +%s)
timeout 200 "$vmm" --kernel "$guest" --memory 64M --socket "$sock" --device "$nic" \
	--append "scenario=rescan,spin $rom_args rom_sig=1" >"$tmp/auto.out" 2>"$tmp/auto.err" </dev/null &
vmpid=$!
python3 - "$sock" "$tmp/auto.out" >"$tmp/py" 2>&1 <<'PY'
import json, socket, sys, time
path, out = sys.argv[1], sys.argv[2]

def call(verb):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((json.dumps({"execute": verb}) + "\n").encode())
    reply = json.loads(s.makefile("r").readline())
    s.close()
    return reply.get("return")

end = time.time() + 150
while time.time() < end:
    try:
        if any(l.startswith("TG ready scenario=spin") for l in open(out)):
            break
    except OSError:
        pass
    time.sleep(0.1)
else:
    print("the guest never got to spin")
    sys.exit(1)
print("rom", json.dumps(call("devices")[0].get("rom"), sort_keys=True))
call("stop")
PY
wait "$vmpid"
rc=$?
vmpid=
sed 's/^/# /' "$tmp/py" "$tmp/auto.err"
tap_diag "the VM with the device's ROM ran $(($(date +%s) - t0)) s"
tap_is "$rc" 0 "the VM with e1000e's own ROM ran and stopped when told"
has auto "^TG pci-rom bdf=00:[0-9a-f]{2}\.0 addr=0x[0-9a-f]+ size=0x40000 signature=0xaa55 pcir=0x[0-9a-f]+ pcir_ok=1 offset=0x40 value=0x$want\$"
tap_ok $? "rom = auto: the guest reads 0x55AA, the PCIR structure and the host's bytes at 0x40 (0x$want)"
has auto '^TG result scenario=rescan status=PASS '
tap_ok $? "rescan with rom_sig=1 passes"
tap_is "$(sed -n 's/^rom //p' "$tmp/py")" '{"size": 262144, "source": "device"}' \
	"devices: rom from the device, 256 KiB, no address once the guest disabled it again"

# Definitions for rom = off and rom = FILE (the VMM reads them as root: root's, 0600).
mkdir -p "$tmp/vms"
def() { # NAME ROM
	cat >"$tmp/vms/$1.conf" <<END
[vm]
name = $1
memory = 64M
kernel = $guest
cmdline = scenario=rescan $rom_args
socket = $tmp/$1.sock

[device $nic]
rom = $2
END
	chmod 600 "$tmp/vms/$1.conf"
}
run_def() { # NAME
	timeout 200 "$vmm" --config-dir "$tmp/vms" --console stdio --pidfile "$tmp/$1.pid" "$1" \
		>"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null
	echo $? >"$tmp/$1.rc"
}

def romoff off
t0=$(date +%s)
run_def romoff
tap_diag "the VM with rom = off ran $(($(date +%s) - t0)) s"
tap_is "$(cat "$tmp/romoff.rc")" 0 "rom = off: the VM runs"
has romoff '^TG pci-rom bdf=00:[0-9a-f]{2}\.0 addr=0x0 size=0x0 '
tap_ok $? "rom = off: the guest finds no ROM BAR"

# A 5000-byte image: 0x55AA, PCIR at 0x1c, "ROMT" at 0x40; the guest sees 8 KiB.
python3 - "$tmp/test.rom" <<'PY'
import sys
img = bytearray(b"\x5a" * 5000)
img[0:2] = b"\x55\xaa"
img[0x18:0x1a] = (0x1c).to_bytes(2, "little")
img[0x1c:0x20] = b"PCIR"
img[0x40:0x44] = b"ROMT"
open(sys.argv[1], "wb").write(img)
PY
def romfile "$tmp/test.rom"
run_def romfile
tap_is "$(cat "$tmp/romfile.rc")" 0 "rom = FILE: the VM runs"
has romfile '^TG pci-rom bdf=00:[0-9a-f]{2}\.0 addr=0x[0-9a-f]+ size=0x2000 signature=0xaa55 pcir=0x1c pcir_ok=1 offset=0x40 value=0x544d4f52$'
tap_ok $? "rom = FILE: the guest reads the file's bytes, in an 8 KiB ROM BAR"
sed "s|cmdline = .*|cmdline = scenario=rescan find=0x8086:0x10d3 rom_read=0x1ffc wait_ms=2000|" \
	"$tmp/vms/romfile.conf" >"$tmp/vms/rompad.conf"
sed -i 's/^name = romfile/name = rompad/; s/romfile.sock/rompad.sock/' "$tmp/vms/rompad.conf"
chmod 600 "$tmp/vms/rompad.conf"
run_def rompad
has rompad '^TG pci-rom bdf=00:[0-9a-f]{2}\.0 .* size=0x2000 .* offset=0x1ffc value=0xffffffff$'
tap_ok $? "rom = FILE: past the file's 5000 bytes the ROM reads 0xff"

def rommissing "$tmp/missing.rom"
run_def rommissing
tap_is "$(cat "$tmp/rommissing.rc")" 2 "a rom file that is not there: exit 2, like any invalid definition"
tap_like "$(cat "$tmp/rommissing.err")" "$tmp/vms/rommissing.conf:9: rom: '$tmp/missing.rom' cannot be read: No such file or directory" \
	"and FILE:LINE names the key and the file"
tap_is "$(pci_driver "$nic")" vfio-pci "$nic is still on vfio-pci after all that"

# device-add into a running VM with "rom": "file": the image comes as the second
# descriptor, opened by the caller (passthru-ctl attach does the same for rom = FILE).
group=/dev/vfio/$(basename "$(readlink "$sys/iommu_group")")
sock=$tmp/hot.sock
timeout 200 "$vmm" --kernel "$guest" --memory 64M --socket "$sock" \
	--append "scenario=rescan find=0x8086:0x10d3 rom_read=0x40 rom_sig=1 wait_ms=120000" >"$tmp/hot.out" 2>"$tmp/hot.err" </dev/null &
vmpid=$!
python3 - "$sock" "$nic" "$group" "$tmp/test.rom" >"$tmp/hotpy" 2>&1 <<'PY'
import json, os, socket, sys, time
path, bdf, group, rom = sys.argv[1:5]

def call(verb, args=None, fds=()):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.1)
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

g = os.open(group, os.O_RDWR)
print("onefd", json.dumps(call("device-add", {"bdf": bdf, "rom": "file"}, [g])))
print("badrom", json.dumps(call("device-add", {"bdf": bdf, "rom": "/etc/shadow"}, [g])))
f = os.open(rom, os.O_RDONLY)
r = call("device-add", {"bdf": bdf, "rom": "file"}, [g, f])
os.close(f)
os.close(g)
print("added", json.dumps(r.get("return", r).get("rom"), sort_keys=True))
PY
wait "$vmpid"
rc=$?
vmpid=
sed 's/^/# /' "$tmp/hotpy"
get() { sed -n "s/^$1 //p" "$tmp/hotpy"; }
tap_like "$(get onefd)" "takes the device's VFIO group fd and the ROM image's (two, with SCM_RIGHTS), and 1 came" \
	"device-add with rom file but one descriptor is refused, saying why"
tap_like "$(get badrom)" '\"rom\": \"auto\", \"off\" or \"file\"' \
	"device-add with a path for rom is refused: the VMM opens no file for the caller"
tap_is "$(get added)" '{"size": 8192, "source": "file"}' "device-add with the image's descriptor: rom from the file, 8 KiB"
tap_is "$rc" 0 "the guest finds the hot-added device and its ROM"
has hot '^TG pci-rom bdf=00:[0-9a-f]{2}\.0 addr=0x[0-9a-f]+ size=0x2000 signature=0xaa55 pcir=0x1c pcir_ok=1 offset=0x40 value=0x544d4f52$'
tap_ok $? "hot-added with rom file: the guest reads the file's bytes"

give_back
tap_is "$(pci_driver "$nic")" "${host_driver:-}" "after the VMs, $nic is back on ${host_driver:-no driver}"
tap_done
