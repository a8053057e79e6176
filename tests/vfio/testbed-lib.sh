# Helpers of the testbed's device tests (tests/vfio/*.sh), sourced after tap.sh;
# tests/standalone-test.sh inlines this file into the suite's self-contained copies.

# Skips the test unless it runs inside the testbed with KVM and VFIO.
testbed_require() {
	[ "${PASSTHRU_TESTBED:-}" = 1 ] || tap_skip_all "not inside the testbed (make check-testbed runs this)"
	[ -c /dev/kvm ] && [ -e /dev/vfio/vfio ] || tap_skip_all "no /dev/kvm or no VFIO here"
}

# ctl_env_tmp VMM: passthru-ctl keeps definitions, run state and logs under $tap_tmp
# (vms, made here; run; log) and runs VMM as passthru-vmm; PASSTHRU_LOG unset.
ctl_env_tmp() {
	PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
	PASSTHRU_RUN_DIR="$tap_tmp/run"
	PASSTHRU_LOG_DIR="$tap_tmp/log"
	PASSTHRU_VMM=$1
	export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
	unset PASSTHRU_LOG
	mkdir -p "$PASSTHRU_CONFIG_DIR"
}

# status_devices VM EXPR: EXPR (Python, over d, one entry of "$ctl" status VM --json's
# devices) for each device the VMM lists, sorted, on one line.
status_devices() {
	"$ctl" status "$1" --json 2>/dev/null | python3 -c '
import json, sys
devs = json.load(sys.stdin).get("devices", [])
print(" ".join(sorted(str(eval(sys.argv[1])) for d in devs)))' "$2"
}

# pci_find VENDOR DEVICE: prints the first PCI function with these IDs (0x8086 0x10d3).
pci_find() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] &&
			echo "${d##*/}" && return 0
	done
	return 1
}

# pci_find_all VENDOR DEVICE: prints every PCI function with these IDs, one a line.
pci_find_all() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] && echo "${d##*/}"
	done
	return 0
}

# pci_driver BDF: prints the driver BDF is bound to (nothing when none).
pci_driver() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
	return 0
}

# vfio_take BDF: from its driver (if any) to vfio-pci, by driver_override.
vfio_take() {
	[ -n "$(pci_driver "$1")" ] && echo "$1" >"/sys/bus/pci/devices/$1/driver/unbind"
	echo vfio-pci >"/sys/bus/pci/devices/$1/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe
}

# vfio_give_back BDF DRIVER: off vfio-pci, driver_override cleared, back to DRIVER
# (the one it had; empty: none).
vfio_give_back() {
	[ "$(pci_driver "$1")" = vfio-pci ] && echo "$1" >"/sys/bus/pci/devices/$1/driver/unbind"
	echo >"/sys/bus/pci/devices/$1/driver_override"
	[ -n "$2" ] && [ -z "$(pci_driver "$1")" ] && echo "$1" >/sys/bus/pci/drivers_probe
	return 0
}
