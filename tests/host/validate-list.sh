#!/bin/sh
# passthru-ctl validate and list over VM definitions written here: the report
# format, the exit statuses, the configuration directory's precedence
# (--config-dir, then PASSTHRU_CONFIG_DIR), and the JSON forms parsed back.
# (The parser's own messages are tests/config's business; this checks the command.)
. "${top_srcdir:?}/tests/host/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to read the JSON back"
unset PASSTHRU_CONFIG_DIR

vms="$tap_tmp/vms"
mkdir -p "$vms" "$tap_tmp/other"
cat > "$vms/web.conf" <<'END'
[vm]
name = web
memory = 1536M
vcpus = 4

[device 0000:03:00.0]
backend = vfio
guest-slot = 3

[device 0000:04:00.1]
interrupts = msi
END
cat > "$vms/db.conf" <<'END'
[vm]
name = db
memory = 2G
END
# Line 3 misspells a key, line 4 has no unit.
cat > "$tap_tmp/broken.conf" <<'END'
[vm]
name = broken
memroy = 64M
memory = 64
END
cat > "$tap_tmp/other/solo.conf" <<'END'
[vm]
name = solo
memory = 16M
END

# --- validate --------------------------------------------------------------------
out=$("$ctl" validate "$vms/web.conf" "$vms/db.conf" 2>&1)
tap_is "$?" 0 "validate of two good files exits 0"
tap_is "$out" "$vms/web.conf: ok
$vms/db.conf: ok" "each good file: FILE: ok"

"$ctl" validate "$vms/web.conf" "$tap_tmp/broken.conf" > "$tap_tmp/out" 2>&1
tap_is "$?" 2 "validate with one invalid file exits 2"
tap_is "$(sed -n 1p "$tap_tmp/out")" "$vms/web.conf: ok" "the good file is still reported ok"
tap_is "$(sed -n '2,$p' "$tap_tmp/out" | cut -d: -f1-2 | tr '\n' ' ')" \
	"$tap_tmp/broken.conf:3 $tap_tmp/broken.conf:4 " "every problem as FILE:LINE, in line order"
tap_like "$(sed -n 2p "$tap_tmp/out")" "memroy" "the misspelt key is named"

"$ctl" validate "$tap_tmp/missing.conf" > "$tap_tmp/out" 2>&1
tap_is "$?" 2 "validate of a missing file exits 2"
tap_like "$(cat "$tap_tmp/out")" "$tap_tmp/missing.conf:0: " "and names the file"

"$ctl" validate > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 2 "validate without FILE is bad usage"
tap_like "$(cat "$tap_tmp/err")" "validate needs at least one FILE" "and says so"

"$ctl" validate --json "$vms/web.conf" "$tap_tmp/broken.conf" > "$tap_tmp/v.json"
tap_is "$?" 2 "validate --json exits 2 as well"
tap_is "$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert list(doc) == ["files"]
for f in doc["files"]:
    assert list(f) == ["file", "valid", "name", "errors"], list(f)
    for e in f["errors"]:
        assert list(e) == ["file", "line", "message"], list(e)
    print(f["file"], f["valid"], f["name"], ",".join(str(e["line"]) for e in f["errors"]))
' "$tap_tmp/v.json")" "$vms/web.conf True web 
$tap_tmp/broken.conf False None 3,4" "the JSON parses back: validity, name, error lines"

# --- validate: the rom file -----------------------------------------------------
# The definition names its ROM image; validate reads it as the VMM will at start.
printf '\125\252rom' > "$tap_tmp/nic.rom"
: > "$tap_tmp/empty.rom"
truncate -s 17M "$tap_tmp/big.rom"
rom_conf() {
	printf '[vm]\nname = r\nmemory = 64M\n\n[device 0000:03:00.0]\nrom = %s\n' "$1" > "$tap_tmp/r.conf"
}
rom_conf "$tap_tmp/nic.rom"
tap_is "$("$ctl" validate "$tap_tmp/r.conf" 2>&1)" "$tap_tmp/r.conf: ok" "a readable rom file is ok"
rom_use="use auto, off or the absolute path of a readable ROM image of 1 byte to 16 MiB"
for case in "missing.rom|cannot be read: No such file or directory" "empty.rom|is empty" \
	    "big.rom|is larger than 16 MiB" ".|is not a regular file"; do
	file="$tap_tmp/${case%%|*}"
	file=${file%/.}
	rom_conf "$file"
	out=$("$ctl" validate "$tap_tmp/r.conf" 2>&1)
	tap_is "$?" 2 "rom = ${case%%|*}: exit 2, as for any invalid definition"
	tap_is "$out" "$tap_tmp/r.conf:6: rom: '$file' ${case#*|}: $rom_use" \
		"rom = ${case%%|*}: FILE:LINE, the key and what is valid"
done
rom_conf off
tap_is "$("$ctl" validate "$tap_tmp/r.conf" 2>&1)" "$tap_tmp/r.conf: ok" "rom = off opens nothing"

# --- list --------------------------------------------------------------------------
"$ctl" --config-dir "$vms" list > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 0 "list exits 0"
tap_is "$(tr -s ' ' < "$tap_tmp/out")" "NAME MEMORY VCPUS DEVICES
db 2G 1 -
web 1536M 4 0000:03:00.0,0000:04:00.1" "one aligned row per VM, sorted by name"
tap_is "$(cat "$tap_tmp/err")" "" "nothing on stderr"

PASSTHRU_CONFIG_DIR="$tap_tmp/other" "$ctl" list > "$tap_tmp/out"
tap_is "$(sed -n 2p "$tap_tmp/out" | cut -d' ' -f1)" solo "PASSTHRU_CONFIG_DIR names the directory"
PASSTHRU_CONFIG_DIR="$tap_tmp/other" "$ctl" list --config-dir "$vms" > "$tap_tmp/out"
tap_is "$(sed -n 2p "$tap_tmp/out" | cut -d' ' -f1)" db "--config-dir wins over PASSTHRU_CONFIG_DIR"

"$ctl" --config-dir "$vms" list --json > "$tap_tmp/l.json"
tap_is "$?" 0 "list --json exits 0"
tap_is "$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert list(doc) == ["config_dir", "vms"], list(doc)
print(doc["config_dir"])
for v in doc["vms"]:
    assert list(v) == ["name", "file", "memory", "vcpus", "irqchip", "devices"], list(v)
    for d in v["devices"]:
        assert list(d) == ["bdf", "backend", "interrupts", "hotplug", "guest_slot",
                           "guest_function"], list(d)
    print(v["name"], v["memory"], v["vcpus"], v["irqchip"],
          " ".join("%s/%s/%s/%s.%s" % (d["bdf"], d["backend"], d["interrupts"], d["guest_slot"],
                                       d["guest_function"])
                   for d in v["devices"]))
' "$tap_tmp/l.json")" "$vms
db 2147483648 1 kernel 
web 1610612736 4 kernel 0000:03:00.0/vfio/auto/3.0 0000:04:00.1/auto/msi/None.None" \
	"the JSON parses back: bytes, vcpus, devices with their settings"

cp "$tap_tmp/broken.conf" "$vms/broken.conf"
"$ctl" --config-dir "$vms" list > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 2 "an invalid definition in the directory: exit 2"
tap_is "$(cut -d' ' -f1 "$tap_tmp/out" | tr '\n' ' ')" "NAME db web " "the valid ones are still listed"
tap_like "$(cat "$tap_tmp/err")" "$vms/broken.conf:3: " "the invalid one is reported on stderr as FILE:LINE"

mkdir "$tap_tmp/empty"
tap_is "$("$ctl" --config-dir "$tap_tmp/empty" list | tr -s ' ')" "NAME MEMORY VCPUS DEVICES" \
	"an empty directory lists nothing"
"$ctl" --config-dir "$tap_tmp/nowhere" list > /dev/null 2> "$tap_tmp/err"
tap_is "$?" 5 "a missing directory: exit 5"
tap_like "$(cat "$tap_tmp/err")" "$tap_tmp/nowhere" "and it is named"
"$ctl" list extra > /dev/null 2>&1
tap_is "$?" 2 "list takes no arguments"

tap_done
