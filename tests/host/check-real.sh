#!/bin/sh
# passthru-ctl check on this machine, each verdict compared with evidence gathered
# here independently (test -c /dev/kvm, the sysfs directories, ulimit -l), so that
# the same test holds on a build machine without KVM, one with KVM but no IOMMU, and
# inside the testbed where everything is there.
. "${top_srcdir:?}/tests/host/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to read the JSON back"

"$ctl" check --json > "$tap_tmp/out.json" 2> "$tap_tmp/err"
status=$?
"$ctl" check > "$tap_tmp/out.txt" 2>> "$tap_tmp/err"
tap_is "$?" "$status" "text and JSON forms exit alike ($status)"
tap_is "$(cat "$tap_tmp/err")" "" "nothing on stderr"

# "key|result|value" per check and "NAME|usable" per conclusion.
s=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for k, c in doc["checks"].items():
    print("%s|%s|%s" % (k, c["result"], c["value"]))
for k in ("kvm", "vfio", "legacy_assignment"):
    print("%s.usable|%s" % (k, doc[k]["usable"]))
print("assignment_possible|%s" % doc["assignment_possible"])
print("count|%d" % len(doc["checks"]))
' "$tap_tmp/out.json")
tap_is "$?" 0 "the JSON parses back"
get() { printf '%s\n' "$s" | grep "^$1|" | cut -d'|' -f2-; }
tap_is "$(get count)" 16 "sixteen checks"

possible=$(get assignment_possible)
if [ "$possible" = True ]; then want=0; else want=3; fi
tap_is "$status" "$want" "exit status follows the conclusion (assignment_possible=$possible)"

# --- KVM ---------------------------------------------------------------------------
if [ -c /dev/kvm ] && { [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; }; then
	tap_is "$(get kvm.usable)" False "/dev/kvm is not read-write for us: KVM is not usable"
	tap_like "$(cat "$tap_tmp/out.txt")" "/dev/kvm: permission denied" "text: says permission denied"
elif [ -c /dev/kvm ]; then
	tap_is "$(get kvm)" "yes|None" "/dev/kvm is a character device here, and check opens it"
	tap_is "$(get kvm_api_version)" "yes|12" "KVM API version 12"
	tap_is "$(get kvm.usable)" True "KVM is usable"
	tap_like "$(cat "$tap_tmp/out.txt")" "KVM: usable: KVM_GET_API_VERSION = 12" "text: KVM usable"
	routes=$(get irq_routing | cut -d'|' -f2)
	tap_ok "$([ "$routes" -gt 0 ] 2>/dev/null; echo $?)" "KVM_CAP_IRQ_ROUTING has a positive route count ($routes)"
	tap_like "$(get irqfd)" "yes|" "KVM_CAP_IRQFD"
	case $(uname -r) in
	[0-3].*|4.[0-9].*|4.1[01].*) tap_diag "kernel $(uname -r) may still have legacy assignment" ;;
	*) tap_is "$(get device_assignment)" "no|0" "legacy assignment reads 0 on Linux $(uname -r) (removed in 4.12)" ;;
	esac
else
	tap_like "$(get kvm)" "no|" "/dev/kvm is absent here, and check says no"
	tap_is "$(get kvm.usable)" False "KVM is not usable"
	tap_like "$(cat "$tap_tmp/out.txt")" "KVM: not usable: /dev/kvm does not exist" "text: KVM not usable, and why"
	tap_is "$(get irq_routing)" "skipped|None" "capabilities are skipped, not guessed"
	if [ -d /sys/module/kvm ] && [ ! -e /sys/class/misc/kvm ]; then
		tap_like "$(cat "$tap_tmp/out.txt")" "KVM modules are loaded" "the loaded modules are named"
		tap_like "$(cat "$tap_tmp/out.txt")" "/dev/kvm was not registered (this kernel may itself be a guest without nested virtualization)" \
			"kvm loaded without /dev/kvm: says the kernel may be a guest"
	fi
	tap_is "$status" 3 "exit 3: the host lacks support"
fi

# --- IOMMU and VFIO ------------------------------------------------------------------
units=$(ls /sys/class/iommu 2>/dev/null | wc -l)
groups=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)
if [ "$units" -gt 0 ]; then
	tap_is "$(get iommu)" "yes|$units" "IOMMU: $units units in /sys/class/iommu"
else
	tap_is "$(get iommu)" "no|0" "IOMMU: /sys/class/iommu is empty, and check says no"
fi
if [ "$groups" -gt 0 ]; then
	tap_is "$(get iommu_groups)" "yes|$groups" "IOMMU groups: $groups"
else
	tap_is "$(get iommu_groups)" "no|0" "no IOMMU groups, and check says no"
fi
if [ -d /sys/bus/pci/drivers/vfio-pci ]; then
	tap_is "$(get vfio_pci)" "yes|None" "vfio-pci is loaded"
fi
if [ ! -c /dev/vfio/vfio ]; then
	tap_is "$(get vfio_container)" "no|None" "/dev/vfio/vfio is absent, and check says no"
fi
if [ "$units" -eq 0 ] || [ ! -c /dev/vfio/vfio ]; then
	tap_is "$(get vfio.usable)" False "VFIO is not usable without an IOMMU and /dev/vfio/vfio"
	tap_like "$(cat "$tap_tmp/out.txt")" "VFIO: not usable: " "text: VFIO not usable, with the reasons"
fi
if [ "$units" -eq 0 ]; then
	tap_like "$(cat "$tap_tmp/out.txt")" "no IOMMU is active" "text: the missing IOMMU is the first reason"
fi

# --- RLIMIT_MEMLOCK ------------------------------------------------------------------
lim=$(ulimit -l)
if [ "$lim" = unlimited ]; then
	tap_is "$(get memlock | cut -d'|' -f2)" None "RLIMIT_MEMLOCK unlimited: no value"
else
	tap_is "$(get memlock | cut -d'|' -f2)" "$((lim * 1024))" "RLIMIT_MEMLOCK value is ulimit -l in bytes"
fi

tap_done
