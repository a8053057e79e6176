#!/bin/sh
# passthru-ctl devices against this machine's real /sys, checked against evidence
# gathered independently: lspci -n for the set of functions and their IDs, the
# driver and iommu_group links read here, and the root filesystem's device number
# from stat(2). On a machine without an IOMMU (the build machines) every function
# must be "not assignable: no IOMMU".
. "${top_srcdir:?}/tests/host/tap.sh"

[ -d /sys/bus/pci/devices ] || tap_skip_all "no /sys/bus/pci/devices on this machine"
[ -n "$(ls /sys/bus/pci/devices)" ] || tap_skip_all "no PCI functions on this machine"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to read the JSON back"
lspci=$(command -v lspci || command -v /usr/bin/lspci || command -v /sbin/lspci) ||
	tap_skip_all "lspci (pciutils) is needed for the comparison"

"$ctl" devices --json > "$tap_tmp/out.json" 2> "$tap_tmp/err"
tap_is "$?" 0 "devices --json exits 0"
"$ctl" devices > "$tap_tmp/out.txt" 2>> "$tap_tmp/err"
tap_is "$?" 0 "devices exits 0"
tap_is "$(cat "$tap_tmp/err")" "" "nothing on stderr"

# "bdf class vendor:device" from both sides, sorted.
"$lspci" -D -n | awk '{ sub(/:$/, "", $2); print $1, $2, $3 }' | sort > "$tap_tmp/lspci"
python3 -c '
import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    print(d["bdf"], d["class_id"], "%s:%s" % (d["vendor_id"], d["device_id"]))
' "$tap_tmp/out.json" | sort > "$tap_tmp/ours"
tap_is "$(cat "$tap_tmp/ours")" "$(cat "$tap_tmp/lspci")" \
	"the same functions, classes and IDs as lspci -n ($(wc -l < "$tap_tmp/lspci") functions)"

# Driver and group from the sysfs links, read here rather than by the program.
for dev in /sys/bus/pci/devices/*; do
	bdf=${dev##*/}
	drv=null; grp=null
	[ -L "$dev/driver" ] && drv=$(basename "$(readlink "$dev/driver")")
	[ -L "$dev/iommu_group" ] && grp=$(basename "$(readlink "$dev/iommu_group")")
	echo "$bdf $drv $grp"
done | sort > "$tap_tmp/links"
python3 -c '
import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    g = d["iommu_group"]
    print(d["bdf"], d["driver"] or "null", "null" if g is None else g)
' "$tap_tmp/out.json" | sort > "$tap_tmp/ours-links"
tap_is "$(cat "$tap_tmp/ours-links")" "$(cat "$tap_tmp/links")" "drivers and IOMMU groups match the sysfs links"

# Every function without an iommu_group link: not assignable, and "no IOMMU" says why;
# for endpoints (virtio here) it is the first reason, as the text output shows.
no_group=0
for dev in /sys/bus/pci/devices/*; do
	[ -L "$dev/iommu_group" ] && continue
	bdf=${dev##*/}
	no_group=$((no_group + 1))
	note=$(awk -v b="$bdf" '/^0000:/ { cur = $1; next }
		cur == b && /^    not assignable: / { sub(/^    /, ""); print }' "$tap_tmp/out.txt")
	class=$(cat "$dev/class")
	case $class in
	0x06*) tap_like "$note" "no IOMMU" "$bdf (a bridge, no iommu_group): the reasons include no IOMMU" ;;
	*) tap_like "$note" "not assignable: no IOMMU" "$bdf ($(cat "$dev/vendor"):$(cat "$dev/device"), no iommu_group): not assignable: no IOMMU" ;;
	esac
	row=$(grep "^$bdf " "$tap_tmp/out.txt" | awk -F '  +' '{ print $6 }')
	tap_is "$row" "no" "$bdf: the ASSIGNABLE column says no"
done
tap_diag "$no_group functions without an IOMMU group on this machine"

# The root filesystem: its device number from stat(2), its PCI function found by
# walking /sys/dev/block here; that function (if any) must say it backs /. A root on
# no block device (a 9p share in the testbed) is fixture-devices.sh's business.
root_bdf=$(python3 -c '
import os, re
st = os.stat("/")
path = "/sys/dev/block/%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))
if not os.major(st.st_dev):
    print("virtual")
elif os.path.exists(path):
    p = os.path.realpath(path)
    while p not in ("/", "/sys/devices"):
        if re.fullmatch(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", os.path.basename(p)):
            print(os.path.basename(p))
            break
        p = os.path.dirname(p)
')
ours_root=$(python3 -c '
import json, sys
print(" ".join(d["bdf"] for d in json.load(open(sys.argv[1]))["devices"]
               if any(r["code"] == "root_filesystem" for r in d["reasons"])))
' "$tap_tmp/out.json")
if [ "$root_bdf" = virtual ]; then
	tap_diag "/ is not on a block device here (9p, overlay, ...): $ours_root claims it"
elif [ -n "$root_bdf" ]; then
	tap_is "$ours_root" "$root_bdf" "the function under / ($root_bdf) is the one that backs the root filesystem"
else
	tap_is "$ours_root" "" "/ is on no PCI block device here, and no function claims it"
fi

tap_done
