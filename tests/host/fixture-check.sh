#!/bin/sh
# passthru-ctl check against fixture sysroots (tests/fixtures/mksysroot.py): the
# sysfs evidence this machine cannot show (an IOMMU, remapping on and off, vfio-pci
# loaded or only installed, a kvm device without its node), asserted exactly.
. "${top_srcdir:?}/tests/host/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to build the fixtures"
: "${runstatedir:?run through make check}"
for s in workstation bare; do
	python3 "$top_srcdir/tests/fixtures/mksysroot.py" "$s" "$tap_tmp/$s" "$runstatedir" ||
		tap_skip_all "cannot build the fixture tree $s"
done

# "key|result|value|evidence" per check, then "kvm|..." etc. for the conclusions.
summarize() {
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
keys = ["kvm", "kvm_api_version", "irq_routing", "irqfd", "irqfd_resample", "signal_msi",
        "split_irqchip", "kvm_vfio_device", "device_assignment", "iommu", "iommu_groups",
        "vfio_pci", "vfio_container", "iommufd", "interrupt_remapping", "memlock"]
assert list(doc) == ["checks", "kvm", "vfio", "legacy_assignment", "assignment_possible"], list(doc)
assert list(doc["checks"]) == keys, list(doc["checks"])
for k, c in doc["checks"].items():
    assert list(c) == ["label", "result", "value", "evidence"], (k, list(c))
    print("%s|%s|%s|%s" % (k, c["result"], c["value"], c["evidence"]))
for k in ("kvm", "vfio", "legacy_assignment"):
    print("%s.usable|%s|%s" % (k, doc[k]["usable"], doc[k]["why"]))
print("assignment_possible|%s" % doc["assignment_possible"])
' "$1"
}
field() { # SUMMARY KEY -> the line for KEY
	printf '%s\n' "$1" | grep "^$2|"
}

# --- workstation: IOMMU with remapping, vfio-pci loaded, no kvm module ----------
ws="$tap_tmp/workstation"
"$ctl" --sysroot "$ws" check --json > "$tap_tmp/ws.json"
tap_is "$?" 3 "workstation: check exits 3 (host lacks support)"
s=$(summarize "$tap_tmp/ws.json")
tap_is "$?" 0 "workstation: the JSON parses back with the documented keys"
tap_is "$(field "$s" kvm)" \
	"kvm|no|None|$ws/dev/kvm does not exist: no KVM module is loaded (modprobe kvm_intel)" \
	"workstation: no kvm module, VMX CPU: says which module to load"
tap_is "$(field "$s" irq_routing)" "irq_routing|skipped|None|not probed: needs /dev/kvm" \
	"workstation: KVM capabilities are skipped, not guessed"
tap_is "$(field "$s" iommu)" \
	"iommu|yes|2|2 units in $ws/sys/class/iommu: dmar0, dmar1 (Intel VT-d)" \
	"workstation: two VT-d units"
tap_is "$(field "$s" iommu_groups)" "iommu_groups|yes|12|12 groups in $ws/sys/kernel/iommu_groups" \
	"workstation: groups counted"
tap_is "$(field "$s" vfio_pci)" "vfio_pci|yes|None|loaded: $ws/sys/bus/pci/drivers/vfio-pci exists" \
	"workstation: vfio-pci loaded"
tap_is "$(field "$s" vfio_container)" \
	"vfio_container|no|None|$ws/dev/vfio/vfio does not exist: the vfio module is not loaded (modprobe vfio-pci loads it)" \
	"workstation: no /dev/vfio/vfio"
tap_is "$(field "$s" interrupt_remapping)" \
	"interrupt_remapping|yes|None|in use: 3 interrupts in /proc/interrupts go through IR- (remapped) chips; ecap bit 3 (IR) is set on 2 of 2 Intel units (dmar0 ecap 0xf0505e); vfio_iommu_type1.allow_unsafe_interrupts=N" \
	"workstation: remapping in use, from /proc/interrupts and ecap"
tap_is "$(field "$s" vfio.usable)" "vfio.usable|False|/dev/vfio/vfio is not usable" \
	"workstation: VFIO not usable, only for lack of /dev/vfio/vfio"
tap_is "$(field "$s" assignment_possible)" "assignment_possible|False" \
	"workstation: assignment not possible"

# --- bare: remapping off but allowed unsafely, vfio-pci installed, no node ------
bare="$tap_tmp/bare"
"$ctl" --sysroot "$bare" check --json > "$tap_tmp/bare.json"
tap_is "$?" 3 "bare: check exits 3"
s=$(summarize "$tap_tmp/bare.json")
tap_is "$(field "$s" kvm)" \
	"kvm|no|None|$bare/dev/kvm does not exist although the kernel registered the kvm device 10:232: create the node (mknod /dev/kvm c 10 232) or check devtmpfs/udev" \
	"bare: registered kvm device without a node"
tap_is "$(field "$s" vfio_pci)" \
	"vfio_pci|yes|None|not loaded, but installed as $bare/lib/modules/$(uname -r)/kernel/drivers/vfio/pci/vfio-pci.ko.xz (modprobe vfio-pci)" \
	"bare: vfio-pci installed but not loaded"
tap_is "$(field "$s" interrupt_remapping)" \
	"interrupt_remapping|warning|None|not in use (the IOMMU lacks it): none of the 2 IO-APIC/MSI interrupts in /proc/interrupts is remapped; ecap bit 3 (IR) is set on 0 of 1 Intel units (dmar0 ecap 0xf05052); vfio_iommu_type1.allow_unsafe_interrupts=Y, which lets VFIO work without it at the risk that an assigned device forges interrupts to the host" \
	"bare: no remapping, unsafe interrupts allowed: a warning with the risk"

# Without the unsafe parameter the same host cannot use VFIO at all.
rm -r "$bare/sys/module/vfio_iommu_type1"
"$ctl" --sysroot "$bare" check --json > "$tap_tmp/bare2.json"
s=$(summarize "$tap_tmp/bare2.json")
tap_like "$(field "$s" interrupt_remapping)" "interrupt_remapping|no|None|not in use (the IOMMU lacks it)" \
	"bare without allow_unsafe_interrupts: remapping is a no"
tap_like "$(field "$s" vfio.usable)" \
	"vfio.usable|False|/dev/vfio/vfio is not usable; interrupts are not remapped" \
	"bare without allow_unsafe_interrupts: VFIO is not usable, and remapping is one reason"

# --- the text form carries the same verdicts -------------------------------------
"$ctl" --sysroot "$ws" check > "$tap_tmp/ws.txt"
tap_is "$?" 3 "text check exits 3 too"
tap_is "$(head -n 1 "$tap_tmp/ws.txt" | tr -s ' ')" "CHECK RESULT EVIDENCE" "text header"
tap_like "$(cat "$tap_tmp/ws.txt")" "KVM: not usable: $ws/dev/kvm does not exist" "text conclusion for KVM"
tap_like "$(cat "$tap_tmp/ws.txt")" "device assignment: not possible" "text conclusion overall"
tap_is "$(grep -c '^IOMMU  *yes  ' "$tap_tmp/ws.txt")" 1 "text IOMMU row says yes"

"$ctl" --sysroot "$ws" check extra > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "check with an argument is bad usage"
tap_like "$(cat "$tap_tmp/err")" "'extra'" "the stray argument is named"

tap_done
