#!/bin/sh
# Debian's Linux, booted by passthru-vmm in the testbed's nested KVM, drives a passed-through
# e1000e with its own e1000e driver: passthru-ctl run takes the NIC from the host's e1000e
# to vfio-pci, the guest loads its driver, brings the link up, and the NIC's MSI-X vectors
# count up in the guest's /proc/interrupts; when the VM ends, run gives the NIC back and
# the host's e1000e has it again. Elsewhere it skips. tests/testbed/kvm-suite.sh runs a
# self-contained copy.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

ctl=${top_builddir:?}/src/ctl/passthru-ctl
vmm=$top_builddir/src/vmm/passthru-vmm
[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
mods=${PASSTHRU_TESTBED_MODULES:-}
kernel=$mods/../vmlinuz
[ -n "$mods" ] && [ -r "$kernel" ] || tap_skip_all "no testbed kernel (PASSTHRU_TESTBED_MODULES)"
kver=$(ls "$mods/lib/modules" | head -1)
ko=$mods/lib/modules/$kver/kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko
# Debian compresses modules from 6.x on (e1000e.ko.xz); busybox insmod wants them plain.
[ -r "$ko" ] || [ ! -r "$ko.xz" ] || ! command -v xz >/dev/null 2>&1 ||
	{ xz -dc "$ko.xz" >"$tap_tmp/e1000e.ko" && ko=$tap_tmp/e1000e.ko; }
[ -r "$ko" ] || tap_skip_all "no e1000e.ko (nor e1000e.ko.xz and xz) for $kver"
command -v cpio >/dev/null 2>&1 && [ -x /bin/busybox ] || tap_skip_all "cpio and a static /bin/busybox build the initramfs"
nic=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] && nic=${d##*/} && break
done
[ -n "$nic" ] || tap_skip_all "no e1000e (8086:10d3) in this testbed"
dev=/sys/bus/pci/devices/$nic
driver() { if [ -e "$dev/driver" ]; then basename "$(readlink "$dev/driver")"; else echo none; fi; }
# The host's own e1000e driver has the NIC first (modules load late in the testbed).
if [ "$(driver)" = none ] && modprobe e1000e 2>/dev/null; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(driver)" = none ] || break; sleep 0.5; done
	[ "$(driver)" = none ] && echo "$nic" >/sys/bus/pci/drivers_probe
fi
drv0=$(driver)

PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
PASSTHRU_RUN_DIR="$tap_tmp/run"
PASSTHRU_LOG_DIR="$tap_tmp/log"
PASSTHRU_VMM=$vmm
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
unset PASSTHRU_LOG
trap '"$ctl" stop --force lnx >/dev/null 2>&1; "$ctl" recover >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT

# The initramfs: busybox, the guest's e1000e driver and an init that reports.
ir=$tap_tmp/ir
mkdir -p "$ir/bin" "$ir/proc" "$ir/sys" "$ir/dev" "$PASSTHRU_CONFIG_DIR"
cp /bin/busybox "$ir/bin/busybox"
cp "$ko" "$ir/e1000e.ko"
cat >"$ir/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "PTLINUX init: kernel $(uname -r)"
insmod /e1000e.ko && echo "PTLINUX insmod: ok"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/class/net/eth0 ] && break; sleep 0.5; done
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/driver" ] && echo "PTLINUX bound: ${d##*/} $(basename "$(readlink "$d/driver")")"
done
ip link set eth0 up && echo "PTLINUX link: up"
sleep 4
grep -E 'eth0' /proc/interrupts | sed 's/^/PTLINUX irq: /'
echo "PTLINUX done"
stty -F /dev/console $(stty -F /dev/console -g)
printf '\000' | dd of=/dev/port bs=1 seek=1281 count=1 2>/dev/null
poweroff -f
EOF
chmod +x "$ir/init"
(cd "$ir" && find . | cpio -o -H newc 2>/dev/null) >"$tap_tmp/initrd.cpio"
cat >"$PASSTHRU_CONFIG_DIR/lnx.conf" <<EOF
[vm]
name = lnx
memory = 256M
vcpus = 2
kernel = $kernel
initrd = $tap_tmp/initrd.cpio
cmdline = console=ttyS0 panic=-1 quiet
console = file:$tap_tmp/lnx.console

[device $nic]
EOF
echo "# e1000e is $nic, on $drv0 at the start; kernel $kver"

timeout 400 "$ctl" run lnx >"$tap_tmp/out" 2>"$tap_tmp/err"
rc=$?
tap_is "$rc" 0 "passthru-ctl run lnx: Linux booted with the NIC and ended (exit 0)"
[ "$rc" = 0 ] || sed 's/^/# /' "$tap_tmp/err" "$tap_tmp/out" | tail -20
con=$(cat "$tap_tmp/lnx.console" 2>/dev/null)
printf '%s\n' "$con" | grep '^PTLINUX' | sed 's/^/# /'
tap_match "$con" "^PTLINUX insmod: ok" "the guest loads its e1000e driver"
tap_match "$con" "^PTLINUX bound: 0000:00:[0-9a-f]{2}\.0 e1000e" "the guest's e1000e binds to the passed-through NIC"
tap_match "$con" "^PTLINUX link: up" "eth0 comes up"
# Each MSI-X line: "N: c0 c1 PCI-MSIX-0000:00:0X.0 V-edge eth0[-rx-0|-tx-0|]"
total=$(printf '%s\n' "$con" | sed -n 's/^PTLINUX irq: *[0-9]*: *\([0-9]*\) *\([0-9]*\) .*MSI.*/\1 \2/p' |
	awk '{ s += $1 + $2 } END { print s + 0 }')
vectors=$(printf '%s\n' "$con" | grep -c '^PTLINUX irq: .*MSI.*eth0')
tap_ok "$([ "$vectors" -ge 2 ]; echo $?)" "eth0 has its MSI-X vectors in the guest ($vectors)"
tap_ok "$([ "$total" -gt 0 ]; echo $?)" "and they count up ($total interrupts)"
tap_is "$(driver)" "$drv0" "after the VM, the host's $drv0 has the NIC back"
tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/devices/$nic.json" ]; echo $?)" "no record left"
tap_done
