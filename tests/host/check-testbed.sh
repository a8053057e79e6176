#!/bin/sh
# passthru-ctl check and devices inside the QEMU testbed (tests/testbed), a real
# passthrough host: nested KVM, an emulated Intel IOMMU with interrupt remapping,
# vfio-pci loaded. There every verdict must be yes. Elsewhere it skips: the
# build machines lack the IOMMU, and check-real.sh covers them.
# tests/testbed/kvm-suite.sh runs a self-contained copy from the build tree.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

[ -c /dev/kvm ] || tap_skip_all "no /dev/kvm on this machine (the testbed suite runs this test)"
[ "${PASSTHRU_TESTBED:-}" = 1 ] ||
	tap_skip_all "not inside the testbed (testbed-run sets PASSTHRU_TESTBED=1); check-real.sh covers this machine"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to read the JSON back"

"$ctl" check --json > "$tap_tmp/check.json" 2> "$tap_tmp/err"
tap_is "$?" 0 "check exits 0: device assignment is possible"
"$ctl" check > "$tap_tmp/check.txt" 2>> "$tap_tmp/err"
tap_is "$(cat "$tap_tmp/err")" "" "nothing on stderr"
sed 's/^/# /' "$tap_tmp/check.txt"
s=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for k, c in doc["checks"].items():
    print("%s|%s|%s" % (k, c["result"], c["value"]))
for k in ("kvm", "vfio", "legacy_assignment"):
    print("%s.usable|%s" % (k, doc[k]["usable"]))
print("assignment_possible|%s" % doc["assignment_possible"])
' "$tap_tmp/check.json")
get() { printf '%s\n' "$s" | grep "^$1|" | cut -d'|' -f2-; }
result() { get "$1" | cut -d'|' -f1; }
value() { get "$1" | cut -d'|' -f2; }

tap_is "$(get kvm.usable)" True "KVM usable"
tap_is "$(get kvm_api_version)" "yes|12" "KVM API version 12"
tap_is "$(result irq_routing)" yes "KVM_CAP_IRQ_ROUTING"
tap_ok "$([ "$(value irq_routing)" -gt 23 ] 2>/dev/null; echo $?)" \
	"more routes than IOAPIC pins ($(value irq_routing))"
for cap in irqfd irqfd_resample signal_msi; do
	tap_is "$(result $cap)" yes "KVM_CAP_$(echo $cap | tr a-z A-Z)"
done
tap_is "$(result kvm_vfio_device)" yes "the KVM-VFIO device can be created (KVM_CREATE_DEVICE_TEST)"
tap_is "$(get device_assignment)" "no|0" "legacy device assignment reads 0"
units=$(ls /sys/class/iommu | wc -l)
groups=$(ls /sys/kernel/iommu_groups | wc -l)
tap_ok "$([ "$units" -gt 0 ]; echo $?)" "the testbed has IOMMU units ($units)"
tap_is "$(get iommu)" "yes|$units" "IOMMU present"
tap_ok "$([ "$groups" -gt 0 ]; echo $?)" "the testbed has IOMMU groups ($groups)"
tap_is "$(get iommu_groups)" "yes|$groups" "IOMMU groups populated"
tap_is "$(result vfio_pci)" yes "vfio-pci available"
tap_is "$(result vfio_container)" yes "/dev/vfio/vfio with Type1v2"
# The testbed's Debian 12 kernel (6.1) has iommufd but no VFIO device cdevs (6.6+).
case $(result iommufd) in yes | no) tap_ok 0 "iommufd and VFIO cdevs: reported ($(result iommufd))" ;;
*) tap_ok 1 "iommufd and VFIO cdevs: reported" ;; esac
tap_is "$(result interrupt_remapping)" yes "interrupt remapping in use (intel-iommu,intremap=on)"
tap_is "$(get vfio.usable)" True "VFIO usable"
tap_is "$(get assignment_possible)" True "device assignment possible"

# Every function is behind the IOMMU now: no "no IOMMU" anywhere.
"$ctl" devices --json > "$tap_tmp/devices.json"
tap_is "$?" 0 "devices exits 0"
"$ctl" devices | sed 's/^/# /'
tap_is "$(python3 -c '
import json, sys
print(" ".join(d["bdf"] for d in json.load(open(sys.argv[1]))["devices"]
               if d["iommu_group"] is None or any(r["code"] == "no_iommu" for r in d["reasons"])))
' "$tap_tmp/devices.json")" "" "every function has an IOMMU group"
# The testbed's root is the 9p share "hostroot": its virtio device's PCI function,
# found here from mount_tag, must be the one that backs /.
share=
for v in /sys/bus/virtio/devices/*; do
	[ "$(tr -d '\0' < "$v/mount_tag" 2>/dev/null)" = hostroot ] &&
		share=$(basename "$(dirname "$(readlink -f "$v")")")
done
if [ -n "$share" ]; then
	tap_is "$(python3 -c '
import json, sys
print(" ".join("%s: %s" % (d["bdf"], r["message"]) for d in json.load(open(sys.argv[1]))["devices"]
               for r in d["reasons"] if r["code"] == "root_filesystem"))
' "$tap_tmp/devices.json")" "$share: backs the root filesystem (9p tag hostroot)" \
		"the 9p device under / ($share) backs the root filesystem"
else
	tap_diag "no 9p share named hostroot here"
fi
edu=$(python3 -c '
import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    if (d["vendor_id"], d["device_id"]) == ("1234", "11e8"):
        print(d["bdf"], "yes" if d["assignable"] else "no: " + "; ".join(r["message"] for r in d["reasons"]))
' "$tap_tmp/devices.json")
if [ -n "$edu" ]; then
	tap_like "$edu" " yes" "QEMU's edu device (alone in its group) is assignable"
else
	tap_diag "no edu device in this testbed run (--device edu adds one)"
fi

tap_done
