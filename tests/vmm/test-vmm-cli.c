/*
 * passthru-vmm as a program: usage errors, exit statuses for every way a VM
 * ends, stdin to the guest's UART, SIGTERM, the control socket, and running
 * from a VM definition. The parts that need /dev/kvm skip without it.
 */
#include "config.h"

#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "kvm-common.h"
#include "vmm-proc.h"

static void check_usage(struct tap *t)
{
	struct result r;
	char *const none[] = { "passthru-vmm", NULL };
	char *const both[] = { "passthru-vmm", "--kernel", "/x", "vm1", NULL };
	char *const mem[] = { "passthru-vmm", "--kernel", "/x", "--memory", "12", NULL };
	char *const direct[] = { "passthru-vmm", "--memory", "64M", "vm1", NULL };
	char *const missing[] = { "passthru-vmm", "--config-dir", "/nonexistent", "vm1", NULL };
	char *const help[] = { "passthru-vmm", "--help", NULL };

	run_vmm(none, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 2 && strstr(r.err, "no VM named"), "no VM: status 2 and says so");
	run_vmm(both, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 2 && strstr(r.err, "\"vm1\""), "--kernel with a VM name: status 2");
	run_vmm(mem, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 2 && strstr(r.err, "--memory 12"), "a size without unit: status 2");
	run_vmm(direct, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 2 && strstr(r.err, "go with --kernel"),
	       "--memory without --kernel: status 2");
	run_vmm(missing, NULL, NULL, NULL, &r);
	tap_is_int(t, r.status, 5, "an unknown VM: status 5 (%s)", strtok(r.err, "\n") ?: "");
	run_vmm(help, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 0 && strstr(r.out, "--kernel IMAGE"), "--help");
}

/* A run directory others may write: the pidfile is not taken there (no KVM needed). */
static void check_run_dir(struct tap *t, const char *dir)
{
	struct result r;
	char confdir[200], conf[300], rundir[200];
	char *const bydef[] = { "passthru-vmm", "--config-dir", confdir, "rvm", NULL };
	FILE *f;

	snprintf(confdir, sizeof(confdir), "%s/rvms", dir);
	snprintf(rundir, sizeof(rundir), "%s/openrun", dir);
	snprintf(conf, sizeof(conf), "%s/rvm.conf", confdir);
	if (mkdir(confdir, 0755) < 0 || mkdir(rundir, 0755) < 0 || chmod(rundir, 01777) < 0 ||
	    !(f = fopen(conf, "w"))) {
		tap_ok(t, 0, "run dir: set up %s", rundir);
		return;
	}
	fprintf(f, "[vm]\nname = rvm\nmemory = 32M\nkernel = /nonexistent/k\nconsole = none\n");
	fclose(f);
	setenv("PASSTHRU_RUN_DIR", rundir, 1);
	run_vmm(bydef, NULL, NULL, NULL, &r);
	unsetenv("PASSTHRU_RUN_DIR");
	tap_ok(t, r.status == 1 && strstr(r.err, "refused: ") &&
	       strstr(r.err, "is writable by everyone (mode 1777)"),
	       "a world-writable run directory: no pidfile there, status 1 (status %d: %s)",
	       r.status, r.err);
	snprintf(conf, sizeof(conf), "%s/rvm.pid", rundir);
	tap_ok(t, access(conf, F_OK) < 0, "  and no pidfile was created");
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static char talk_reply[2][1024];

static void ask(int fd, const char *req, char *reply, size_t size)
{
	size_t n = 0;

	reply[0] = 0;
	if (write(fd, req, strlen(req)) < 0)
		return;
	while (n + 1 < size) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 10000) <= 0 || read(fd, reply + n, 1) != 1 || reply[n] == '\n')
			break;
		n++;
	}
	reply[n] = 0;
}

static void talk_status_stop(const char *sock, pid_t pid)
{
	int fd;

	usleep(300000);
	fd = connect_to(sock);
	ask(fd, "{\"execute\":\"status\"}\n", talk_reply[0], sizeof(talk_reply[0]));
	ask(fd, "{\"execute\":\"stop\"}\n", talk_reply[1], sizeof(talk_reply[1]));
	close(fd);
}

static void talk_sigterm(const char *sock, pid_t pid)
{
	usleep(300000);
	kill(pid, SIGTERM);
}

static void check_kvm(struct tap *t, const char *dir)
{
	struct result r;
	char sock[200], conf[300], confdir[200], path[300];
	char *const hello[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "h", NULL };
	char *const unknown[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "u", NULL };
	char *const reset[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "r", NULL };
	char *const triple[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "d", NULL };
	char *const echo[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "e", NULL };
	char *const big[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "P", NULL };
	char *const spin[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "s", "--socket",
			       sock, "--vcpus", "2", "--memory", "32M", NULL };
	char *const bydef[] = { "passthru-vmm", "--config-dir", confdir, "tvm", NULL };
	FILE *f;

	snprintf(sock, sizeof(sock), "%s/run/vm.sock", dir);
	run_vmm(hello, NULL, NULL, NULL, &r);
	tap_is_int(t, r.status, 0, "debug exit 0: status 0");
	tap_ok(t, strstr(r.out, "TG hello from the mini guest\n") != NULL, "the guest's line on stdout");
	run_vmm(unknown, NULL, NULL, NULL, &r);
	tap_is_int(t, r.status, 13, "unknown I/O port: status 13");
	tap_ok(t, strstr(r.err, "KVM_EXIT_IO: unknown I/O port 0x1234: out, size 1, value 0x41") != NULL,
	       "and stderr names the port, direction, size and value");
	run_vmm(reset, NULL, NULL, NULL, &r);
	tap_is_int(t, r.status, 10, "reset: status 10");
	run_vmm(triple, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 11 && strstr(r.err, "KVM_EXIT_SHUTDOWN"), "triple fault: status 11, named");
	run_vmm(echo, "hi\nq", NULL, NULL, &r);
	tap_is_int(t, r.status, 64 + 4, "stdin reaches the guest's UART: it counted 4 bytes (64+4)");
	tap_ok(t, strstr(r.out, "hi\n") != NULL, "and echoed them to stdout");
	run_vmm(big, NULL, NULL, NULL, &r);
	tap_is_int(t, r.status, 127, "a debug-exit value above 63: status 127");

	{
		char file[300], arg[310], buf[256] = "";
		char *const tofile[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "h",
					 "--console", arg, NULL };
		char *const topty[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "h",
					"--console", "pty", NULL };
		FILE *cf;

		snprintf(file, sizeof(file), "%s/console.log", dir);
		snprintf(arg, sizeof(arg), "file:%s", file);
		run_vmm(tofile, NULL, NULL, NULL, &r);
		cf = fopen(file, "r");
		if (cf) {
			if (!fgets(buf, sizeof(buf), cf))
				buf[0] = 0;
			fclose(cf);
		}
		tap_ok(t, r.status == 0 && !strcmp(buf, "TG hello from the mini guest\n") && !r.out[0],
		       "--console file: the guest's output goes to the file, not stdout");
		run_vmm(topty, NULL, NULL, NULL, &r);
		tap_ok(t, r.status == 0 && strstr(r.err, "console on /dev/pts/") && !r.out[0],
		       "--console pty: the pseudo-terminal is named on stderr");
	}
	{
		/*
		 * Hugepages the pool cannot give: a clear error and status 1. The mapping
		 * used MAP_NORESERVE, so the first write into guest RAM died of SIGBUS (135).
		 */
		char *const huge[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "h",
				       "--memory", "64M", "--hugepages", "--console", "none", NULL };
		FILE *hf = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "re");
		long free_pages = -1;

		if (hf) {
			if (fscanf(hf, "%ld", &free_pages) != 1)
				free_pages = -1;
			fclose(hf);
		}
		run_vmm(huge, NULL, NULL, NULL, &r);
		if (free_pages < 0)
			tap_skip(t, "no 2 MiB hugepage pool on this host");
		else if (free_pages < 32)
			tap_ok(t, r.status == 1 && strstr(r.err, "hugepages") &&
			       strstr(r.err, "vm.nr_hugepages=32"),
			       "--hugepages with %ld of 32 pages free: status 1 and says why "
			       "(status %d: %s)", free_pages, r.status, r.err);
		else
			tap_is_int(t, r.status, 0, "--hugepages with %ld pages free: runs", free_pages);
	}
	{
		/*
		 * RLIMIT_NOFILE too low for the VM, hard limit included: said up front. With
		 * 4 the old VMM failed at its first eventfd and exited 1 saying nothing.
		 */
		char *const four[] = { "passthru-vmm", "--kernel", MINIGUEST, "--append", "h",
				       "--vcpus", "4", "--console", "none", NULL };

		vmm_proc_nofile = 4;
		run_vmm(four, NULL, NULL, NULL, &r);
		vmm_proc_nofile = 0;
		tap_ok(t, r.status == 1 && strstr(r.err, "RLIMIT_NOFILE allows 4 open files") &&
		       strstr(r.err, "4 vCPUs need 68"),
		       "RLIMIT_NOFILE 4: status 1 and how many are needed (status %d: %s)",
		       r.status, r.err);
	}
	run_vmm(spin, NULL, sock, talk_status_stop, &r);
	tap_is_int(t, r.status, 0, "stopped through the control socket: status 0");
	tap_ok(t, strstr(talk_reply[0], "\"state\":\"running\"") && strstr(talk_reply[0], "\"vcpus\":2") &&
	       strstr(talk_reply[0], "\"memory\":33554432"), "status: %s", talk_reply[0]);
	tap_is_str(t, talk_reply[1], "{\"return\":{}}", "stop's reply");
	tap_ok(t, access(sock, F_OK) < 0, "the socket is removed at exit");
	{
		struct stat st;
		char d[300];

		snprintf(d, sizeof(d), "%s/run", dir);
		tap_ok(t, stat(d, &st) == 0 && S_ISDIR(st.st_mode), "the socket's directory was created");
	}
	run_vmm(spin, NULL, sock, talk_sigterm, &r);
	tap_is_int(t, r.status, 0, "SIGTERM stops the VM: status 0");

	snprintf(confdir, sizeof(confdir), "%s/vms", dir);
	mkdir(confdir, 0755);
	snprintf(conf, sizeof(conf), "%s/tvm.conf", confdir);
	f = fopen(conf, "w");
	fprintf(f, "[vm]\nname = tvm\nmemory = 32M\nvcpus = 2\nkernel = %s\ncmdline = h\n"
		"socket = %s\nconsole = stdio\n", MINIGUEST, sock);
	fclose(f);
	/* A definition's VMM takes a pidfile in the run directory. */
	snprintf(path, sizeof(path), "%s/rundir", dir);
	setenv("PASSTHRU_RUN_DIR", path, 1);
	run_vmm(bydef, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 0 && strstr(r.out, "TG hello"), "runs from a VM definition (status %d: %s)",
	       r.status, r.err);
	snprintf(path, sizeof(path), "%s/rundir/tvm.pid", dir);
	tap_ok(t, access(path, F_OK) < 0, "its pidfile was removed at exit");
	snprintf(path, sizeof(path), "%s/rundir", dir);
	tap_ok(t, access(path, F_OK) == 0, "... in the run directory it created");

	/* A control-group the host does not have is a bad definition: status 2, not 1. */
	f = fopen(conf, "w");
	fprintf(f, "[vm]\nname = tvm\nmemory = 32M\nkernel = %s\ncmdline = h\n"
		"socket = %s\nconsole = none\ncontrol-group = no-such-group-here\n", MINIGUEST, sock);
	fclose(f);
	run_vmm(bydef, NULL, NULL, NULL, &r);
	tap_ok(t, r.status == 2 && strstr(r.err, "control-group \"no-such-group-here\" does not exist"),
	       "an unknown control-group: status 2, named with the key's spelling (status %d: %s)",
	       r.status, r.err);
	unsetenv("PASSTHRU_RUN_DIR");
}

static void remove_dir(const char *dir)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
}

int main(void)
{
	struct tap t = { 0 };
	char dir[] = "/tmp/pt-vmmcli-XXXXXX";
	int fd;

	if (access(PASSTHRU_VMM, X_OK) < 0)
		tap_skip_all("%s was not built", PASSTHRU_VMM);
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp failed");
	check_usage(&t);
	check_run_dir(&t, dir);
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		char *const k[] = { "passthru-vmm", "--kernel", MINIGUEST, NULL };
		struct result r;

		run_vmm(k, NULL, NULL, NULL, &r);
		if (errno == ENOENT)
			tap_ok(&t, r.status == 3 && strstr(r.err, "/dev/kvm"),
			       "no /dev/kvm: status 3, and it says so");
		tap_skip(&t, "the rest needs /dev/kvm (it runs in the testbed)");
		remove_dir(dir);
		return tap_done(&t);
	}
	close(fd);
	check_kvm(&t, dir);
	remove_dir(dir);
	return tap_done(&t);
}
