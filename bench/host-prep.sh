#!/bin/sh
# Host preparation (issue 9): prepare_ms and release_ms of passthru-ctl for QEMU's
# edu (no host driver) and e1000e (taken from e1000e, given back), measured in
# one testbed boot, each the median of RUNS (default 5) round trips, with the
# share spent waiting for the kernel (unbind, override, probe, bind, /dev/vfio:
# the "kernel_ms" of --json) and the rest, the tool itself (process start
# included). Run from the build directory (make bench); TESTBED_RUN overrides
# the testbed script.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
ctl=$PWD/src/ctl/passthru-ctl
runs=${RUNS:-5}
names="prepare_ms_edu prepare_kernel_ms_edu release_ms_edu release_kernel_ms_edu
prepare_ms_e1000e prepare_kernel_ms_e1000e release_ms_e1000e release_kernel_ms_e1000e"
na() { for n in $names; do echo "$n: n/a"; done; exit 0; }

if [ ! -x "$ctl" ]; then
	echo "host-prep.sh: $ctl is missing: run make bench from the build directory" >&2
	exit 1
fi
tb=${TESTBED_RUN:-}
for c in "$PWD/tests/testbed/testbed-run" "$srcdir/tests/testbed/testbed-run"; do
	[ -z "$tb" ] && [ -x "$c" ] && tb=$c
done
if [ -z "$tb" ] || ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "host-prep.sh: no testbed here: host preparation not measured" >&2
	na
fi

inner=$PWD/bench/host-prep-inner.sh
mkdir -p "$PWD/bench"
cat > "$inner" <<INNER
#!/bin/sh
ctl='$ctl'
PASSTHRU_RUN_DIR=/run/passthru; export PASSTHRU_RUN_DIR
ms() { date +%s%3N; }
kernel() { python3 -c 'import json,sys; print("%.1f" % sum(d["kernel_ms"] for d in json.load(open(sys.argv[1]))[sys.argv[2]]))' "\$1" "\$2"; }
modprobe e1000e
for d in /sys/bus/pci/devices/*; do
	case \$(cat \$d/vendor):\$(cat \$d/device) in
	0x1234:0x11e8) edu=\$(basename \$d) ;;
	0x8086:0x10d3) e1000e=\$(basename \$d) ;;
	esac
done
i=0; until [ -n "\$(ls /sys/bus/pci/devices/\$e1000e/net 2>/dev/null)" ] || [ \$i -ge 100 ]; do sleep 0.1; i=\$((i+1)); done
for name in edu e1000e; do
	eval bdf=\\\$\$name
	n=0
	while [ \$n -lt $runs ]; do
		t0=\$(ms); "\$ctl" prepare --json \$bdf > /tmp/p.json || exit 1
		t1=\$(ms); "\$ctl" release --json \$bdf > /tmp/r.json || exit 1
		t2=\$(ms)
		echo "\$name \$((t1 - t0)) \$(kernel /tmp/p.json prepared) \$((t2 - t1)) \$(kernel /tmp/r.json released)"
		n=\$((n + 1))
	done
done
INNER
out=$(flock /tmp/passthru-qemu.lock "$tb" --timeout 600 --rw "$PWD" --device edu --device e1000e \
	-- sh "$inner")
rc=$?
rm -f "$inner"
[ $rc -eq 0 ] || { echo "host-prep.sh: the testbed run failed ($rc)" >&2; na; }
printf '%s\n' "$out" | python3 -c '
import statistics, sys
rows = {}
for line in sys.stdin:
    f = line.split()
    rows.setdefault(f[0], []).append([float(x) for x in f[1:]])
for dev in ("edu", "e1000e"):
    r = rows.get(dev, [])
    med = [statistics.median(c) for c in zip(*r)] if r else None
    for i, what in enumerate(("prepare_ms", "prepare_kernel_ms", "release_ms", "release_kernel_ms")):
        print("%s_%s: %s" % (what, dev, "n/a" if med is None else "%.1f" % med[i]))
    if med:
        print("# %s: %d runs; the tool itself (process start under TCG included): prepare %.1f ms, release %.1f ms"
              % (dev, len(r), med[0] - med[1], med[2] - med[3]))
'
