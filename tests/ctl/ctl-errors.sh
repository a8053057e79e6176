#!/bin/sh
# passthru-ctl run/start/stop/status/console/routes where no VM runs: the exit
# statuses, the messages, and that a start that fails leaves nothing behind
# (pidfile, socket) and shows why from the VMM's log. Holds with and without KVM.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to read the JSON back"

PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
PASSTHRU_RUN_DIR="$tap_tmp/run"
PASSTHRU_LOG_DIR="$tap_tmp/log"
PASSTHRU_VMM="$top_builddir/src/vmm/passthru-vmm"
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
unset PASSTHRU_LOG
mkdir -p "$PASSTHRU_CONFIG_DIR"
cat >"$PASSTHRU_CONFIG_DIR/idle.conf" <<'END'
[vm]
name = idle
memory = 64M
kernel = /nonexistent/passthru-test-kernel
END
cat >"$PASSTHRU_CONFIG_DIR/nokernel.conf" <<'END'
[vm]
name = nokernel
memory = 64M
END

run() { # CMD...: sets out, err, rc
	"$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
	rc=$?
	out=$(cat "$tap_tmp/out")
	err=$(cat "$tap_tmp/err")
}

# -- nothing runs
run "$ctl" status
tap_is "$rc" 0 "status: 0 with every VM stopped"
tap_like "$out" "idle      stopped" "status: lists idle as stopped"
tap_like "$out" "nokernel  stopped" "status: lists nokernel as stopped"
run "$ctl" status idle
tap_is "$rc" 5 "status VM: 5 when it does not run"
tap_like "$out" "idle: stopped" "status VM: says stopped"
tap_like "$out" "socket:   $PASSTHRU_RUN_DIR/idle.sock" "status VM: the socket follows PASSTHRU_RUN_DIR"
run "$ctl" status --json
state=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(v["name"]+":"+v["state"] for v in d["vms"]))')
tap_is "$state" "idle:stopped,nokernel:stopped" "status --json: every VM, stopped"
for verb in stop console routes; do
	run "$ctl" $verb idle
	tap_is "$rc" 5 "$verb: 5 when the VM does not run"
	tap_like "$err" "idle does not run" "$verb: says it does not run"
done

# -- bad arguments: 2, or 5 for an unknown VM
for args in "start" "stop" "console" "routes" "run" "start idle nokernel" "status idle nokernel"; do
	run "$ctl" $args
	tap_is "$rc" 2 "'$args': bad usage is 2"
done
run "$ctl" start nosuch
tap_is "$rc" 5 "start nosuch: 5"
tap_like "$err" "no VM named 'nosuch'" "start nosuch: names the VM"
run "$ctl" start '../idle'
tap_is "$rc" 2 "start ../idle: a path is not a VM name"
run "$ctl" status --timeout 5
tap_is "$rc" 2 "--timeout with status is refused"
tap_like "$err" "--timeout goes with start, stop and attach" "--timeout: says where it belongs"
run "$ctl" start --force idle
tap_is "$rc" 2 "--force with start is refused"
run "$ctl" stop --timeout 0 idle
tap_is "$rc" 2 "--timeout 0 is refused"
tap_like "$err" "--timeout 0: expected whole seconds" "--timeout 0: says what is valid"
run "$ctl" start --json idle
tap_is "$rc" 2 "start --json is refused"
run "$ctl" start nokernel
tap_is "$rc" 2 "start without a kernel: 2"
tap_like "$err" "set kernel = /path" "start without a kernel: says what to set"

# -- a start that fails: the VMM's own reason, nothing left behind
run "$ctl" start idle
tap_ok "$([ "$rc" = 2 ] || [ "$rc" = 3 ]; echo $?)" "start with no kernel file (or no KVM): 2 or 3 (got $rc)"
tap_like "$err" "idle did not start: passthru-vmm ended with status $rc" "start: reports the VMM's status"
tap_like "$err" "from $PASSTHRU_LOG_DIR/idle.log" "start: shows the log it read"
if [ -e /dev/kvm ]; then
	tap_like "$err" "/nonexistent/passthru-test-kernel" "start: the VMM's message names the missing kernel"
else
	tap_like "$err" "/dev/kvm" "start: the VMM's message names /dev/kvm"
fi
tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/idle.pid" ]; echo $?)" "start failed: no pidfile left"
tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/idle.sock" ]; echo $?)" "start failed: no socket left"
tap_ok "$(grep -q '^-- passthru-ctl start idle at ' "$PASSTHRU_LOG_DIR/idle.log"; echo $?)" \
	"start: the log marks where this start begins"

# -- a VMM that cannot be run at all
run env PASSTHRU_VMM="$tap_tmp/no-such-vmm" "$ctl" start idle
tap_is "$rc" 1 "start with a missing passthru-vmm: 1"
tap_like "$err" "cannot run $tap_tmp/no-such-vmm" "start: names the missing program"
run env PASSTHRU_VMM="$tap_tmp/no-such-vmm" "$ctl" run idle
tap_is "$rc" 3 "run with a missing passthru-vmm: 3"
tap_like "$err" "point PASSTHRU_VMM at it" "run: says how to point at it"

# -- what a crashed VMM leaves: a stale pidfile (nobody holds its lock) and a dead socket
mkdir -p "$PASSTHRU_RUN_DIR"
echo 999999 >"$PASSTHRU_RUN_DIR/idle.pid"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$PASSTHRU_RUN_DIR/idle.sock"
run "$ctl" status idle
tap_is "$rc" 5 "status after a crash: 5"
tap_like "$out" "ended without cleaning up" "status after a crash: says so"
run "$ctl" status --json idle
stale=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["stale"], d["pid"])')
tap_is "$stale" "True 999999" "status --json after a crash: stale, with the dead pid"
run "$ctl" routes idle
tap_is "$rc" 5 "routes after a crash: 5"
tap_like "$err" "its VMM has died" "routes after a crash: says the VMM died"
run "$ctl" stop idle
tap_is "$rc" 5 "stop after a crash: 5 (it did not run)"
tap_like "$err" "removed the stale pidfile" "stop after a crash: removes the pidfile"
tap_like "$err" "removed the stale control socket" "stop after a crash: removes the socket"
tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/idle.pid" ] && [ ! -e "$PASSTHRU_RUN_DIR/idle.sock" ]; echo $?)" \
	"stop after a crash: nothing left"

# -- attach and detach on a VM that does not run: its definition, nothing else
printf '# idle: kept as it is\n' >>"$PASSTHRU_CONFIG_DIR/idle.conf"
cp "$PASSTHRU_CONFIG_DIR/idle.conf" "$tap_tmp/idle.orig"
for args in "attach" "attach 0000:03:00.0" "attach 0000:03:00.0 idle extra" "attach 03:00.9 idle" \
	"detach" "detach zz idle"; do
	run "$ctl" $args
	tap_is "$rc" 2 "'$args': bad usage is 2"
done
run "$ctl" attach 0000:03:00.0 nosuch
tap_is "$rc" 5 "attach to an undefined VM: 5"
run "$ctl" attach 03:00.0 idle
tap_is "$rc" 0 "attach to a VM that does not run: 0"
tap_like "$out" "0000:03:00.0: added to idle's definition" "attach: says the definition gained it (canonical address)"
tap_is "$(tail -2 "$PASSTHRU_CONFIG_DIR/idle.conf" | tr '\n' '|')" "|[device 0000:03:00.0]|" "attach: a [device] section at the end"
tap_ok "$([ ! -e "$PASSTHRU_RUN_DIR/devices" ]; echo $?)" "attach: no device record (the host is not touched)"
run "$ctl" attach 0000:03:00.0 idle
tap_is "$rc" 0 "attach again: 0"
tap_like "$err" "already in idle's definition" "attach again: says so"
run "$ctl" --json attach 0000:03:00.1 idle
tap_is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], d["running"], d["bdf"])')" "True False 0000:03:00.1" "attach --json: ok, not running, the address"
run "$ctl" detach 0000:03:00.1 idle
run "$ctl" detach 0000:03:00.0 idle
tap_is "$rc" 0 "detach from a VM that does not run: 0"
cmp -s "$PASSTHRU_CONFIG_DIR/idle.conf" "$tap_tmp/idle.orig"
tap_ok $? "detach: the definition is byte for byte as before"
run "$ctl" detach 0000:03:00.0 idle
tap_is "$rc" 5 "detach of a device it does not have: 5"
tap_like "$err" "not in idle's definition" "detach: says so"
run "$ctl" attach --force --timeout 5 0000:03:00.0 idle
tap_is "$rc" 0 "attach takes --force and --timeout"
run "$ctl" detach --timeout 5 0000:03:00.0 idle
tap_is "$rc" 2 "detach does not take --timeout"

tap_done
