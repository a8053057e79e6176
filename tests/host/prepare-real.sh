#!/bin/sh
# prepare and recover on this machine's real /sys. The build machines have no
# IOMMU: prepare must refuse with "no IOMMU" and change nothing (every
# function's driver link and driver_override compared before and after), and
# recover with nothing to do must say so and exit 0. A host with an IOMMU
# skips: the testbed (prepare-testbed.sh) proves the binds.
. "${top_srcdir:?}/tests/host/tap.sh"

[ -d /sys/bus/pci/devices ] || tap_skip_all "no /sys/bus/pci/devices on this machine"
if [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]; then
	tap_skip_all "this machine has IOMMU groups: prepare would really bind (prepare-testbed.sh covers that)"
fi
PASSTHRU_RUN_DIR="$tap_tmp/run"
export PASSTHRU_RUN_DIR

# The first endpoint function (class not 06xx, a bridge).
bdf=
for d in /sys/bus/pci/devices/*; do
	case $(cat "$d/class") in 0x06*) continue ;; esac
	bdf=$(basename "$d")
	break
done
[ -n "$bdf" ] || tap_skip_all "no PCI endpoint on this machine"

host_state() {
	for d in /sys/bus/pci/devices/*; do
		printf '%s %s %s\n' "$(basename "$d")" "$(readlink "$d/driver" 2>/dev/null)" \
			"$(cat "$d/driver_override" 2>/dev/null)"
	done
	ls /dev/vfio 2>/dev/null
}
host_state > "$tap_tmp/before"

"$ctl" prepare "$bdf" > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 3 "prepare $bdf: exit 3 (the host lacks an IOMMU)"
tap_like "$(cat "$tap_tmp/err")" "$bdf: refused: no IOMMU" "the refusal says no IOMMU"
tap_like "$(cat "$tap_tmp/err")" "nothing was changed" "and that nothing was changed"
host_state > "$tap_tmp/after"
tap_ok "$(cmp -s "$tap_tmp/before" "$tap_tmp/after"; echo $?)" \
	"every function's driver and driver_override are as before"
tap_is "$(ls -A "$PASSTHRU_RUN_DIR/devices" 2>/dev/null)" "" "no state record or lock is left"

"$ctl" prepare --group --json "$bdf" > "$tap_tmp/out" 2> /dev/null
tap_is "$?" 3 "prepare --group --json: exit 3"
tap_like "$(cat "$tap_tmp/out")" '"code": "no_iommu"' "the JSON reply names no_iommu"

"$ctl" recover > "$tap_tmp/out" 2> "$tap_tmp/err"
tap_is "$?" 0 "recover with nothing to do: exit 0"
tap_like "$(cat "$tap_tmp/out")" "nothing to recover" "and says so"
tap_is "$(cat "$tap_tmp/err")" "" "nothing on stderr"
host_state > "$tap_tmp/after"
tap_ok "$(cmp -s "$tap_tmp/before" "$tap_tmp/after"; echo $?)" "recover changed nothing"

tap_done
