#!/bin/bash
# Runs every program in KVM_TESTS inside one testbed boot (nested KVM, vfio-pci,
# an IOMMU and emulated devices) and merges their TAP into one stream: each
# case keeps its description, prefixed with the program's name. A program that
# crashes, times out or stops short of its plan is a failure.
set -u
builddir=${top_builddir:?top_builddir is not set (run through make check-testbed)}
srcdir=${top_srcdir:?}
testbed="$srcdir/tests/testbed/testbed-run"
read -r -a tests <<<"${KVM_TESTS:-}"

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "1..0 # SKIP qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
	exit 0
fi
if [ ${#tests[@]} -eq 0 ]; then
	echo "1..0 # SKIP KVM_TESTS is empty"
	exit 0
fi

results="$builddir/tests/testbed/kvm-results"
rm -rf "$results" && mkdir -p "$results" || exit 1
per_test=${PASSTHRU_KVM_TEST_TIMEOUT:-240}

# A test's time limit: per_test, or more where the test says so in a line of its own
# "# kvm-suite-timeout: SECONDS" (a walk of failure points, say).
test_timeout() {
	local s
	s=$(sed -n 's/^# kvm-suite-timeout: \([0-9][0-9]*\)$/\1/p' "$builddir/$1" 2>/dev/null | head -n 1)
	[ -n "$s" ] && [ "$s" -gt "$per_test" ] && echo "$s" || echo "$per_test"
}

# The guest has its own /tmp and /run: the source tree (read-only) and the build
# tree (read-write, for the results) are shared at their own paths, so that a
# checkout anywhere, a CI clone under /tmp included, runs every test.
shares=(--ro "$srcdir" --rw "$builddir")

# Writes a script that runs, in order, every test that has no exit status yet.
write_inner() {
	local i=0 t
	echo '#!/bin/sh'
	echo "cd '$builddir' || exit 1"
	for t in "${tests[@]}"; do
		[ -f "$results/$i.rc" ] ||
			echo "timeout -k 5 $(test_timeout "$t") './$t' >'$results/$i.tap' 2>'$results/$i.err'; echo \$? >'$results/$i.rc'"
		i=$((i + 1))
	done
}

# The index of the first test with no exit status yet (tests run in order), or -1.
first_unfinished() {
	local i=0 t
	for t in "${tests[@]}"; do
		[ -f "$results/$i.rc" ] || { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

# One testbed boot for the unfinished tests, watched from here. The testbed's own
# kernel has been seen to lock up (nested SVM under TCG: every testbed vCPU stuck,
# or no output at all) while a test ran; a test's own timeout cannot fire then.
# So a test that has run for its timeout plus a margin without ending stops the
# boot (exit 124, as the boot's overall watchdog would, only sooner).
stall_margin=${PASSTHRU_KVM_STALL_MARGIN:-120}
# e1000e with iPXE's option ROM (Debian's ipxe-qemu, whose /usr/share/qemu links
# QEMU's own packages may lack) so that tests/vfio/vmm-rom.sh has a ROM to pass through.
e1000e_rom=
for f in /usr/share/qemu/efi-e1000e.rom /usr/lib/ipxe/qemu/efi-e1000e.rom; do
	[ -f "$f" ] && { e1000e_rom=",romfile=$f"; break; }
done
# The second edu comes last so that it takes the next free slot after every other
# device: the first edu keeps its address, and tests that take "the first edu" keep
# theirs; tests/vfio/intx-shared.sh wires both onto one IOAPIC pin.
run_boot() { # ATTEMPT INNER BUDGET; sets tb
	local pid cur=-2 now since i
	(cd / && exec "$testbed" --timeout "$3" --smp "$smp" \
		--device edu --device "e1000e$e1000e_rom" --device pci-testdev \
		--qemu-arg -object --qemu-arg memory-backend-ram,id=pthm,size=1M \
		--device ivshmem-plain,memdev=pthm --device e1000e,bus=rp1 \
		--device pcie-pci-bridge,id=br0,addr=0x13 --device e1000,bus=br0,addr=0x1 \
		--device e1000,bus=br0,addr=0x2 --device edu \
		"${shares[@]}" "${testbed_args[@]}" --log "$results/console-$1.log" -- "$2") &
	pid=$!
	since=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		i=$(first_unfinished)
		if [ "$i" != "$cur" ]; then
			cur=$i
			since=$SECONDS
		elif [ "$cur" -ge 0 ] &&
			[ $((SECONDS - since)) -gt $(($(test_timeout "${tests[$cur]}") + stall_margin)) ]; then
			echo "# attempt $1: no test ended for $((SECONDS - since)) s: stopping the testbed"
			# For the measurements of stall-hunt.sh: a look at the stuck machine first.
			[ -n "${PASSTHRU_KVM_STALL_HOOK:-}" ] &&
				$PASSTHRU_KVM_STALL_HOOK "$results/stall-$1.txt" >/dev/null 2>&1
			kill -TERM "$pid" 2>/dev/null
			wait "$pid"
			tb=124
			return
		fi
	done
	wait "$pid"
	tb=$?
}

# The tests that had not finished get another boot, twice at most. Retries are
# reported, never hidden. The testbed has one vCPU unless PASSTHRU_TESTBED_SMP
# says otherwise: the lockups seen with two had both stuck at once, and the
# tests' own 2-vCPU guests time-share one.
smp=${PASSTHRU_TESTBED_SMP:-1}
# More testbed-run options, one per word (for measurements, e.g. "--append kvm_amd.npt=0").
read -r -a testbed_args <<<"${PASSTHRU_TESTBED_ARGS:-}"
exec 8>/tmp/passthru-qemu.lock
flock 8
boots=${PASSTHRU_KVM_BOOTS:-3}
for attempt in $(seq 1 "$boots"); do
	inner="$results/run-$attempt.sh"
	write_inner >"$inner" && chmod +x "$inner"
	left=$(grep -c '^timeout' "$inner")
	[ "$left" -eq 0 ] && break
	# 90 s a test, and what the tests with a longer limit of their own may take more.
	extra=$(awk '/^timeout/ { if ($3 > p) x += $3 - p } END { print x + 0 }' p="$per_test" "$inner")
	run_boot "$attempt" "$inner" $(( left * 90 + 240 + extra ))
	[ $tb -ne 124 ] && [ $tb -ne 125 ] && break
	i=$(first_unfinished)
	stuck=
	[ "$i" -ge 0 ] && stuck=${tests[$i]}
	echo "# attempt $attempt: the testbed stopped (testbed-run exit $tb) during ${stuck:-startup};" \
		"console: $results/console-$attempt.log"
	if [ "$attempt" -lt "$boots" ] && [ "$i" -ge 0 ]; then
		echo "# retrying the unfinished tests in a fresh testbed boot"
		[ -n "$stuck" ] && echo "# retried after a testbed stop: $stuck"
	fi
done
exec 8>&-

n=0
i=0
for t in "${tests[@]}"; do
	name=${t##*/}
	tap="$results/$i.tap"
	rc=$(cat "$results/$i.rc" 2>/dev/null || echo missing)
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$tap" 2>/dev/null | head -1)
	seen=0
	if grep -q '^1\.\.0 # SKIP' "$tap" 2>/dev/null; then
		n=$((n + 1))
		echo "ok $n # SKIP $name: $(sed -n 's/^1\.\.0 # SKIP //p' "$tap")"
		i=$((i + 1))
		continue
	fi
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			seen=$((seen + 1)); n=$((n + 1))
			status=${line%%ok *}ok
			rest=$(echo "${line#"$status" }" | sed 's/^[0-9]* *//; s/^- //')
			case $rest in
			"# SKIP"* | "# skip"*) echo "$status $n # SKIP $name: ${rest#\# [Ss][Kk][Ii][Pp] }" ;;
			*) echo "$status $n - $name: $rest" ;;
			esac ;;
		"#"*) echo "$line" ;;
		esac
	done <"$tap"
	if [ "$rc" != 0 ] || [ -z "$plan" ] || [ "$seen" != "$plan" ]; then
		if [ "$rc" != 0 ] && grep -q '^not ok' "$tap" && [ "$seen" = "$plan" ]; then
			:	# its failures are already reported case by case
		else
			n=$((n + 1))
			echo "not ok $n - $name: exit status $rc, $seen results for a plan of ${plan:-none}"
			sed 's/^/# stderr: /' "$results/$i.err" | tail -20
		fi
	fi
	i=$((i + 1))
done
echo "1..$n"
