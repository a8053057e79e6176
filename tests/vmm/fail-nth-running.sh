#!/bin/sh
# passthru-vmm after its guest runs, with each call it makes while serving its control
# socket failing in turn (tests/inject/fail-nth.so, armed once the guest runs, KVM_RUN
# not counted): the VMM runs the test guest (scenario=spin), then a client asks
# status, routes, devices, help, device-add without a descriptor, device-del of a
# device it does not have and a bad line, and stop. A clean run counts the calls;
# then one run per point N with the Nth failing. Every run must:
#   - end within its time by exit(), never by a signal, without its pidfile, socket
#     or a descriptor of its own left open;
#   - answer each request with a reply or hang up on it (as when the 64 KiB buffer
#     of a new client cannot be had), never hang;
#   - either stop the VM saying what failed (the error's text), or serve on: then of
#     two status requests after the whole sequence at most one fails (the one the
#     failure hit), and stop ends it with status 0.
# Allocations are walked every Sth, at most FAIL_NTH_ALLOC_RUNS (40; FAIL_NTH_ALL=1:
# each). Skips without /dev/kvm, without python3, and in an ASan build.
. "${top_srcdir:?}/tests/host/tap.sh" # @TAP_SH@
. "${top_srcdir:?}/tests/inject/fail-nth-lib.sh" # @INLINE@

vmm=${top_builddir:?}/src/vmm/passthru-vmm
ctl=$top_builddir/src/ctl/passthru-ctl
guest=$top_builddir/tests/guest/guest.elf
inject=$top_builddir/tests/inject
[ -c /dev/kvm ] || tap_skip_all "no /dev/kvm on this host"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || tap_skip_all "/dev/kvm is not usable by this user"
[ -f "$guest" ] || tap_skip_all "the test guest is not built"
[ -f "$inject/fail-nth.so" ] || tap_skip_all "$inject/fail-nth.so is not built (make check builds it)"
command -v timeout >/dev/null 2>&1 || tap_skip_all "timeout(1) guards against a hang"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 sends the raw requests"
grep -q __asan_init "$vmm" && tap_skip_all "passthru-vmm is built with ASan (--enable-sanitizers): no preloading"
unset PASSTHRU_LOG PT_FAIL_CALLS PT_FAIL_NTH PT_FAIL_ERRNO PASSTHRU_FAULT

top=$(cd "$tap_tmp" && pwd -P)
PASSTHRU_CONFIG_DIR=$top/vms
PASSTHRU_RUN_DIR=$top/run
PASSTHRU_LOG_DIR=$top/log
export PASSTHRU_CONFIG_DIR PASSTHRU_RUN_DIR PASSTHRU_LOG_DIR
mkdir -p "$PASSTHRU_CONFIG_DIR"
printf '[vm]\nname = fr\nmemory = 16M\nkernel = %s\ncmdline = scenario=spin\nconsole = none\n' \
	"$guest" >"$PASSTHRU_CONFIG_DIR/fr.conf"
max_alloc=${FAIL_NTH_ALLOC_RUNS:-40}

# The raw requests, one connection each: prints one line per request, the reply's
# "ok" or "hangup"/"no reply" (a VMM may hang up on a request it cannot serve).
cat >"$top/raw.py" <<'PY'
import socket, sys
reqs = [b'{"execute": "devices"}', b'{"execute": "help"}',
        b'{"execute": "device-add", "arguments": {"bdf": "0000:00:04.0"}}',
        b'{"execute": "device-del", "arguments": {"bdf": "0000:00:04.0"}}', b'{"execute": ']
for r in reqs:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(sys.argv[1])
        s.sendall(r + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            b = s.recv(65536)
            if not b:
                break
            data += b
        if not data:
            print("hangup")
        elif data.startswith(b'{"return"'):
            print("ok")
        else:
            print("refused")
    except (BrokenPipeError, ConnectionResetError):
        print("hangup")  # a VMM may hang up on a client it cannot serve
    except OSError as e:
        print("error " + e.__class__.__name__)
    s.close()
PY

# session N: the VMM with its Nth call after the guest runs failing (0: none), the
# client's requests, stop; sets rc (the VMM's status) and bad (what was wrong).
session() {
	rm -rf "$PASSTHRU_RUN_DIR" "$top/arm" "$top/fds" "$top/failed" "$top/count" "$top/trace"
	timeout -k 10 120 env LD_PRELOAD="$inject/fail-nth.so" PT_FAIL_NTH="$1" PT_FAIL_ARM="$top/arm" \
		PT_FAIL_SKIP_IOCTL=0xae80 PT_FAIL_COUNT="$top/count" PT_FAIL_TRACE="${2:-}" \
		PT_FAIL_LOG="$top/failed" PT_FAIL_FDS="$top/fds" "$vmm" fr \
		>"$top/out" 2>"$top/err" </dev/null &
	pid=$!
	bad= up=
	for _ in $(seq 100); do
		"$ctl" status fr >/dev/null 2>&1 && up=1 && break
		sleep 0.1
	done
	[ -n "$up" ] || bad="the VM did not come up"
	: >"$top/arm"
	{
		timeout 20 "$ctl" status fr --json >/dev/null 2>&1
		echo "status $?"
		timeout 20 "$ctl" routes fr --json >/dev/null 2>&1
		echo "routes $?"
		timeout 60 python3 "$top/raw.py" "$PASSTHRU_RUN_DIR/fr.sock"
		timeout 20 "$ctl" status fr >/dev/null 2>&1
		echo "status-after $?"
		timeout 20 "$ctl" status fr >/dev/null 2>&1
		echo "status-final $?"
		timeout 30 "$ctl" stop fr >/dev/null 2>&1
		echo "stop $?"
	} >"$top/client" 2>&1
	wait "$pid"
	rc=$?
}

session 0 "$top/trace"
tap_is "$rc:$(cat "$top/fds" 2>/dev/null):$(tr '\n' ' ' <"$top/client")" \
	"0::status 0 routes 0 ok ok refused refused refused status-after 0 status-final 0 stop 0 " \
	"a clean run: every request answered, stop ends it with 0, no descriptor left"
[ "$rc" = 0 ] || sed 's/^/#   /' "$top/err"
count=$(cat "$top/count" 2>/dev/null)
kinds=$(awk '{print $2}' "$top/trace" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
tap_ok "$([ "${count:-0}" -gt 0 ]; echo $?)" "${count:-0} calls while serving the socket ($kinds)"
cp "$top/trace" "$top/trace0"

# A second clean run counts the same calls: the walk's points mean the same each run.
session 0 "$top/trace"
tap_is "$(awk '{print $2, $3}' "$top/trace")" "$(awk '{print $2, $3}' "$top/trace0")" \
	"a second clean run makes the same calls in the same order"

: >"$top/bad"
points=$( (kernel_points "$top/trace0"; alloc_points "$top/trace0" "$max_alloc") | sort -n)
stopped=0 served=0 walked=0
for n in $points; do
	session "$n"
	walked=$((walked + 1))
	what=$(failed_point "$top/failed")
	err=$(failed_errno "$top/failed")
	client=$(tr '\n' ' ' <"$top/client")
	bad=$(ended_badly "$rc" "$top/fds" 120)
	if [ -n "$bad" ]; then
		:
	elif [ -e "$PASSTHRU_RUN_DIR/fr.sock" ] || [ -e "$PASSTHRU_RUN_DIR/fr.pid" ]; then
		bad="exit $rc, its pidfile or socket left: $(ls "$PASSTHRU_RUN_DIR")"
	elif [ -z "$what" ]; then
		bad="exit $rc, and no call failed"
	elif echo "$client" | grep -q "error\|status-after 124\|stop 124\|routes 124\|status 124"; then
		bad="a request hung or failed to connect: $client"
	elif [ "$rc" = 0 ]; then
		# Served on: the failure cost at most the request it hit.
		case $client in
		*"status-after 0 status-final 0 stop 0 "* | *"status-after 0 status-final 1 stop 0 "* | \
			*"status-after 1 status-final 0 stop 0 "*) served=$((served + 1)) ;;
		*) bad="exit 0, but the VMM did not serve on: $client" ;;
		esac
	elif ! names_error "$top/err" "$err"; then
		bad="exit $rc without naming the error ($(errno_text "$err"))"
	else
		stopped=$((stopped + 1))
	fi
	if [ -n "$bad" ]; then
		echo "point $n ($what): $bad" >>"$top/bad"
		sed 's/^/    /' "$top/err" | head -3 >>"$top/bad"
	fi
done
tap_ok "$([ ! -s "$top/bad" ]; echo $?)" \
	"$walked of the $count calls failing in turn: $served served on, $stopped stopped the VM naming the error; no hang, signal, leftover or descriptor"
[ -s "$top/bad" ] && sed 's/^/# /' "$top/bad" | head -60
tap_done
