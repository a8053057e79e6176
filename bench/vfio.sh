#!/bin/sh
# VFIO assignment (issue 10), in the testbed with QEMU's edu, every figure from one
# boot, passthru's side and QEMU's side by side (QEMU 7.2 with -accel kvm -M q35
# -device vfio-pci under the testbed's nested KVM, the same test guest, 64 MiB):
#   attach_ms and its parts: passthru-ctl attach of edu (on no driver) to a running
#     VM of the test guest (scenario spin); prepare = from the command's start to the
#     VMM receiving the group fd (edu taken to vfio-pci, its group opened), then the
#     VMM's device-add split into VFIO open, DMA map of the VM's RAM and wiring
#     (bench/vfio-stamps.so, preloaded into passthru-vmm), then the command's finish
#   dma_map_vs_raw: raw / ours, one map of 64 MiB (bench/bench-vfio-dma; >= 0.9 wanted)
#   vfio_start_vs_qemu: process start -> the guest has read edu's ID register
#     (scenario=rescan bar_read=0:0); ours/QEMU, <= 0.2 wanted
#   vfio_irq_rate_vs_qemu: edu MSI round trips per second (the guest's handler acks
#     edu and raises the next one; the host's vfio-pci counts them), both VMMs running,
#     each with an edu of its own, taking turns of half a second on the testbed's CPU;
#     ours/QEMU, >= 1 wanted; _intx: the same with INTx (KVM's count of injected
#     interrupts)
#   vfio_irq_vmm_cpu_vs_qemu: the VMM process's CPU time outside guest mode per
#     interrupt (/proc/PID/stat utime+stime-guest_time), over the same turns;
#     ours/QEMU, <= 1 wanted
#   attach_vs_qemu_hotplug: attach of edu already on vfio-pci against QMP device_add
#     vfio-pci into a running QEMU (the same starting point; <= 0.5 wanted);
#     attach_cold_vs_qemu_hotplug: with attach's prepare included;
#     device_add_vs_qemu_hotplug: the VMM's device-add alone against it
# passthru's programs and the test guest are copied to the testbed's tmpfs first, as
# installed on a host's disk: the build tree is a 9p share without a page cache in the
# guest, while QEMU and its libraries come from the testbed's cached root.
# Medians of PASSTHRU_BENCH_RUNS rounds (default 5); interrupts: sums over half as many
# pairs of VMMs, each VMM taking PASSTHRU_BENCH_IRQ_SECONDS (default 10) of turns a pair:
# the kernel splits CPU time into guest and other at its ticks (every 4 ms in Debian's
# kernels), and 30 s a side keep the CPU ratio's sampling error near 2.5 %.
# PASSTHRU_BENCH_ONLY=dma,start,attach,hotplug,irq,intx picks parts (irq and intx need
# start, the hotplug ratios attach). When the testbed
# locks up (the boot's watchdog), the parts not measured get another boot (two more at
# most, PASSTHRU_BENCH_BOOTS=3 boots in all). A figure that cannot be
# measured is "name: n/a (why)". Run from the build directory (make bench);
# TESTBED_RUN overrides the testbed script.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
runs=${PASSTHRU_BENCH_RUNS:-5}
irq_s=${PASSTHRU_BENCH_IRQ_SECONDS:-10}
names="dma_map_ours_ms dma_map_raw_ms dma_map_vs_raw
attach_ms attach_prepare_ms attach_device_add_ms attach_vfio_open_ms attach_dma_map_ms
attach_wiring_ms attach_finish_ms attach_prepared_ms
vmm_id_read_ms qemu_id_read_ms vfio_start_vs_qemu
vmm_irq_rate qemu_irq_rate vfio_irq_rate_vs_qemu
vmm_irq_rate_intx qemu_irq_rate_intx vfio_irq_rate_vs_qemu_intx
vmm_irq_cpu_us qemu_irq_cpu_us vfio_irq_vmm_cpu_vs_qemu
vmm_irq_cpu_us_intx qemu_irq_cpu_us_intx vfio_irq_vmm_cpu_vs_qemu_intx
qemu_hotplug_ms attach_vs_qemu_hotplug attach_cold_vs_qemu_hotplug device_add_vs_qemu_hotplug"

if [ "${PASSTHRU_TESTBED:-}" != 1 ]; then
	na() { for n in $names; do echo "$n: n/a ($1)"; done; exit 0; }
	for f in src/ctl/passthru-ctl src/vmm/passthru-vmm tests/guest/guest.elf \
		bench/bench-vfio-dma bench/vfio-stamps.so; do
		if [ ! -e "$PWD/$f" ]; then
			echo "vfio.sh: $PWD/$f is missing: run make bench from the build directory" >&2
			exit 1
		fi
	done
	tb=${TESTBED_RUN:-}
	for c in "$PWD/tests/testbed/testbed-run" "$srcdir/tests/testbed/testbed-run"; do
		[ -z "$tb" ] && [ -x "$c" ] && tb=$c
	done
	if [ -z "$tb" ] || ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
		echo "vfio.sh: no testbed here: VFIO assignment not measured" >&2
		na "no testbed"
	fi
	# The PASSTHRU_BENCH_ONLY part that measures figure $1.
	part() {
		case $1 in
		dma_map_*) echo dma ;;
		vmm_id_read_ms | qemu_id_read_ms | vfio_start_vs_qemu) echo start ;;
		*_intx) echo intx ;;
		vmm_irq_* | qemu_irq_* | vfio_irq_*) echo irq ;;
		qemu_hotplug_ms | *_vs_qemu_hotplug) echo hotplug ;;
		attach_*) echo attach ;;
		esac
	}
	# One testbed boot for the parts in $1, its console in $2: sets out and rc. Three to
	# five minutes with 5 rounds on a 2-core host; the watchdog allows some slack (each
	# interrupt part runs (runs + 1) / 2 pairs of two VMMs, irq_s seconds each).
	boot() {
		# shellcheck disable=SC2086 # PASSTHRU_TESTBED_ARGS: more testbed-run options, split on spaces
		out=$(flock /tmp/passthru-qemu.lock "$tb" --timeout $((150 + 40 * runs + 4 * ((runs + 1) / 2) * (${irq_s%.*} + 5))) --ro "$srcdir" \
			--rw "$PWD" --device edu --device edu --log "$2" ${PASSTHRU_TESTBED_ARGS:-} \
			--env PASSTHRU_BENCH_RUNS="$runs" --env PASSTHRU_BENCH_IRQ_SECONDS="$irq_s" \
			--env PASSTHRU_BENCH_ONLY="$1" -- sh "$srcdir/bench/vfio.sh")
		rc=$?
		if [ $rc -ne 0 ]; then
			echo "vfio.sh: the testbed run failed ($rc); its console: $2; the last steps" \
				"(bench/vfio-steps.log):" >&2
			tail -n 5 "$PWD/bench/vfio-steps.log" >&2
		fi
	}
	mkdir -p "$PWD/bench"
	boot "${PASSTHRU_BENCH_ONLY:-}" "$PWD/bench/vfio-console.log"
	all=$out
	# The testbed's nested KVM under TCG has been seen to lock the whole testbed up
	# during the interrupt rounds, QEMU's and ours (the boot's watchdog ends it: 124).
	# The parts a boot did not finish get another boot of their own, twice at most,
	# with what they need (the interrupt rounds take edu's places from the start runs;
	# hotplug's ratios take attach's); the lines of a part come from one boot.
	attempt=1
	while [ $rc -eq 124 ] && [ $attempt -lt "${PASSTHRU_BENCH_BOOTS:-3}" ]; do
		again= drop='^$'
		for n in $names; do
			printf '%s\n' "$all" | grep -q "^$n: " && continue
			p=$(part "$n")
			case " $again " in *" $p "*) ;; *) again="$again $p" ;; esac
		done
		[ -n "$again" ] || break
		only=$again
		case "$again" in *irq* | *intx*) case "$again" in *start*) ;; *) only="start $only" ;; esac ;; esac
		case "$again" in *hotplug*) case "$again" in *attach*) ;; *) only="attach $only" ;; esac ;; esac
		only=$(echo $only | tr ' ' ',')
		attempt=$((attempt + 1))
		echo "# boot $attempt: the testbed locked up before it measured all of:$again; this boot measured $only"
		boot "$only" "$PWD/bench/vfio-console-$attempt.log"
		for n in $names; do
			case " $again " in *" $(part "$n") "*) drop="$drop|^$n: " ;; esac
		done
		all=$( (printf '%s\n' "$all" | grep -Ev "$drop"; printf '%s\n' "$out" | grep -E "^#|$drop") |
			grep -v '^$')
	done
	printf '%s\n' "$all"
	# Every figure gets its line, also when the run stopped early.
	for n in $names; do
		printf '%s\n' "$all" | grep -q "^$n: " || echo "$n: n/a (the testbed run ended before it, status $rc)"
	done
	exit 0
fi

# Inside the testbed: the measurements, in Python (QMP, timestamps of serial lines).
exec python3 - "$PWD" "$runs" "$irq_s" <<'PY'
import json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time

B, RUNS, IRQ_SECONDS = sys.argv[1], max(1, int(sys.argv[2])), max(0.5, float(sys.argv[3]))
ONLY = (os.environ.get("PASSTHRU_BENCH_ONLY") or "dma,start,attach,hotplug,irq,intx").split(",")
MEM_MIB = 64
TMP = tempfile.mkdtemp(prefix="bench-vfio.")


def installed(path):
    """path copied to the testbed's tmpfs, as a host has its programs on a local disk:
    the build tree is a 9p share the guest does not cache, so every exec from it reads
    the program's pages over virtio again, while QEMU, its firmware and the libraries
    come from the testbed's page-cached root."""
    os.makedirs(os.path.join(TMP, "bin"), exist_ok=True)
    return shutil.copy2(path, os.path.join(TMP, "bin"))


VMM, CTL = installed(B + "/src/vmm/passthru-vmm"), installed(B + "/src/ctl/passthru-ctl")
GUEST, DMA = installed(B + "/tests/guest/guest.elf"), installed(B + "/bench/bench-vfio-dma")
STAMPS_LIB = installed(B + "/bench/vfio-stamps.so")
HZ = os.sysconf("SC_CLK_TCK")
ID_READ = re.compile(r'^TG result scenario=rescan status=PASS detail="found 00:([0-9a-f]{2})\.0 '
                     r'bar0=(0x[0-9a-f]+) read 0x10000ed"$')
for k, v in (("PASSTHRU_CONFIG_DIR", "vms"), ("PASSTHRU_RUN_DIR", "run"), ("PASSTHRU_LOG_DIR", "log")):
    os.environ[k] = os.path.join(TMP, v)
    os.makedirs(os.environ[k])
os.environ.pop("PASSTHRU_LOG", None)


STEPS = open(B + "/bench/vfio-steps.log", "w", buffering=1)
T_START = time.monotonic()


def step(text):
    """What runs now, in a file of the build tree: where a hung run stopped."""
    STEPS.write("%7.1f s %s\n" % (time.monotonic() - T_START, text))


def say(name, value):
    print("%s: %s" % (name, value), flush=True)


def note(text):
    print("# " + text, flush=True)


def med(xs):
    return statistics.median(xs)


def ratio(a, b):
    return "%.3f" % (a / b) if b else "n/a (QEMU's figure is 0)"


def qemu_argv(append, *extra):
    return ["qemu-system-x86_64", "-accel", "kvm", "-M", "q35", "-cpu", "host", "-m", str(MEM_MIB),
            "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
            "-kernel", GUEST, "-append", append,
            "-device", "isa-debug-exit,iobase=0x501,iosize=2"] + list(extra)


def vmm_argv(append, bdf=None):
    return [VMM, "--kernel", GUEST, "--append", append, "--memory", "%dM" % MEM_MIB,
            "--device", bdf or EDU]


def cpu_outside_guest(pid):
    """Seconds the process spent outside guest mode: utime + stime - guest_time."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    utime, stime, guest = int(fields[11]), int(fields[12]), int(fields[40])
    return (utime + stime - guest) / HZ


class Child:
    """A VMM with the guest's serial on its stdout: each line with its arrival time,
    and the process's CPU time outside the guest at TG ready and TG result lines."""

    def __init__(self, argv, name, env=None):
        step("start %s: %s" % (name, " ".join(argv)))
        self.name = name
        self.err = open(os.path.join(TMP, name + ".err"), "w")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=self.err, env=dict(os.environ, **(env or {})))
        self.lines, self.eof = [], False
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.p.stdout:
            t = time.monotonic()
            line = raw.decode("ascii", "replace").rstrip("\r\n")
            cpu = cpu_outside_guest(self.p.pid) if line.startswith(("TG ready", "TG result")) else None
            with self.cv:
                self.lines.append((t, line, cpu))
                self.cv.notify_all()
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def wait(self, regex, timeout):
        """(time, match, cpu) of the first line matching regex, or raise."""
        rx, deadline, i = re.compile(regex), time.monotonic() + timeout, 0
        with self.cv:
            while True:
                for t, line, cpu in self.lines[i:]:
                    m = rx.search(line)
                    if m:
                        return t, m, cpu
                i = len(self.lines)
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    raise RuntimeError("no line like %r within %d s (%s)" % (regex, timeout,
                                       "it exited" if self.eof else "timeout"))
                self.cv.wait(left)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        try:
            self.p.wait(30)
        except subprocess.TimeoutExpired:
            raise RuntimeError("%s (pid %d) does not die" % (self.name, self.p.pid))
        step("%s ended (%d)" % (self.name, self.p.returncode))
        self.err.close()

    def finish(self, timeout=30, terminate=False):
        """Waits for the end (after SIGTERM if asked), then kills what is left."""
        if terminate and self.p.poll() is None:
            self.p.terminate()
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.stop()


def ctl(*args, check=True):
    step("passthru-ctl " + " ".join(args))
    r = subprocess.run([CTL] + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if check and r.returncode:
        raise RuntimeError("passthru-ctl %s: status %d: %s" % (" ".join(args), r.returncode,
                                                             (r.stderr or r.stdout).strip()))
    return r


def find_edus():
    found = []
    for d in sorted(os.listdir("/sys/bus/pci/devices")):
        p = "/sys/bus/pci/devices/" + d
        with open(p + "/vendor") as v, open(p + "/device") as i:
            if (v.read().strip(), i.read().strip()) == ("0x1234", "0x11e8"):
                found.append(d)
    return found


def section(names, fn):
    """Runs one measurement; on failure its figures are n/a with the reason."""
    try:
        step("part: " + names[0])
        fn()
    except Exception as e:  # noqa: BLE001 - every failure becomes its lines' reason
        why = str(e).replace("\n", " ")[:200]
        note("failed: " + why)
        for n in names:
            say(n, "n/a (%s)" % why)


# -- dma_map_vs_raw: the C helper, edu on vfio-pci and in no VM
def bench_dma():
    r = subprocess.run([DMA, EDU, str(MEM_MIB), str(max(4 * RUNS, 8))], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("bench-vfio-dma: " + r.stderr.strip())
    sys.stdout.write(r.stdout)
    sys.stdout.flush()


# -- vfio_start_vs_qemu, and where each VMM put edu (slot, BAR0, INTx line)
PLACES, HELLO = {}, {"vmm": [], "qemu": []}


def start_once(kind):
    append = "scenario=rescan find=0x1234:0x11e8 bar_read=0:0 wait_ms=20000"
    if kind == "vmm":  # with vfio-stamps.so for the time of its pin, the log for the whole map
        c = Child(vmm_argv(append), "start-vmm", {"LD_PRELOAD": STAMPS_LIB, "PASSTHRU_BENCH_STAMPS":
                                                   os.path.join(TMP, "start-stamps"),
                                                   "PASSTHRU_LOG": "info"})
    else:
        c = Child(qemu_argv(append, "-device", "vfio-pci,host=" + EDU), "start-qemu")
    try:
        t, m, _ = c.wait(ID_READ.pattern, 60)
        HELLO[kind].append((c.wait(r"^TG hello ", 1)[0] - c.t0) * 1000)
        slot, bar = m.group(1), m.group(2)
        _, pci, _ = c.wait(r"^TG pci bdf=00:%s\.0 .* irq_line=(\d+) irq_pin=1 " % slot, 5)
        PLACES[kind] = {"dev": int(slot, 16), "bar": int(bar, 16), "irq": int(pci.group(1))}
        return (t - c.t0) * 1000
    finally:
        c.finish()


def hello_without_device():
    c = Child([VMM, "--kernel", GUEST, "--append", "scenario=poweroff", "--memory", "%dM" % MEM_MIB],
              "start-nodev")
    try:
        return (c.wait(r"^TG hello ", 60)[0] - c.t0) * 1000
    finally:
        c.finish()


def bench_start():
    ours, theirs, nodev = [], [], []
    for i in range(RUNS):
        for kind in (("vmm", "qemu") if i % 2 == 0 else ("qemu", "vmm")):
            (ours if kind == "vmm" else theirs).append(start_once(kind))
        nodev.append(hello_without_device())
    say("vmm_id_read_ms", "%.0f" % med(ours))
    say("qemu_id_read_ms", "%.0f" % med(theirs))
    say("vfio_start_vs_qemu", ratio(med(ours), med(theirs)))
    note("vfio_start_vs_qemu: medians of %d starts each, process start to the guest's "
         "TG result line with edu's ID register (0x010000ed) read through BAR0" % RUNS)
    with open(os.path.join(TMP, "start-stamps")) as f:
        maps = [int(l.split()[1][3:]) / 1000 for l in f if l.startswith("map us=")]
    with open(os.path.join(TMP, "start-vmm.err")) as f:
        whole = [float(m) for m in re.findall(r"guest RAM mapped for DMA in ([0-9.]+) ms", f.read())]
    note("to the guest's first line (TG hello): ours %.0f ms (%.0f ms without a device), QEMU "
         "%.0f ms (its firmware included); in its last start passthru-vmm mapped the 64 MiB of "
         "untouched RAM for DMA beside the running guest in %s ms (faulting it in at low "
         "priority, then the pin: %.0f ms in the median); the test guest turns on edu's decoding only (reading a register needs no "
         "bus mastering), so it does not wait for the map"
         % (med(HELLO["vmm"]), med(nodev), med(HELLO["qemu"]),
            "%.0f" % med(whole) if whole else "?", med(maps)))
    for k, p in sorted(PLACES.items()):
        note("%s: edu at guest 00:%02x.0, BAR0 %#x, INTx on IRQ %d" % (k, p["dev"], p["bar"], p["irq"]))


# -- interrupt round trips: the guest's handler acks edu and raises the next interrupt at
# once, so the guest's own loop gets no time to count or to stop.
# Both VMMs run at once, each with an edu of its own (the bench's testbed has two), and
# take turns on the testbed's CPU: one is stopped (SIGSTOP) while the other runs alone for
# IRQ_TURN seconds, its interrupts and its process's CPU counted over its turns only.
# Turns this short put both under the same load from the host (shared and noisy), which
# sequential windows of seconds did not; each pair of VMMs swaps edus with the next.
# MSI: each round trip is a new MSI from edu, which the host's vfio-pci counts in
# /proc/interrupts. INTx: VFIO re-signals a line still asserted at the guest's EOI
# (resample) without a new host interrupt, so KVM's count of interrupts injected into the
# VM (debugfs irq_injections; edu's are the only ones the test guest unmasks) counts them.
IRQ_TURN = 0.5
TURN_SETTLE = 0.05  # after SIGCONT, before counting: the VMM is back in its guest


def quiesce_edu(bdf):
    """Clears edu's interrupt status, which every irq run leaves raised: a line already
    asserted when the guest unmasks its pin would start the INTx storm before the pokes."""
    ack = PLACES["vmm"]["bar"] + 0x64
    c = Child(vmm_argv("scenario=bad-mmio addr=%#x access=write size=4 value=0xffffffff" % ack, bdf),
              "quiesce")
    try:
        c.wait(r'^TG result scenario=bad-mmio status=PASS detail="written"', 30)
    finally:
        c.finish(30)


def host_msis(bdf):
    n = 0
    with open("/proc/interrupts") as f:
        for line in f:
            if "vfio-msi" in line and "(%s)" % bdf in line:
                n += sum(int(x) for x in line.split()[1:1 + os.cpu_count()] if x.isdigit())
    return n


def kvm_injections(pid):
    kvm = "/sys/kernel/debug/kvm"
    if not os.path.isdir(kvm):
        subprocess.run(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"], check=False)
    vms = [d for d in os.listdir(kvm) if d.startswith("%d-" % pid)]
    if len(vms) != 1:
        raise RuntimeError("pid %d has %d VMs in %s" % (pid, len(vms), kvm))
    with open(os.path.join(kvm, vms[0], "irq_injections")) as f:
        return int(f.read())


def irq_child(kind, mode, bdf, name):
    p = PLACES[kind]
    raise_reg, ack_reg = p["bar"] + 0x60, p["bar"] + 0x64
    vec = 0x45 if mode == "msi" else 0x51
    source = ("msi=%d:%#x" % (p["dev"], vec) if mode == "msi" else
              "ioapic_pin=%d:%#x:level" % (p["irq"], vec))
    # The first poke clears what an earlier run left raised in edu.
    append = ("scenario=irq-wait %s poke=%#x:0xffffffff,%#x:1 irq_ack=%#x:%#x:1,%#x:%#x:1 "
              "print=summary wait_ms=600000" % (source, ack_reg, raise_reg, vec, ack_reg, vec,
                                                raise_reg))
    if kind == "vmm":
        return Child(vmm_argv(append, bdf), name)
    return Child(qemu_argv(append, "-device", "vfio-pci,host=" + bdf), name)


def irq_pair(mode, i, edus):
    """One pair of VMMs taking turns: {kind: [interrupts, CPU seconds outside guest, seconds]}."""
    bdf = {"vmm": edus[i % 2], "qemu": edus[1 - i % 2]}
    if mode == "intx":
        for e in edus:
            quiesce_edu(e)
    kids = {k: irq_child(k, mode, bdf[k], "irq-%s-%s%d" % (k, mode, i)) for k in ("vmm", "qemu")}
    got = {k: [0, 0.0, 0.0] for k in kids}

    def count(kind):
        return host_msis(bdf[kind]) if mode == "msi" else kvm_injections(kids[kind].p.pid)

    try:
        for c in kids.values():
            c.wait(r"^TG ready scenario=irq-wait", 60)
        for turn in range(2 * max(1, round(IRQ_SECONDS / IRQ_TURN))):
            kind = ("vmm", "qemu")[(turn + i) % 2]
            other = "qemu" if kind == "vmm" else "vmm"
            kids[other].p.send_signal(signal.SIGSTOP)
            kids[kind].p.send_signal(signal.SIGCONT)
            time.sleep(TURN_SETTLE)
            pid = kids[kind].p.pid
            n0, cpu0, t0 = count(kind), cpu_outside_guest(pid), time.monotonic()
            time.sleep(IRQ_TURN)
            n1, cpu1, t1 = count(kind), cpu_outside_guest(pid), time.monotonic()
            if kids[kind].p.poll() is not None or None in (cpu0, cpu1):
                raise RuntimeError("%s ended during its %s turns" % (kind, mode))
            for j, v in enumerate((n1 - n0, cpu1 - cpu0, t1 - t0)):
                got[kind][j] += v
        for k, (n, _, t) in got.items():
            if n < 10:
                raise RuntimeError("%s %s: %d interrupts in %.1f s of turns" % (k, mode, n, t))
        return got
    finally:
        for c in kids.values():
            if c.p.poll() is None:
                c.p.send_signal(signal.SIGCONT)
        for c in kids.values():
            c.finish(10, terminate=True)


def bench_irq(mode):
    sfx = "" if mode == "msi" else "_intx"
    edus = find_edus()
    if len(edus) < 2:
        raise RuntimeError("one edu in this testbed: the interrupt turns need two (--device edu twice)")
    ctl("prepare", edus[1])
    try:
        pairs = [irq_pair(mode, i, edus[:2]) for i in range(max(1, (RUNS + 1) // 2))]
    finally:
        ctl("release", edus[1], check=False)
    tot = {k: [sum(p[k][j] for p in pairs) for j in range(3)] for k in ("vmm", "qemu")}
    rate = {k: n / t for k, (n, _, t) in tot.items()}
    cpu = {k: c / n * 1e6 for k, (n, c, _) in tot.items()}
    say("vmm_irq_rate" + sfx, "%.0f" % rate["vmm"])
    say("qemu_irq_rate" + sfx, "%.0f" % rate["qemu"])
    say("vfio_irq_rate_vs_qemu" + sfx, ratio(rate["vmm"], rate["qemu"]))
    say("vmm_irq_cpu_us" + sfx, "%.1f" % cpu["vmm"])
    say("qemu_irq_cpu_us" + sfx, "%.1f" % cpu["qemu"])
    say("vfio_irq_vmm_cpu_vs_qemu" + sfx, ratio(cpu["vmm"], cpu["qemu"]))
    rates = " ".join(ratio(p["vmm"][0] / p["vmm"][2], p["qemu"][0] / p["qemu"][2]) for p in pairs)
    cpus = " ".join(ratio(p["vmm"][1] / p["vmm"][0], p["qemu"][1] / p["qemu"][0]) for p in pairs)
    note("%s: %d pairs of VMMs, each VMM alone in turns of %.1f s while the other is stopped, "
         "%.1f s of turns each (%s); figures from the sums; per pair, rate ours/QEMU %s, CPU "
         "ours/QEMU %s; CPU in microseconds per interrupt: the whole VMM process, guest time "
         "excluded (the kernel's split at its ticks, read in units of %d ms)"
         % ("MSI" if mode == "msi" else "INTx", len(pairs), IRQ_TURN, tot["vmm"][2],
            "edu's MSIs counted by the host" if mode == "msi" else
            "interrupts KVM injected, counted in debugfs", rates, cpus, 1000 // HZ))


# -- attach to a running VM of passthru, then QMP device_add into a running QEMU
ATTACH = {}


def wait_file(path, regex, timeout):
    rx, deadline = re.compile(regex, re.M), time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                if rx.search(f.read()):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("nothing like %r in %s within %d s" % (regex, path, timeout))


def stamps_since(path, seen):
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("device-add ")]
    except OSError:
        lines = []
    if len(lines) != seen + 1:
        raise RuntimeError("the VMM recorded %d device-adds, %d expected" % (len(lines), seen + 1))
    return dict(kv.split("=") for kv in lines[-1].split()[1:])


def bench_attach():
    stamps = os.path.join(TMP, "stamps")
    wrapper = os.path.join(TMP, "passthru-vmm")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nLD_PRELOAD='%s' PASSTHRU_BENCH_STAMPS='%s' "
                "ASAN_OPTIONS=verify_asan_link_order=0 exec '%s' \"$@\"\n" % (STAMPS_LIB, stamps, VMM))
    os.chmod(wrapper, 0o755)
    os.environ["PASSTHRU_VMM"] = wrapper
    console = os.path.join(TMP, "vm1.console")
    with open(os.path.join(os.environ["PASSTHRU_CONFIG_DIR"], "vm1.conf"), "w") as f:
        f.write("# bench/vfio.sh: the test guest, spinning\n[vm]\nname = vm1\nmemory = %dM\n"
                "kernel = %s\ncmdline = scenario=spin\nconsole = file:%s\n" % (MEM_MIB, GUEST, console))
    ctl("release", EDU, check=False)  # cold rounds start from no driver
    ctl("start", "vm1")
    try:
        wait_file(console, r"^TG ready scenario=spin", 60)
        # A first attach populates the VM's RAM, which the test guest barely touches (a
        # running OS has touched most of its own): pinning then faults every page in.
        t0 = time.time_ns()
        ctl("attach", EDU, "vm1")
        first = ((time.time_ns() - t0) / 1e6, stamps_since(stamps, 0))
        ctl("detach", EDU, "vm1")
        cold, warm, seen = [], [], 1
        base = {"--version": [], "status": []}
        for _ in range(RUNS):
            for k, args in (("--version", ["--version"]), ("status", ["status", "vm1"])):
                t0 = time.monotonic()
                ctl(*args)
                base[k].append((time.monotonic() - t0) * 1000)
        for i in range(RUNS):
            for prepared in ((False, True) if i % 2 == 0 else (True, False)):
                if prepared:
                    ctl("prepare", EDU)
                t0 = time.time_ns()
                ctl("attach", EDU, "vm1")
                t1 = time.time_ns()
                s = stamps_since(stamps, seen)
                seen += 1
                ctl("detach", EDU, "vm1")
                req, reply = int(s["req_ns"]), int(s["reply_ns"])
                row = {"total": (t1 - t0) / 1e6, "prepare": (req - t0) / 1e6,
                       "device_add": (reply - req) / 1e6, "open": int(s["open_us"]) / 1e3,
                       "map": int(s["map_us"]) / 1e3, "wiring": int(s["wiring_us"]) / 1e3,
                       "finish": (t1 - reply) / 1e6}
                (warm if prepared else cold).append(row)
    finally:
        ctl("stop", "vm1", check=False)
        os.environ.pop("PASSTHRU_VMM")
    col = lambda rows, k: med([r[k] for r in rows])
    say("attach_ms", "%.0f" % col(cold, "total"))
    for k in ("prepare", "device_add"):
        say("attach_%s_ms" % k, "%.0f" % col(cold, k))
    say("attach_vfio_open_ms", "%.1f" % col(cold, "open"))
    say("attach_dma_map_ms", "%.1f" % col(cold, "map"))
    say("attach_wiring_ms", "%.1f" % col(cold, "wiring"))
    say("attach_finish_ms", "%.0f" % col(cold, "finish"))
    say("attach_prepared_ms", "%.0f" % col(warm, "total"))
    note("attach: medians of %d rounds (edu on no driver before each), so the parts need not "
         "add up to the total; prepare = passthru-ctl's start to the VMM's receipt of the group fd; "
         "device_add = vfio_open + dma_map (%d MiB) + wiring, timed inside passthru-vmm; finish = "
         "the reply to the command's exit. attach_prepared_ms: edu already prepared "
         "(passthru-ctl prepare), %d rounds; device-add there %.0f ms"
         % (RUNS, MEM_MIB, RUNS, col(warm, "device_add")))
    note("for scale, passthru-ctl --version takes %.0f ms here, status vm1 %.0f ms"
         % (med(base["--version"]), med(base["status"])))
    note("attach: the first attach, which populated the VM's RAM, took %.0f ms, its DMA map "
         "%.0f ms" % (first[0], int(first[1]["map_us"]) / 1e3))
    ATTACH["cold"], ATTACH["warm"] = col(cold, "total"), col(warm, "total")
    ATTACH["device_add"] = col(warm + cold, "device_add")


class Qmp:
    def __init__(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise RuntimeError("no QMP socket at " + path)
                time.sleep(0.05)
        self.f = self.s.makefile("rwb", buffering=0)
        self.read()  # the greeting
        self.cmd("qmp_capabilities")

    def read(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("QEMU closed its QMP socket")
        return json.loads(line)

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        while True:
            m = self.read()
            if "error" in m:
                raise RuntimeError("QMP %s: %s" % (name, m["error"].get("desc")))
            elif "return" in m:
                return m["return"]


def hotplug_once(i):
    """One QEMU with the test guest spinning and an empty root port: the time of QMP
    device_add of edu there. The test guest handles no hot unplug (device_del waits for
    the guest in vain), so every round has its own QEMU."""
    sock = os.path.join(TMP, "qmp%d.sock" % i)
    c = Child(qemu_argv("scenario=spin", "-device", "pcie-root-port,id=rp1,slot=1,chassis=1",
                        "-qmp", "unix:%s,server=on,wait=off" % sock), "hotplug%d" % i)
    try:
        c.wait(r"^TG ready scenario=spin", 60)
        q = Qmp(sock)
        t0 = time.monotonic()
        q.cmd("device_add", driver="vfio-pci", host=EDU, id="hp0", bus="rp1")
        return (time.monotonic() - t0) * 1000
    finally:
        c.finish(10, terminate=True)


def bench_qemu_hotplug():
    ctl("prepare", EDU, check=False)  # QEMU takes a device already on vfio-pci
    times = [hotplug_once(i) for i in range(RUNS)]
    say("qemu_hotplug_ms", "%.0f" % med(times))
    note("qemu_hotplug_ms: median of %d QMP device_add round trips into a running QEMU (over an "
         "open QMP connection: no process start, unlike passthru-ctl); device_add_vs_qemu_hotplug: "
         "the VMM's own device-add (request received to reply sent, all attach rounds) against "
         "it" % len(times))
    for name, k in (("attach_vs_qemu_hotplug", "warm"), ("attach_cold_vs_qemu_hotplug", "cold"),
                    ("device_add_vs_qemu_hotplug", "device_add")):
        say(name, ratio(ATTACH[k], med(times)) if ATTACH else "n/a (no attach figure in this run)")


EDU = (find_edus() or [None])[0]
if not EDU:
    print("vfio.sh: no edu device (1234:11e8) in this testbed", file=sys.stderr)
    sys.exit(1)
note("edu is %s; %d rounds; testbed kernel %s, %d CPU(s); passthru's programs and the test "
     "guest run from copies on the testbed's tmpfs, QEMU from its page-cached root"
     % (EDU, RUNS, os.uname().release, os.cpu_count()))
IRQ_NAMES = ("vmm_irq_rate", "qemu_irq_rate", "vfio_irq_rate_vs_qemu", "vmm_irq_cpu_us",
             "qemu_irq_cpu_us", "vfio_irq_vmm_cpu_vs_qemu")
PARTS = [
    ("dma", ["dma_map_ours_ms", "dma_map_raw_ms", "dma_map_vs_raw"], bench_dma),
    ("start", ["vmm_id_read_ms", "qemu_id_read_ms", "vfio_start_vs_qemu"], bench_start),
    ("attach", ["attach_ms", "attach_prepare_ms", "attach_device_add_ms", "attach_vfio_open_ms",
                "attach_dma_map_ms", "attach_wiring_ms", "attach_finish_ms", "attach_prepared_ms"],
     bench_attach),
    ("hotplug", ["qemu_hotplug_ms", "attach_vs_qemu_hotplug", "attach_cold_vs_qemu_hotplug",
                 "device_add_vs_qemu_hotplug"],
     bench_qemu_hotplug),
    # Last: the testbed has locked up in these (see the host side above).
    ("irq", list(IRQ_NAMES), lambda: bench_irq("msi")),
    ("intx", [n + "_intx" for n in IRQ_NAMES], lambda: bench_irq("intx")),
]
ctl("prepare", EDU)
for key, names, fn in PARTS:
    if key not in ONLY:
        for n in names:
            say(n, "n/a (not in PASSTHRU_BENCH_ONLY)")
    elif key in ("irq", "intx") and len(PLACES) < 2:
        for n in names:
            say(n, "n/a (the start runs did not place edu in both VMMs)")
    else:
        section(names, fn)
ctl("release", EDU, check=False)
PY
