#!/bin/sh
# passthru-vmm under valgrind's memcheck, booting the test guest on /dev/kvm: the
# scenarios that walk the VMM's main paths (loader and firmware tables, PCI config,
# application processors, IPIs, IOAPIC programming, console input, each way a guest
# ends, the split irqchip, refusals before and after the VM exists) and a session on
# the control socket (passthru-ctl status, routes and stop; raw requests, bad ones,
# a descriptor sent to a verb that takes none, clients left idle or mid-line at the
# stop). Each run must end with its usual status, no memcheck error, no definite or
# indirect leak and no descriptor of its own left open. A canary with one of each
# defect runs first, to prove the checks see them. Skips without valgrind or KVM.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
guest=$top_builddir/tests/guest/guest.elf
canary=$top_builddir/tests/vmm/valgrind-canary
command -v valgrind >/dev/null 2>&1 || tap_skip_all "valgrind is not installed (Debian: valgrind)"
command -v timeout >/dev/null 2>&1 || tap_skip_all "timeout(1) guards against a hang"
[ -c /dev/kvm ] || tap_skip_all "no /dev/kvm on this host"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || tap_skip_all "/dev/kvm is not usable by this user"
[ -f "$guest" ] && [ -x "$canary" ] || tap_skip_all "the test guest or the canary is not built"
# memcheck cannot run a program built with AddressSanitizer (--enable-sanitizers).
grep -q __asan_init "$vmm" && tap_skip_all "passthru-vmm is built with ASan, which valgrind cannot run"
unset PASSTHRU_LOG

# No status passthru-vmm has (passthru-vmm(8): 0-5, 10-13, 64-127) means "valgrind
# found an error", so a run that should end with 13 cannot pass with a memcheck error.
VG_ERR=42
vg_opts="--leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=$VG_ERR
	--track-fds=yes --num-callers=24"

# vg_start NAME CMD...: runs CMD under memcheck in the background (pid in vg_pid),
# stdin from $tap_tmp/NAME.in if it exists; stdout, stderr and the valgrind log in
# $tap_tmp/NAME.{out,err,vg}.
vg_start() {
	name=$1
	shift
	in=/dev/null
	[ -e "$tap_tmp/$name.in" ] && in=$tap_tmp/$name.in
	# shellcheck disable=SC2086
	timeout 150 valgrind $vg_opts --log-file="$tap_tmp/$name.vg" "$@" \
		<"$in" >"$tap_tmp/$name.out" 2>"$tap_tmp/$name.err" &
	vg_pid=$!
}

# vg_finish NAME STATUS WHAT: waits for the run, then its three checks.
vg_finish() {
	wait "$vg_pid"
	vg_check "$1" "$2" $? "$3"
}

# vg_run NAME STATUS WHAT CMD...: a run in the foreground.
vg_run() {
	name=$1 want=$2 what=$3
	shift 3
	vg_start "$name" "$@"
	vg_finish "$name" "$want" "$what"
}

# vg_check NAME WANT GOT WHAT
vg_check() {
	log=$tap_tmp/$1.vg
	errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
	opened=$(grep -cE '^==[0-9]+== Open (file descriptor|AF_)' "$log")
	inherited=$(grep -c '<inherited from parent>' "$log")
	tap_is "$3" "$2" "$1 ($4): exit status $2"
	[ "$3" = "$2" ] || sed -n '1,15s/^/#   stderr: /p' "$tap_tmp/$1.err"
	tap_is "${errors:-none}" 0 "$1: no memcheck error, no definite or indirect leak"
	[ "${errors:-none}" = 0 ] || grep -v -e '^==[0-9]*== *$' -e 'Copyright\|Using Valgrind\|Memcheck,' \
		"$log" | sed -n '1,60s/^/#   /p'
	tap_is "$((opened - inherited))" 0 "$1: no descriptor of its own open at exit"
}

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds; its status
wait_for() {
	t=$(($1 * 10))
	shift
	while [ "$t" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
ready() { grep -q "^TG ready" "$tap_tmp/$1.out" 2>/dev/null; }

# -- the canary: the options and checks above must catch each kind of defect
vg_start canary "$canary"
wait "$vg_pid"
rc=$?
tap_is "$rc" "$VG_ERR" "canary: memcheck errors give status $VG_ERR"
tap_ok "$(grep -q 'definitely lost in loss record' "$tap_tmp/canary.vg" &&
	grep -q 'uninitialised' "$tap_tmp/canary.vg"; echo $?)" \
	"canary: the lost block and the uninitialised read are reported"
tap_is "$(($(grep -cE '^==[0-9]+== Open file descriptor' "$tap_tmp/canary.vg") -
	$(grep -c '<inherited from parent>' "$tap_tmp/canary.vg")))" 1 \
	"canary: the descriptor it left open is seen"
[ "$tap_failed" -eq 0 ] || { tap_diag "these checks cannot be trusted here: stopping"; tap_done; }

# -- guest scenarios, one VMM each (the guest's PASS is status 0, port 0x501 N is 64+N)
boot() { # NAME STATUS WHAT CMDLINE [VMM OPTIONS...]
	name=$1 want=$2 what=$3 cmdline=$4
	shift 4
	vg_run "$name" "$want" "$what" "$vmm" --kernel "$guest" --memory 64M --append "$cmdline" "$@"
}
boot info 0 "Multiboot, tables, PCI, an AP" "scenario=info" --vcpus 2
boot ipi 0 "LAPIC IPIs on 2 vCPUs" "scenario=selftest-ipi ipi_vectors=0x40,0xfe" --vcpus 2
boot ioapic 0 "IOAPIC pins programmed" \
	"scenario=irq-wait ioapic_pin=10:0x50:level,4:0x51:edge:1 wait_ms=200" --vcpus 2
boot poweroff 71 "port 0x501" "scenario=poweroff code=7"
boot reset 10 "reset by port 0x64" "scenario=reset"
boot triple 11 "triple fault" "scenario=triple-fault"
boot mmio 13 "write where nothing is mapped" "scenario=bad-mmio addr=0xd0000000 access=write"
boot emul 13 "an instruction KVM cannot emulate" "scenario=int3"
boot split 13 "split irqchip; the guest's PIC write stops it" "scenario=info" --irqchip split
boot pty 0 "console on a pty, copied to a log" "scenario=info" \
	--console pty --console-log "$tap_tmp/pty.log"

# Console input, typed once the guest listens (bytes before that are lost as on a UART).
mkfifo "$tap_tmp/echo.in"
vg_start echo "$vmm" --kernel "$guest" --memory 64M --append "scenario=echo wait_ms=60000"
{
	wait_for 60 ready echo
	printf 'hello\nquit\n'
} >"$tap_tmp/echo.in"
vg_finish echo 0 "serial input from stdin"
tap_like "$(cat "$tap_tmp/echo.out")" 'TG echo text="hello"' "echo: the typed line reached the guest"

# A signal while the vCPU sits halted.
vg_start halt "$vmm" --kernel "$guest" --memory 64M --append "scenario=halt" --vcpus 2
wait_for 60 ready halt
kill -TERM "$vg_pid"
vg_finish halt 0 "SIGTERM with the vCPU halted"

# Refusals, before and after the VM exists.
vg_run nokernel 2 "no such kernel" "$vmm" --kernel "$tap_tmp/none.elf" --memory 64M
# 4 MiB of RAM: within the usual RLIMIT_MEMLOCK, so the refusal is the device's.
vg_run nodevice 5 "no such PCI function" "$vmm" --kernel "$guest" --memory 4M --device 0000:3f:1f.7
if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null)" = 0 ]; then
	boot hugepages 1 "--hugepages with an empty pool" "scenario=info" --hugepages
else
	tap_ok 0 "# SKIP hugepages: this host has free 2 MiB pages, so the refusal is not reached"
fi

# -- a control-socket session with a VM from a definition (pidfile and socket)
PASSTHRU_CONFIG_DIR=$tap_tmp/vms PASSTHRU_RUN_DIR=$tap_tmp/run
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR
mkdir -p "$PASSTHRU_CONFIG_DIR"
printf '[vm]\nname = vg\nmemory = 64M\nvcpus = 2\nkernel = %s\ncmdline = scenario=spin\nconsole = none\n' \
	"$guest" >"$PASSTHRU_CONFIG_DIR/vg.conf"
vg_start session "$vmm" vg
session_pid=$vg_pid
answers() { "$ctl" status vg >/dev/null 2>&1; }
wait_for 60 answers
tap_ok $? "session: the VMM under valgrind answers passthru-ctl status"
out=$("$ctl" routes vg 2>&1)
tap_like "$out" "vg: irqchip kernel, 40 of " "session: passthru-ctl routes"
out=$("$ctl" routes --json vg 2>&1)
tap_like "$out" '"entries": 40' "session: passthru-ctl routes --json"

# Raw requests; then one client left idle and one mid-line while the VM is stopped.
raw_ok=
if command -v python3 >/dev/null 2>&1; then
	cat >"$tap_tmp/raw.py" <<'EOF'
import array, json, os, socket, sys
path, ready = sys.argv[1], sys.argv[2]
def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    return s
s = connect()
r = s.makefile("rb")
def ask(line, fd=None):
    if fd is None:
        s.sendall(line + b"\n")
    else:
        s.sendmsg([line + b"\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    reply = json.loads(r.readline())
    return reply["error"]["class"] if "error" in reply else "return"
null = os.open("/dev/null", os.O_RDONLY)
print(" ".join([
    ask(b'{"execute": "help"}'), ask(b'{"execute": "status", "id": [1]}'),
    ask(b'{"execute": "devices"}'), ask(b"not json"), ask(b'"\\\xd0\x87'),
    ask(b'{"execute": "nope"}'), ask(b'{"execute": "device-del", "arguments": {"bdf": "0000:03:00.0"}}'),
    ask(b'{"execute": "device-add", "arguments": {"bdf": "0000:03:00.0"}}', null),
    ask(b'{"execute": "status"}', null)]), flush=True)
idle = connect()
cut = connect()
cut.sendall(b'{"execute": "sta')
open(ready, "w").close()
for c in (s, idle, cut):
    while c.recv(4096):
        pass
EOF
	python3 "$tap_tmp/raw.py" "$PASSTHRU_RUN_DIR/vg.sock" "$tap_tmp/raw.ready" \
		>"$tap_tmp/raw.out" 2>&1 &
	raw_pid=$!
	wait_for 60 test -e "$tap_tmp/raw.ready"
	tap_is "$(cat "$tap_tmp/raw.out")" \
		"return return return ParseError ParseError CommandNotFound InvalidArgument Failed InvalidArgument" \
		"session: one reply per raw request, the bad ones refused"
	raw_ok=1
else
	tap_ok 0 "# SKIP raw requests: python3 is not installed"
fi
out=$("$ctl" stop vg 2>&1)
tap_is "$out" "vg stopped" "session: passthru-ctl stop"
vg_pid=$session_pid
vg_finish session 0 "status, routes, raw requests, stop"
if [ -n "$raw_ok" ]; then
	wait "$raw_pid"
	tap_is $? 0 "session: the clients left open were hung up on at the stop"
fi

tap_done
