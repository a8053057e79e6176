#!/bin/sh
# passthru-ctl devices against a fixture sysroot (tests/fixtures/mksysroot.py
# workstation): every shape of the assignable verdict, asserted exactly, in the
# text output and in the JSON output parsed back.
. "${top_srcdir:?}/tests/host/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to build the fixture"
: "${runstatedir:?run through make check}"
root="$tap_tmp/ws"
# The state records live in the run directory (common/run_dir.h), not under --sysroot.
PASSTHRU_RUN_DIR="$root$runstatedir/passthru"
export PASSTHRU_RUN_DIR
python3 "$top_srcdir/tests/fixtures/mksysroot.py" workstation "$root" "$runstatedir" ||
	tap_skip_all "cannot build the fixture tree"

# --- JSON: one summary line per function ------------------------------------
"$ctl" --sysroot "$root" devices --json > "$tap_tmp/out.json" 2> "$tap_tmp/err"
tap_is "$?" 0 "devices --json exits 0"
summary=$(python3 - "$tap_tmp/out.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
keys = ["bdf", "vendor_id", "device_id", "vendor", "device", "class_id", "class",
        "header_type", "multifunction", "driver", "iommu_group", "group_members",
        "boot_vga", "mounts", "prepared", "original_driver", "assigned_to", "assignable",
        "reasons"]
assert list(doc) == ["devices"], list(doc)
for d in doc["devices"]:
    assert list(d) == keys, (d["bdf"], list(d))
    peers = ",".join("%s=%s" % (m["bdf"], m["driver"] or "") for m in d["group_members"])
    print("|".join([
        d["bdf"], "yes" if d["assignable"] else "no", d["driver"] or "-",
        "-" if d["iommu_group"] is None else str(d["iommu_group"]), d["header_type"],
        "mf" if d["multifunction"] else "sf", peers,
        ",".join(r["code"] for r in d["reasons"]),
        "; ".join(r["message"] for r in d["reasons"])]))
PY
)
tap_is "$?" 0 "the JSON parses back with the documented keys in order"

record="$root$runstatedir/passthru/devices/0000:0a:00.0.json"
expected=$(cat <<END
0000:00:00.0|no|-|0|endpoint|sf||bridge|bridge, not an endpoint
0000:00:02.0|no|i915|2|endpoint|sf||boot_vga|boot VGA device
0000:00:1c.0|no|pcieport|1|bridge|sf|0000:0b:00.0=|bridge|bridge, not an endpoint
0000:00:1f.2|no|ahci|9|endpoint|sf||mounted_filesystem|backs mounted filesystem /srv (dm-0)
0000:03:00.0|no|-|3|endpoint|sf|0000:04:00.0=snd_hda_intel|group_shared|group 3 is shared with 0000:04:00.0 which is bound to host driver snd_hda_intel
0000:04:00.0|yes|snd_hda_intel|3|endpoint|sf|0000:03:00.0=||
0000:05:00.0|yes|vfio-pci|5|endpoint|sf|||
0000:06:00.0|no|vfio-pci|6|endpoint|mf|0000:06:00.1=snd_hda_intel|group_shared|group 6 is shared with 0000:06:00.1 which is bound to host driver snd_hda_intel
0000:06:00.1|yes|snd_hda_intel|6|endpoint|mf|0000:06:00.0=vfio-pci||
0000:07:00.0|no|e1000e|-|endpoint|sf||no_iommu|no IOMMU
0000:08:00.0|no|nvme|8|endpoint|sf||root_filesystem,mounted_filesystem|backs the root filesystem (nvme0n1p1); backs mounted filesystem /mnt/my data (nvme0n1p2)
0000:09:00.0|no|vfio-pci|10|endpoint|sf||assigned|already assigned to VM web
0000:0a:00.0|no|vfio-pci|11|endpoint|sf||state_unreadable|state record $record cannot be read: not valid JSON
0000:0b:00.0|yes|-|1|endpoint|sf|0000:00:1c.0=pcieport||
0000:0c:00.0|no|virtio-pci|12|endpoint|sf||mounted_filesystem|backs mounted filesystem /srv/share (9p tag share0)
0000:0d:00.0|no|virtio-pci|13|endpoint|sf||mounted_filesystem|backs mounted filesystem /data (virtiofs tag fsshare)
END
)
tap_is "$(printf '%s\n' "$summary" | cut -d'|' -f1 | tr '\n' ' ')" \
	"$(printf '%s\n' "$expected" | cut -d'|' -f1 | tr '\n' ' ')" \
	"every fixture function is listed, sorted by address"
printf '%s\n' "$expected" > "$tap_tmp/expected"
while IFS= read -r want; do
	bdf=${want%%|*}
	got=$(printf '%s\n' "$summary" | grep "^$bdf|")
	tap_is "$got" "$want" "$bdf: verdict, driver, group, header, members, reasons"
done < "$tap_tmp/expected"

names=$(python3 -c '
import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    if d["bdf"] == "0000:03:00.0":
        print("%s|%s|%s|%s|%s|%s" % (d["vendor_id"], d["device_id"], d["class_id"],
                                     d["vendor"], d["device"], d["class"]))' "$tap_tmp/out.json")
tap_is "$names" "8086|10d3|0200|Intel Corporation|82574L Gigabit Network Connection|Ethernet controller" \
	"IDs and names from pci.ids"

# --- text: the row and the note lines under it --------------------------------
"$ctl" --sysroot "$root" devices > "$tap_tmp/out.txt" 2> "$tap_tmp/err"
tap_is "$?" 0 "devices exits 0"
tap_is "$(head -n 1 "$tap_tmp/out.txt" | tr -s ' ')" \
	"BDF ID CLASS DRIVER GROUP ASSIGNABLE DEVICE" "the header names the columns"
# "bdf|ASSIGNABLE column|" for every row, "bdf|note|text" for every note line.
text=$(awk '/^0000:/ { bdf = $1; split($0, f, /  +/); print bdf "|" f[6] "|"; next }
	     /^    / { sub(/^    /, ""); print bdf "|note|" $0 }' "$tap_tmp/out.txt")
tap_like "$text" "0000:03:00.0|no|" "03:00.0 row says no"
tap_like "$text" "0000:03:00.0|note|group 3 also holds 0000:04:00.0 (snd_hda_intel)" \
	"03:00.0 names its group's other member and its driver"
tap_like "$text" "0000:03:00.0|note|not assignable: group 3 is shared with 0000:04:00.0 which is bound to host driver snd_hda_intel" \
	"03:00.0 says which member holds the group"
tap_like "$text" "0000:07:00.0|note|not assignable: no IOMMU" "07:00.0: not assignable: no IOMMU"
tap_like "$text" "0000:00:1c.0|note|not assignable: bridge, not an endpoint" "the root port is a bridge"
tap_like "$text" "0000:05:00.0|yes|" "05:00.0 on vfio-pci is assignable"
tap_like "$text" "0000:08:00.0|note|not assignable: backs the root filesystem (nvme0n1p1); backs mounted filesystem /mnt/my data (nvme0n1p2)" \
	"the NVMe backs / and a mount point with an escaped space"
tap_like "$text" "0000:09:00.0|note|not assignable: already assigned to VM web" "09:00.0 is assigned to web"
tap_is "$(grep -c '^0000:' "$tap_tmp/out.txt")" 16 "one row per function"
tap_is "$(cat "$tap_tmp/err")" "" "nothing on stderr"

# --- named functions: the order given, and a missing one -----------------------
"$ctl" --sysroot "$root" devices --json 06:00.1 0000:06:00.0 > "$tap_tmp/two.json"
tap_is "$?" 0 "devices BDF BDF exits 0"
tap_is "$(python3 -c 'import json,sys; print(" ".join(d["bdf"] for d in json.load(open(sys.argv[1]))["devices"]))' "$tap_tmp/two.json")" \
	"0000:06:00.1 0000:06:00.0" "named functions come in the order given, short form accepted"
"$ctl" --sysroot "$root" devices 0000:0e:00.0 0000:05:00.0 > "$tap_tmp/miss.txt" 2> "$tap_tmp/miss.err"
tap_is "$?" 5 "a well-formed address that is not there: exit 5"
tap_like "$(cat "$tap_tmp/miss.err")" "no PCI function 0000:0e:00.0" "the missing function is named"
tap_is "$(grep -c '^0000:05:00.0' "$tap_tmp/miss.txt")" 1 "the other function is still listed"

tap_done
