#!/bin/sh
# passthru-ctl against control sockets that misbehave, served by a stand-in VMM
# (fake-vmm.py): a VMM that stopped accepting (every call is bounded), two
# definitions naming one socket (every verb checks who answers), a socket this
# user may not use. No KVM needed.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 runs the stand-in VMM"
command -v timeout >/dev/null 2>&1 || tap_skip_all "timeout(1) guards against a hang"
command -v flock >/dev/null 2>&1 || tap_skip_all "flock(1) holds a pidfile as a VMM would"

fake="$top_srcdir/tests/ctl/fake-vmm.py"
PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
PASSTHRU_RUN_DIR="$tap_tmp/run"
PASSTHRU_LOG_DIR="$tap_tmp/log"
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR
mkdir -p "$PASSTHRU_CONFIG_DIR" "$PASSTHRU_RUN_DIR"
for vm in h2 h4; do
	printf '[vm]\nname = %s\nmemory = 32M\nsocket = %s/shared.sock\n' "$vm" "$PASSTHRU_RUN_DIR" \
		>"$PASSTHRU_CONFIG_DIR/$vm.conf"
done
printf '[vm]\nname = stuck\nmemory = 32M\n' >"$PASSTHRU_CONFIG_DIR/stuck.conf"

run() { # CMD...: sets out, err, rc; 60 s at most, so a hang fails instead of hanging the suite
	timeout 60 "$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
	rc=$?
	out=$(cat "$tap_tmp/out")
	err=$(cat "$tap_tmp/err")
}

# start_fake MODE SOCKET PIDFILE NAME: the stand-in in the background, once it is ready
start_fake() {
	rm -f "$tap_tmp/ready"
	python3 "$fake" "$@" "$tap_tmp/ready" &
	fake_pid=$!
	i=0
	while [ ! -e "$tap_tmp/ready" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
stop_fake() { kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; }

# -- two definitions, one socket
run "$ctl" list
tap_like "$err" "h4.conf:0: socket: $PASSTHRU_RUN_DIR/shared.sock is also the control socket of VM h2" \
	"list: h4 naming h2's socket is refused"

# h2's VMM serves the socket; h4 does not run. routes h4 printed h2's table with 0.
start_fake serve "$PASSTHRU_RUN_DIR/shared.sock" "$PASSTHRU_RUN_DIR/h2.pid" h2
run "$ctl" routes --json h4
tap_is "$rc" 1 "routes h4 on h2's socket: 1"
tap_like "$err" "the VMM of h2 (pid $fake_pid) answers on $PASSTHRU_RUN_DIR/shared.sock, but no VMM holds h4's pidfile" \
	"routes h4: says whose VMM answered"
tap_is "$out" "" "routes h4: h2's table is not shown as h4's"
run "$ctl" routes --json h2
tap_is "$rc" 0 "routes h2: its own VMM answers: 0"
tap_like "$out" '"served_by": "h2"' "routes h2: the table"
stop_fake

# h4's pidfile is held by another process than the one answering as h4.
( exec flock "$PASSTHRU_RUN_DIR/h4.pid" sh -c 'echo $$ >"$0"; exec sleep 300' "$PASSTHRU_RUN_DIR/h4.pid" ) &
holder=$!
i=0
while [ ! -s "$PASSTHRU_RUN_DIR/h4.pid" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
h4pid=$(cat "$PASSTHRU_RUN_DIR/h4.pid")
start_fake serve "$PASSTHRU_RUN_DIR/shared.sock" "$PASSTHRU_RUN_DIR/h2.pid" h2
run "$ctl" status h4
tap_is "$rc" 1 "status h4 with h2 on its socket: 1"
tap_like "$out" "not h4's (pid $h4pid" "status h4: says the VMM answering is not h4's"
run "$ctl" stop --timeout 5 h4
tap_ok "$(alive "$fake_pid"; echo $?)" "stop h4: h2's VMM was not asked to stop"
tap_like "$err" "the VMM of h2 (pid $fake_pid) answers on $PASSTHRU_RUN_DIR/shared.sock, not h4's" \
	"stop h4: says why it does not use the socket"
tap_like "$err" "sending SIGTERM to pid $h4pid" "stop h4: signals h4's own VMM instead"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
stop_fake

# -- a VMM that stopped accepting: its listen backlog is full. status and stop waited
#    forever in connect().
start_fake stuck "$PASSTHRU_RUN_DIR/stuck.sock" "$PASSTHRU_RUN_DIR/stuck.pid" stuck
run "$ctl" status stuck
tap_is "$rc" 1 "status of a VMM that does not accept: 1, not a hang (timeout gives 124)"
tap_like "$out" "stuck: unresponsive" "status: says unresponsive"
tap_like "$out" "Connection timed out" "status: says the connection timed out"
run "$ctl" stop --timeout 3 stuck
tap_is "$rc" 0 "stop of a VMM that does not accept: SIGTERM ends it: 0"
tap_like "$err" "no stop through $PASSTHRU_RUN_DIR/stuck.sock (Connection timed out): sending SIGTERM to pid $fake_pid" \
	"stop: says the true reason for the signal"
stop_fake

# -- a socket this user may not use: status is 4 (permission), as stop is
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	start_fake serve "$PASSTHRU_RUN_DIR/shared.sock" "$PASSTHRU_RUN_DIR/h2.pid" h2
	chmod 0600 "$PASSTHRU_RUN_DIR/shared.sock"
	chmod 0755 "$tap_tmp" "$PASSTHRU_RUN_DIR" "$PASSTHRU_CONFIG_DIR"
	chmod 0644 "$PASSTHRU_CONFIG_DIR"/*.conf "$PASSTHRU_RUN_DIR/h2.pid"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" status h2
	tap_is "$rc" 4 "status as another user: 4 (permission), not 1"
	tap_like "$out" "permission denied on $PASSTHRU_RUN_DIR/shared.sock" "status: says permission denied"
	stop_fake
else
	tap_ok 0 "# SKIP needs root and setpriv to become another user"
	tap_ok 0 "# SKIP needs root and setpriv to become another user"
fi

# -- a pidfile saying 1 (init) names no VMM: never "pid 1 is gone"
echo 1 >"$PASSTHRU_RUN_DIR/stuck.pid"
run "$ctl" stop stuck
tap_is "$rc" 5 "stop with a stale pidfile saying 1: 5 (does not run)"
tap_like "$err" "it held no VMM's pid" "stop: does not call pid 1 gone"
tap_done
