#!/bin/sh
# backend = legacy on a kernel without KVM_ASSIGN_* (Linux >= 4.12): passthru-ctl start,
# run and attach, and passthru-vmm itself, refuse with the reason and exit status 6 before
# anything on the host changes (a stale pidfile stays, no log directory appears).
# Without /dev/kvm the same refusal says so, with status 3. In KVM_TESTS for the testbed.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm="$top_builddir/src/vmm/passthru-vmm"
PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
PASSTHRU_RUN_DIR="$tap_tmp/run"
PASSTHRU_LOG_DIR="$tap_tmp/log"
PASSTHRU_VMM="$vmm"
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
unset PASSTHRU_LOG
mkdir -p "$PASSTHRU_CONFIG_DIR" "$PASSTHRU_RUN_DIR"
cat >"$PASSTHRU_CONFIG_DIR/leg.conf" <<'END'
[vm]
name = leg
memory = 64M
kernel = /nonexistent/passthru-test-kernel

[device 0000:03:00.0]
backend = legacy
END

# What this host's kernel says decides the expected status.
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	want=6 why="removed in Linux 4.12"
	case $(uname -r) in
	[0-3].*|4.[0-9].*|4.1[01].*) tap_skip_all "kernel $(uname -r) may still have KVM_ASSIGN_*" ;;
	esac
else
	want=3 why="/dev/kvm"
fi

run() { # CMD...: sets err, rc
	"$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
	rc=$?
	err=$(cat "$tap_tmp/err")
}

# A pidfile a crashed VMM left: start would clean it up as its first host change.
echo 999999 >"$PASSTHRU_RUN_DIR/leg.pid"

for verb in start run; do
	run "$ctl" $verb leg
	tap_is "$rc" "$want" "$verb: exit status $want"
	tap_like "$err" "leg.conf:6: device 0000:03:00.0: backend = legacy cannot be used" "$verb: names the file, line and device"
	tap_like "$err" "$why" "$verb: says why ($why)"
	tap_like "$err" "use backend = vfio" "$verb: says to use backend = vfio"
	tap_is "$(cat "$PASSTHRU_RUN_DIR/leg.pid" 2>&1)" 999999 "$verb: the stale pidfile is untouched"
	tap_ok "$([ ! -e "$PASSTHRU_LOG_DIR" ]; echo $?)" "$verb: no log directory was created"
	tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/leg.sock" ]; echo $?)" "$verb: no control socket"
done

cp "$PASSTHRU_CONFIG_DIR/leg.conf" "$tap_tmp/leg.orig"
run "$ctl" attach 0000:03:00.0 leg
tap_is "$rc" "$want" "attach: exit status $want"
tap_like "$err" "backend = legacy cannot be used" "attach: the same reason"
cmp -s "$PASSTHRU_CONFIG_DIR/leg.conf" "$tap_tmp/leg.orig"
tap_ok $? "attach: the definition is untouched"
tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/devices" ]; echo $?)" "attach: no device record or lock"

run "$ctl" check 0000:03:00.0 --vm leg
tap_is "$rc" "$want" "check BDF --vm: exit status $want"
tap_like "$err" "backend = legacy cannot be used" "check BDF --vm: the same reason"

run "$vmm" leg
tap_is "$rc" "$want" "passthru-vmm: exit status $want, not the generic 3 for devices"
tap_like "$err" "backend = legacy cannot be used" "passthru-vmm: the same reason"
tap_is "$(cat "$PASSTHRU_RUN_DIR/leg.pid" 2>&1)" 999999 "passthru-vmm: refused before taking the pidfile"

# A sysroot with no /dev/kvm: nothing to ask, refused all the same.
mkdir -p "$tap_tmp/root"
run "$ctl" --sysroot "$tap_tmp/root" start leg
tap_is "$rc" 3 "start with no /dev/kvm under the sysroot: 3"
tap_like "$err" "/dev/kvm: No such file or directory" "... saying /dev/kvm cannot be opened"

# backend = auto is not refused by this check (the VMM decides; today it has no devices).
sed 's/backend = legacy/backend = auto/' "$PASSTHRU_CONFIG_DIR/leg.conf" >"$tap_tmp/auto.conf"
sed 's/name = leg/name = auto/' "$tap_tmp/auto.conf" >"$PASSTHRU_CONFIG_DIR/auto.conf"
run "$vmm" auto
tap_ok "$([ "$rc" != 6 ]; echo $?)" "backend = auto: not refused as legacy (status $rc)"
tap_ok "$(printf '%s' "$err" | grep -q 'backend = legacy'; [ $? != 0 ]; echo $?)" "backend = auto: no legacy message"

# The witness above is real: a start that passes the check does clean a stale pidfile.
echo 999999 >"$PASSTHRU_RUN_DIR/auto.pid"
run "$ctl" start auto
tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/auto.pid" ]; echo $?)" "control: start auto removed its stale pidfile (status $rc)"

# The simulated Linux 3.17 of the unit tests is linked into tests only.
for prog in "$ctl" "$vmm"; do
	tap_ok "$(grep -q fk_vm_ioctl "$prog"; [ $? = 1 ]; echo $?)" "$(basename "$prog") does not contain the test double"
done

run "$ctl" validate "$PASSTHRU_CONFIG_DIR/leg.conf"
tap_is "$rc" 0 "validate: backend = legacy is a valid definition (the host decides at start)"
tap_done
