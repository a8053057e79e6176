/*
 * Routing benchmarks on a real KVM (issue 4). Prints "name: value" lines.
 *
 *   bench-route msix [N]  N MSI-X vectors (default 2048) programmed the way a guest does
 *                         it: every table entry written while the function is masked,
 *                         then the function unmasked, which makes all N vectors live.
 *                         Per-vector mode commits the routing table at each vector that
 *                         becomes live (what kvmtool does); batched mode commits once at
 *                         the end of the burst. Timed from the first entry update to the
 *                         last route committed, both modes in this run, on fresh VMs.
 *   bench-route fit       17 functions x 257 MSI-X vectors with 64 enabled each, routed
 *                         through the allocator against KVM's real maximum, then
 *                         committed: does lazy allocation fit? (And would eager?)
 *   bench-route all       both.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kvm_vm.h"
#include "route/kvm_ops.h"
#include "route/table.h"

struct msix_entry {
	struct pt_msi_msg msg;
	bool masked;
	int gsi;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_table(struct kvm_vm *vm, struct pt_route_table **ret)
{
	const char *why = "";
	int r = kvm_vm_open(vm, false, &why);

	if (r < 0) {
		fprintf(stderr, "bench-route: %s: %s\n", why, strerror(-r));
		kvm_vm_close(vm);
		return r;
	}
	r = pt_route_table_new_kvm(vm->vm_fd, PT_IRQCHIP_KERNEL, ret);
	if (r < 0)
		kvm_vm_close(vm);
	return r;
}

/*
 * One guest programming sequence. Returns the seconds from the first entry update to
 * the last commit, or a negative number on failure; *ret_commits gets the commit count.
 */
static double program_msix(unsigned n, bool batched, uint64_t *ret_commits)
{
	struct msix_entry *tbl = calloc(n, sizeof(*tbl));
	struct pt_route_table *tab;
	struct pt_route_stats st;
	struct kvm_vm vm;
	double t0, t1 = -1;
	bool func_masked = true;

	if (!tbl || open_table(&vm, &tab) < 0) {
		free(tbl);
		return -1;
	}
	t0 = now();
	/* Entry writes (address, data, vector control) under the function mask. */
	for (unsigned v = 0; v < n; v++) {
		tbl[v].msg = pt_msi_compose(0, 0x30 + v % 192);
		tbl[v].masked = false;
		if (pt_route_msi_add(tab, "0000:03:00.0", (int)v,
				     func_masked ? PT_VECTOR_MASKED : PT_VECTOR_LIVE,
				     &tbl[v].msg, &tbl[v].gsi) < 0)
			goto out;
	}
	/* The function mask is cleared: every unmasked vector becomes live. */
	func_masked = false;
	for (unsigned v = 0; v < n; v++) {
		if (tbl[v].masked || tbl[v].gsi != PT_ROUTE_NO_GSI)
			continue;
		if (pt_route_msi_add(tab, "0000:03:00.0", (int)v, PT_VECTOR_LIVE, &tbl[v].msg,
				     &tbl[v].gsi) < 0)
			goto out;
		if (!batched && pt_route_table_commit(tab) < 0)
			goto out;
	}
	if (pt_route_table_commit(tab) < 0) /* the end of the burst */
		goto out;
	t1 = now() - t0;
	pt_route_table_stats(tab, &st);
	*ret_commits = st.commits;
	if (st.msi_routes != n) {
		fprintf(stderr, "bench-route: %u MSI routes, expected %u\n", st.msi_routes, n);
		t1 = -1;
	}
out:
	pt_route_table_free(tab);
	kvm_vm_close(&vm);
	free(tbl);
	return t1;
}

static int bench_msix(unsigned n)
{
	double batched[3], per_vector, best;
	uint64_t c_batched = 0, c_per_vector = 0;

	for (int i = 0; i < 3; i++) {
		batched[i] = program_msix(n, true, &c_batched);
		if (batched[i] < 0)
			return 1;
	}
	per_vector = program_msix(n, false, &c_per_vector);
	if (per_vector < 0)
		return 1;
	best = batched[0];
	for (int i = 1; i < 3; i++)
		best = batched[i] < best ? batched[i] : best;
	printf("msix_vectors: %u\n", n);
	printf("msix_per_vector_seconds: %.6f\n", per_vector);
	printf("msix_per_vector_commits: %llu\n", (unsigned long long)c_per_vector);
	printf("msix_batched_seconds: %.6f\n", best);
	printf("msix_batched_commits: %llu\n", (unsigned long long)c_batched);
	printf("msix_batched_vs_per_vector: %.6f\n", best / per_vector);
	return 0;
}

/* Route 17 x 257 vectors, `enabled` live per function; true if all fit and commit. */
static bool try_fit(unsigned enabled, unsigned *ret_routes, unsigned *ret_max)
{
	struct pt_route_table *tab;
	struct pt_route_stats st;
	struct kvm_vm vm;
	bool fit = true;
	char dev[16];
	int gsi;

	if (open_table(&vm, &tab) < 0)
		exit(1);
	for (unsigned f = 0; f < 17 && fit; f++) {
		snprintf(dev, sizeof(dev), "0000:%02x:00.0", f + 1);
		for (unsigned v = 0; v < 257 && fit; v++) {
			struct pt_msi_msg m = pt_msi_compose(0, 0x30 + v % 192);

			fit = pt_route_msi_add(tab, dev, (int)v,
					       v < enabled ? PT_VECTOR_LIVE : PT_VECTOR_DISABLED,
					       &m, &gsi) == 0;
		}
	}
	fit = fit && pt_route_table_commit(tab) == 0;
	pt_route_table_stats(tab, &st);
	*ret_routes = st.msi_routes;
	*ret_max = st.max_entries;
	pt_route_table_free(tab);
	kvm_vm_close(&vm);
	return fit;
}

static int bench_fit(void)
{
	unsigned routes, max, eager_routes;
	bool lazy, eager;
	int saved;

	lazy = try_fit(64, &routes, &max);
	/* Eager allocation is expected to run out: keep its error out of the output. */
	fflush(stderr);
	saved = dup(2);
	if (freopen("/dev/null", "w", stderr) == NULL)
		return 1;
	eager = try_fit(257, &eager_routes, &max);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	printf("routes_max_entries: %u\n", max);
	printf("routes_17x257_lazy_msi_routes: %u\n", routes);
	printf("routes_17x257_fit: %s\n", lazy ? "yes" : "no");
	printf("routes_17x257_eager_fit: %s\n", eager ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 2048;
	int r = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(what, "msix") || !strcmp(what, "all"))
		r |= bench_msix(n);
	if (!strcmp(what, "fit") || !strcmp(what, "all"))
		r |= bench_fit();
	return r;
}
