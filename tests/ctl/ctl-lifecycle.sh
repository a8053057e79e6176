#!/bin/sh
# passthru-ctl driving real VMMs on /dev/kvm (the testbed's nested KVM): run in the
# foreground; start in the background, refused twice; status, routes, the console
# (one session, input reaches the guest, ends when the VM stops); stop while the
# guest spins, a forced stop of a VMM that ignores it, and recovery after a crash.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

[ -c /dev/kvm ] || tap_skip_all "no /dev/kvm on this host (runs in the testbed: make check-testbed)"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || tap_skip_all "/dev/kvm is not usable by this user"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 is needed to read the JSON back"
guest="$top_builddir/tests/guest/guest.elf"
vmm="$top_builddir/src/vmm/passthru-vmm"
[ -f "$guest" ] || tap_skip_all "the test guest is not built ($guest)"

PASSTHRU_CONFIG_DIR="$tap_tmp/vms"
PASSTHRU_RUN_DIR="$tap_tmp/run"
PASSTHRU_LOG_DIR="$tap_tmp/log"
PASSTHRU_VMM=$vmm
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR PASSTHRU_VMM
unset PASSTHRU_LOG
mkdir -p "$PASSTHRU_CONFIG_DIR"
define() { # NAME CMDLINE [MORE KEYS...]
	name=$1 cmdline=$2
	shift 2
	{
		printf '[vm]\nname = %s\nmemory = 64M\nkernel = %s\ncmdline = %s\n' \
			"$name" "$guest" "$cmdline"
		for k in "$@"; do echo "$k"; done
	} >"$PASSTHRU_CONFIG_DIR/$name.conf"
}
define info "scenario=info" "vcpus = 2"
define echo "scenario=echo wait_ms=150000"
define spin "scenario=spin"

run() { # CMD...: sets out, err, rc
	"$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
	rc=$?
	out=$(cat "$tap_tmp/out")
	err=$(cat "$tap_tmp/err")
}
json() { # PYTHON-EXPRESSION over d, the JSON in $out
	printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
pid_of() { cat "$PASSTHRU_RUN_DIR/$1.pid" 2>/dev/null; }
# wait_for SECONDS COMMAND...: polls until COMMAND succeeds; its status
wait_for() {
	t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
gone() { [ ! -e "$PASSTHRU_RUN_DIR/$1.pid" ] && [ ! -e "$PASSTHRU_RUN_DIR/$1.sock" ]; }
# A process is dead once it is gone or a zombie: an orphaned VMM waits for PID 1 to
# reap it, which some hosts' init does seconds late, and kill -0 succeeds on a zombie.
# A zombie only once every thread has ended: a killed VMM's main thread turns Z while
# its vCPU threads still tear the VM down, holding its files (the pidfile lock); and
# the last threads leave /proc/PID/task a moment after the lock is free, so after a
# stop the files must be gone at once, the process within a bounded wait.
dead() {
	st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -z "$st" ] && return 0
	[ "$st" = Z ] || [ "$st" = X ] || return 1
	[ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -le 1 ]
}
in_log() { grep -qF "$2" "$PASSTHRU_LOG_DIR/$1" 2>/dev/null; }

# -- run: the foreground VMM, its console here, its exit status ours
run timeout 120 "$ctl" run info
tap_is "$rc" 0 "run: the guest's PASS is exit status 0"
tap_like "$out" "TG result scenario=info status=PASS" "run: the console is on stdout"
tap_like "$out" "TG cpus count=2" "run: the definition's 2 vCPUs"
tap_ok "$(gone info; echo $?)" "run: no pidfile or socket after the VM ended"

# -- start, and the refusals while it runs
run "$ctl" start echo
tap_is "$rc" 0 "start: 0 once the socket answers"
pid=$(pid_of echo)
tap_like "$out" "echo started: pid $pid, control socket $PASSTHRU_RUN_DIR/echo.sock" \
	"start: reports the pid and socket"
tap_like "$out" "console on /dev/pts/" "start: a stdio console becomes a pty"
tap_ok "$(! dead "$pid"; echo $?)" "start: the VMM (pid $pid) runs"
tap_ok "$([ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]; echo $?)" \
	"start: the VMM leads its own session"
run "$ctl" start echo
tap_is "$rc" 4 "start again: 4"
tap_like "$err" "echo runs already (pid $pid)" "start again: names the running pid"
run "$ctl" run echo
tap_is "$rc" 4 "run while started: 4"
run "$vmm" echo
tap_is "$rc" 4 "passthru-vmm while started: 4 (its pidfile is locked)"
tap_like "$err" "echo runs already (pid $pid" "passthru-vmm: names the holder"

# -- status and routes through the socket
run "$ctl" status echo
tap_is "$rc" 0 "status VM: 0 while it runs"
tap_like "$out" "echo: running" "status VM: running"
tap_like "$out" "  console:  pty /dev/pts/" "status VM: the console pty"
tap_like "$out" "  memory:   64M" "status VM: the memory"
run "$ctl" status --json echo
tap_is "$(json 'd["state"], d["vmm"]["pid"], d["vmm"]["vcpus"], d["vmm"]["console"]["kind"]')" \
	"running $pid 1 pty" "status --json: state, pid, vcpus, console from the VMM"
run "$ctl" status
tap_ok "$(printf '%s\n' "$out" | grep -Eq "^echo +running +$pid +1 +64M +[0-9]+s +pty /dev/pts/"; echo $?)" \
	"status: the table shows echo running"
tap_ok "$(printf '%s\n' "$out" | grep -Eq '^spin +stopped +- '; echo $?)" "status: and spin stopped"
run "$ctl" routes echo
tap_is "$rc" 0 "routes: 0"
tap_like "$out" "echo: irqchip kernel, 40 of " "routes: the summary line"
tap_like "$out" "23   irqchip  ioapic pin 23" "routes: IOAPIC pin 23 is GSI 23"
run "$ctl" routes --json echo
tap_is "$(json 'len(d["routes"]), d["entries"], sorted(set(r["type"] for r in d["routes"]))')" \
	"40 40 ['irqchip']" "routes --json: the 40 default IRQCHIP routes"

# -- console: one session at a time; typed lines reach the guest; the end of the VM ends it
wait_for 60 in_log echo.console.log "TG ready scenario=echo"
tap_ok $? "console: the guest waits for input (console log)"
( sleep 60 | "$ctl" console echo >"$tap_tmp/first.out" 2>&1 ) &
holder=$!
wait_for 10 grep -q "connected to echo" "$tap_tmp/first.out"
run "$ctl" console echo </dev/null
tap_is "$rc" 4 "console: a second session is refused with 4"
tap_like "$err" "in use by another passthru-ctl console" "console: says why"
pkill -f "passthru-ctl console echo" 2>/dev/null
wait "$holder" 2>/dev/null
printf 'hello "ctl"\nquit\n' >"$tap_tmp/typed"
run timeout 60 "$ctl" console echo <"$tap_tmp/typed"
tap_is "$rc" 0 "console: 0 when the VM stops"
tap_like "$out" "TG echo text=\"hello 'ctl'\"" "console: the typed line reached the guest"
tap_like "$out" "TG result scenario=echo status=PASS" "console: the guest saw quit"
tap_like "$err" "echo's console closed: the VM stopped" "console: says the VM stopped"
wait_for 20 dead "$pid"
tap_ok $? "console: the VMM ended with the guest"
tap_ok "$(gone echo; echo $?)" "the VMM removed its pidfile and socket"
tap_ok "$(in_log echo.console.log "TG done status=PASS"; echo $?)" "the console log has the whole run"
run "$ctl" status echo
tap_is "$rc" 5 "status after the end: 5"

# -- stop while the guest spins with interrupts off
run "$ctl" start spin
tap_is "$rc" 0 "start spin: 0"
pid=$(pid_of spin)
wait_for 30 in_log spin.console.log "TG ready scenario=spin"
run "$ctl" stop spin
tap_is "$rc" 0 "stop: 0 for the orderly stop"
tap_is "$out" "spin stopped" "stop: says stopped"
tap_ok "$(gone spin && wait_for 5 dead "$pid"; echo $?)" "stop: the VMM ended and cleaned up"
tap_ok "$(in_log spin.log "spin: stopped (stopped): exit status 0"; echo $?)" \
	"stop: the VMM logged its end"
tap_ok "$(in_log spin.log "spin: running: 1 vCPUs, 64 MiB"; echo $?)" "start: the VMM logged its start"

# -- a VMM that does not react: SIGSTOPped; stop kills it after the timeout
run "$ctl" start spin
pid=$(pid_of spin)
kill -STOP "$pid"
t0=$(date +%s)
run "$ctl" stop --timeout 2 spin
t1=$(date +%s)
tap_is "$rc" 1 "stop of a stuck VMM: 1 (not orderly)"
tap_like "$err" "did not stop within 2 s: killing it" "stop of a stuck VMM: says why it kills"
tap_like "$out" "spin killed (pid $pid)" "stop of a stuck VMM: says it killed it"
tap_ok "$([ $((t1 - t0)) -le 20 ]; echo $?)" "stop of a stuck VMM: within the timeout, not forever ($((t1 - t0)) s)"
tap_ok "$(gone spin && wait_for 5 dead "$pid"; echo $?)" "stop of a stuck VMM: its files are removed"

# -- a crash: the VMM is killed; status tells, stop cleans up, start works again
run "$ctl" start spin
pid=$(pid_of spin)
kill -KILL "$pid"
wait_for 10 dead "$pid"
run "$ctl" status spin
tap_is "$rc" 5 "after a crash: status 5"
tap_like "$out" "its VMM (pid $pid) ended without cleaning up" "after a crash: status says so"
run "$ctl" stop spin
tap_is "$rc" 5 "after a crash: stop 5 (it did not run)"
tap_like "$err" "removed the stale pidfile" "after a crash: stop removes the pidfile"
tap_like "$err" "removed the stale control socket" "after a crash: and the socket"
run "$ctl" start spin
tap_is "$rc" 0 "after a crash: start works again"
pid=$(pid_of spin)
run "$ctl" stop --force spin
tap_is "$rc" 0 "stop --force: 0"
tap_like "$out" "spin killed (pid $pid)" "stop --force: kills at once"
tap_ok "$(gone spin && wait_for 5 dead "$pid"; echo $?)" "stop --force: nothing left"

tap_done
