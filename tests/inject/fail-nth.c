/*
 * fail-nth.so: make the Nth host-changing or kernel call of a program fail, for the
 * tests (tests/host/fail-nth-fixture.sh, tests/vmm/fail-nth-start.sh). Built with
 * make check, never installed, never linked into a program: it is preloaded.
 *
 *   LD_PRELOAD=tests/inject/fail-nth.so PT_FAIL_CALLS=write,fs PT_FAIL_NTH=3 prog ...
 *
 * Only calls the program makes once its main() runs are counted (not the dynamic
 * loader's, not libc's start-up, not this library's own), across every thread, with
 * one atomic counter. Calls libc makes to itself (fprintf's write, fopen's open) do not
 * go through here; allocations do (strdup, asprintf, opendir call malloc).
 *
 * Environment:
 *   PT_FAIL_CALLS=CLASS,...  what is counted (default: every class):
 *       open    open, creat, mkostemp, mkstemp: for writing or creating only
 *       write   write, pwrite, writev
 *       sync    fsync, fdatasync
 *       fs      unlink, rename, mkdir, rmdir, symlink, fchmod, chmod, ftruncate
 *       lock    flock
 *       ioctl   ioctl
 *       send    send, sendto, sendmsg
 *       socket  socket, bind, listen, connect, accept4
 *       alloc   malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc
 *       event   eventfd, signalfd, epoll_create1, timerfd_create, pipe2
 *       mmap    mmap
 *       thread  pthread_create
 *   PT_FAIL_NTH=N      the Nth counted call fails (1 is the first; unset or 0: none)
 *                      with its class's errno (open EACCES, write/sync/fs/ioctl EIO,
 *                      lock ENOLCK, send ECONNRESET, socket/event EMFILE, alloc/mmap
 *                      ENOMEM, thread EAGAIN) ...
 *   PT_FAIL_ERRNO=E    ... or errno number E
 *   PT_FAIL_PATH=TEXT  the file classes (open write sync fs lock) count only calls on
 *                      a path containing TEXT (a descriptor's path is read from
 *                      /proc/self/fd)
 *   PT_FAIL_COUNT=FILE at exit, the number of calls counted is written to FILE
 *   PT_FAIL_TRACE=FILE one line per counted call: "N CLASS FUNCTION TARGET"
 *   PT_FAIL_LOG=FILE   the line of the call made to fail, with " errno=E"
 *   PT_FAIL_FDS=FILE   at exit, one line "FD TARGET" per descriptor open then that was
 *                      not open when main() began (an empty file: none left)
 *   PT_FAIL_ARM=FILE   counting starts only once FILE exists (looked for at each call
 *                      until then): a test lets a program reach a state (a VMM whose
 *                      guest runs), creates FILE, then drives the calls it walks
 *   PT_FAIL_SKIP_IOCTL=REQ[,REQ...]  ioctls with these request numbers (hex or
 *                      decimal, e.g. 0xae80 for KVM_RUN) are never counted: calls whose
 *                      number depends on timing would make the points move between runs
 * Counts and descriptors are reported from an atexit handler: a program that ends by
 * _exit() or a signal reports nothing (and the test sees the missing file). The
 * variables, LD_PRELOAD included, are removed from the environment before main()
 * runs: a program the instrumented one starts is not instrumented (so put timeout(1)
 * or env(1) before LD_PRELOAD=..., not after).
 *
 * Walking every point: run once with PT_FAIL_COUNT to learn C, then N = 1..C with
 * PT_FAIL_NTH=N and PT_FAIL_LOG to know which call failed. To see where a point is,
 * gdb -ex 'set breakpoint pending on' -ex 'break pt_fail_nth_hit' -ex run -ex bt.
 * Other preloads that should see the program's calls after this library decides
 * (tests/inject/fixture-kernel.so) come after it in LD_PRELOAD.
 *
 * It cannot be preloaded into a program built with AddressSanitizer (which must come
 * first and brings its own allocator): the tests skip in that build.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

enum cls {
	C_OPEN, C_WRITE, C_SYNC, C_FS, C_LOCK, C_IOCTL, C_SEND, C_SOCKET, C_ALLOC, C_EVENT,
	C_MMAP, C_THREAD, C_COUNT
};

static const struct {
	const char *name;
	int err;
	bool file; /* PT_FAIL_PATH applies */
} classes[C_COUNT] = {
	[C_OPEN] = { "open", EACCES, true },   [C_WRITE] = { "write", EIO, true },
	[C_SYNC] = { "sync", EIO, true },      [C_FS] = { "fs", EIO, true },
	[C_LOCK] = { "lock", ENOLCK, true },   [C_IOCTL] = { "ioctl", EIO, false },
	[C_SEND] = { "send", ECONNRESET, false }, [C_SOCKET] = { "socket", EMFILE, false },
	[C_ALLOC] = { "alloc", ENOMEM, false }, [C_EVENT] = { "event", EMFILE, false },
	[C_MMAP] = { "mmap", ENOMEM, false },  [C_THREAD] = { "thread", EAGAIN, false },
};

/* glibc's own allocator: no dlsym (which allocates) on the way to it. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

#define MAX_SKIP_IOCTL 8

static struct {
	bool started; /* main() runs */
	bool armed;   /* counting */
	bool enabled[C_COUNT];
	unsigned long nth;
	int err;
	const char *path;
	char count_file[4096], trace_file[4096], log_file[4096], fds_file[4096], arm_file[4096];
	unsigned long skip_ioctl[MAX_SKIP_IOCTL];
	unsigned n_skip_ioctl;
	unsigned long count;
	uint64_t fds_at_start[16]; /* bit per descriptor below 1024 */
} cfg;

/* This thread is inside the library (its own calls are not the program's). */
static __thread int busy __attribute__((tls_model("initial-exec")));

typedef int main_fn(int, char **, char **);
static main_fn *real_main;
int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void),
		      void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

/* --- output without going through the wrapped calls ------------------------- */

static void append_line(const char *file, const char *line)
{
	int fd;

	if (!*file)
		return;
	fd = (int)syscall(SYS_openat, AT_FDCWD, file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0644);
	if (fd < 0)
		return;
	syscall(SYS_write, fd, line, strlen(line));
	syscall(SYS_close, fd);
}

static void fd_target(int fd, char *buf, size_t size)
{
	char link[64];
	long n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, buf, size - 1);
	if (n < 0) {
		snprintf(buf, size, "fd %d", fd);
		return;
	}
	buf[n] = '\0';
}

/* --- the decision ------------------------------------------------------------ */

static void *next(const char *name)
{
	void *f;

	busy++;
	f = dlsym(RTLD_NEXT, name);
	busy--;
	if (!f) {
		static const char msg[] = "fail-nth: a wrapped function is missing after it\n";

		syscall(SYS_write, 2, msg, sizeof(msg) - 1);
		abort();
	}
	return f;
}

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (!real_##name) \
		real_##name = next(#name)

/* Called when the chosen call fails: a breakpoint for gdb (break pt_fail_nth_hit). */
__attribute__((noinline, visibility("default"))) void pt_fail_nth_hit(void);
void pt_fail_nth_hit(void)
{
	__asm__ volatile("");
}

/* Whether calls are counted now: from main() on, or from when PT_FAIL_ARM's file exists. */
static bool counting(void)
{
	if (__atomic_load_n(&cfg.armed, __ATOMIC_ACQUIRE))
		return true;
	if (!__atomic_load_n(&cfg.started, __ATOMIC_ACQUIRE) || !cfg.arm_file[0])
		return false;
	if (syscall(SYS_faccessat, AT_FDCWD, cfg.arm_file, F_OK, 0) != 0)
		return false;
	__atomic_store_n(&cfg.armed, true, __ATOMIC_RELEASE);
	return true;
}

/*
 * Whether this call (of class c, on target: a path or a description) is counted, and
 * whether it is the one that fails: then errno is set and true returned.
 */
static bool fail_here(enum cls c, const char *func, const char *target)
{
	unsigned long n;
	char line[4200];

	if (busy || !cfg.enabled[c] || !counting())
		return false;
	if (classes[c].file && cfg.path && (!target || !strstr(target, cfg.path)))
		return false;
	busy++;
	n = __atomic_add_fetch(&cfg.count, 1, __ATOMIC_SEQ_CST);
	snprintf(line, sizeof(line), "%lu %s %s %s\n", n, classes[c].name, func,
		 target ? target : "-");
	append_line(cfg.trace_file, line);
	if (n == cfg.nth) {
		int err = cfg.err ? cfg.err : classes[c].err;

		snprintf(line, sizeof(line), "%lu %s %s %s errno=%d\n", n, classes[c].name, func,
			 target ? target : "-", err);
		append_line(cfg.log_file, line);
		pt_fail_nth_hit();
		busy--;
		errno = err;
		return true;
	}
	busy--;
	return false;
}

static bool fail_fd(enum cls c, const char *func, int fd)
{
	char target[4096];

	if (busy || !cfg.enabled[c] || !counting())
		return false;
	fd_target(fd, target, sizeof(target));
	return fail_here(c, func, target);
}

static bool fail_alloc(const char *func, size_t size)
{
	char target[32];

	if (busy || !cfg.enabled[C_ALLOC] || !counting())
		return false;
	snprintf(target, sizeof(target), "%zu", size);
	return fail_here(C_ALLOC, func, target);
}

/* --- set-up: main() is wrapped so that counting starts there ------------------ */

static void remember_fds(void)
{
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			cfg.fds_at_start[fd / 64] |= 1ULL << (fd % 64);
}

static void report_at_exit(void)
{
	char line[4200];
	DIR *d;

	__atomic_store_n(&cfg.started, false, __ATOMIC_RELEASE);
	__atomic_store_n(&cfg.armed, false, __ATOMIC_RELEASE);
	if (cfg.count_file[0]) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, cfg.count_file,
				      O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0) {
			snprintf(line, sizeof(line), "%lu\n", cfg.count);
			syscall(SYS_write, fd, line, strlen(line));
			syscall(SYS_close, fd);
		}
	}
	if (!cfg.fds_file[0])
		return;
	syscall(SYS_close, (int)syscall(SYS_openat, AT_FDCWD, cfg.fds_file,
					O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644));
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		char target[4096];
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fd < 1024 && (cfg.fds_at_start[fd / 64] & (1ULL << (fd % 64))))
			continue;
		fd_target(fd, target, sizeof(target));
		snprintf(line, sizeof(line), "%d %s\n", fd, target);
		append_line(cfg.fds_file, line);
	}
	closedir(d);
}

static void copy_env(const char *name, char *buf, size_t size)
{
	const char *v = getenv(name);

	snprintf(buf, size, "%s", v ? v : "");
}

static void configure(void)
{
	const char *calls = getenv("PT_FAIL_CALLS"), *v;

	for (int c = 0; c < C_COUNT; c++)
		cfg.enabled[c] = !calls || !*calls;
	while (calls && *calls) {
		size_t len = strcspn(calls, ",");

		for (int c = 0; c < C_COUNT; c++)
			if (strlen(classes[c].name) == len && !strncmp(calls, classes[c].name, len))
				cfg.enabled[c] = true;
		calls += len + (calls[len] == ',');
	}
	v = getenv("PT_FAIL_NTH");
	cfg.nth = v ? strtoul(v, NULL, 10) : 0;
	v = getenv("PT_FAIL_ERRNO");
	cfg.err = v ? atoi(v) : 0;
	v = getenv("PT_FAIL_PATH");
	cfg.path = v && *v ? strdup(v) : NULL;
	copy_env("PT_FAIL_COUNT", cfg.count_file, sizeof(cfg.count_file));
	copy_env("PT_FAIL_TRACE", cfg.trace_file, sizeof(cfg.trace_file));
	copy_env("PT_FAIL_LOG", cfg.log_file, sizeof(cfg.log_file));
	copy_env("PT_FAIL_FDS", cfg.fds_file, sizeof(cfg.fds_file));
	copy_env("PT_FAIL_ARM", cfg.arm_file, sizeof(cfg.arm_file));
	for (v = getenv("PT_FAIL_SKIP_IOCTL"); v && *v && cfg.n_skip_ioctl < MAX_SKIP_IOCTL;) {
		char *end;

		cfg.skip_ioctl[cfg.n_skip_ioctl++] = strtoul(v, &end, 0);
		if (end == v)
			break;
		v = end + (*end == ',');
	}
	if (cfg.trace_file[0])
		syscall(SYS_close, (int)syscall(SYS_openat, AT_FDCWD, cfg.trace_file,
						O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644));
	/* Not for the programs this one starts. */
	static const char *const vars[] = {
		"LD_PRELOAD", "PT_FAIL_CALLS", "PT_FAIL_NTH", "PT_FAIL_ERRNO", "PT_FAIL_PATH",
		"PT_FAIL_COUNT", "PT_FAIL_TRACE", "PT_FAIL_LOG", "PT_FAIL_FDS", "PT_FAIL_ARM",
		"PT_FAIL_SKIP_IOCTL",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static int wrapped_main(int argc, char **argv, char **envp)
{
	configure();
	remember_fds();
	atexit(report_at_exit);
	__atomic_store_n(&cfg.started, true, __ATOMIC_RELEASE);
	if (!cfg.arm_file[0])
		__atomic_store_n(&cfg.armed, true, __ATOMIC_RELEASE);
	return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void),
		      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	REAL(__libc_start_main);
	real_main = main;
	return real___libc_start_main(wrapped_main, argc, argv, init, fini, rtld_fini,
				      stack_end);
}

/* --- allocations ------------------------------------------------------------- */

void *malloc(size_t size)
{
	if (fail_alloc("malloc", size))
		return NULL;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	if (fail_alloc("calloc", n * size))
		return NULL;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	/* realloc(p, 0) frees: nothing to fail. */
	if (size && fail_alloc("realloc", size))
		return NULL;
	return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if (bytes && fail_alloc("reallocarray", bytes))
		return NULL;
	return __libc_realloc(p, bytes);
}

int posix_memalign(void **ret, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	if (fail_alloc("posix_memalign", size))
		return ENOMEM;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*ret = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	if (fail_alloc("aligned_alloc", size))
		return NULL;
	return __libc_memalign(align, size);
}

/* --- files ------------------------------------------------------------------- */

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static bool open_fails(const char *func, const char *path, int flags)
{
	return writes(flags) && fail_here(C_OPEN, func, path);
}

#define MODE_ARG(flags, mode)                             \
	do {                                              \
		if ((flags) & (O_CREAT | __O_TMPFILE)) { \
			va_list ap;                       \
			va_start(ap, flags);              \
			mode = va_arg(ap, mode_t);        \
			va_end(ap);                       \
		}                                         \
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	REAL(open);
	if (open_fails("open", path, flags))
		return -1;
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	REAL(open64);
	if (open_fails("open", path, flags))
		return -1;
	return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	REAL(openat);
	if (open_fails("openat", path, flags))
		return -1;
	return real_openat(dirfd, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
	REAL(creat);
	if (fail_here(C_OPEN, "creat", path))
		return -1;
	return real_creat(path, mode);
}

int mkostemp(char *tmpl, int flags)
{
	REAL(mkostemp);
	if (fail_here(C_OPEN, "mkostemp", tmpl))
		return -1;
	return real_mkostemp(tmpl, flags);
}

int mkstemp(char *tmpl)
{
	REAL(mkstemp);
	if (fail_here(C_OPEN, "mkstemp", tmpl))
		return -1;
	return real_mkstemp(tmpl);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(write);
	if (fail_fd(C_WRITE, "write", fd))
		return -1;
	return real_write(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite);
	if (fail_fd(C_WRITE, "pwrite", fd))
		return -1;
	return real_pwrite(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	REAL(writev);
	if (fail_fd(C_WRITE, "writev", fd))
		return -1;
	return real_writev(fd, iov, n);
}

int fsync(int fd)
{
	REAL(fsync);
	if (fail_fd(C_SYNC, "fsync", fd))
		return -1;
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	if (fail_fd(C_SYNC, "fdatasync", fd))
		return -1;
	return real_fdatasync(fd);
}

int ftruncate(int fd, off_t len)
{
	REAL(ftruncate);
	if (fail_fd(C_FS, "ftruncate", fd))
		return -1;
	return real_ftruncate(fd, len);
}

int fchmod(int fd, mode_t mode)
{
	REAL(fchmod);
	if (fail_fd(C_FS, "fchmod", fd))
		return -1;
	return real_fchmod(fd, mode);
}

int chmod(const char *path, mode_t mode)
{
	REAL(chmod);
	if (fail_here(C_FS, "chmod", path))
		return -1;
	return real_chmod(path, mode);
}

int unlink(const char *path)
{
	REAL(unlink);
	if (fail_here(C_FS, "unlink", path))
		return -1;
	return real_unlink(path);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	REAL(unlinkat);
	if (fail_here(C_FS, "unlinkat", path))
		return -1;
	return real_unlinkat(dirfd, path, flags);
}

int rename(const char *from, const char *to)
{
	REAL(rename);
	if (fail_here(C_FS, "rename", to))
		return -1;
	return real_rename(from, to);
}

int mkdir(const char *path, mode_t mode)
{
	REAL(mkdir);
	if (fail_here(C_FS, "mkdir", path))
		return -1;
	return real_mkdir(path, mode);
}

int rmdir(const char *path)
{
	REAL(rmdir);
	if (fail_here(C_FS, "rmdir", path))
		return -1;
	return real_rmdir(path);
}

int symlink(const char *target, const char *path)
{
	REAL(symlink);
	if (fail_here(C_FS, "symlink", path))
		return -1;
	return real_symlink(target, path);
}

int flock(int fd, int op)
{
	REAL(flock);
	if (!(op & LOCK_UN) && fail_fd(C_LOCK, "flock", fd))
		return -1;
	return real_flock(fd, op);
}

/* --- the kernel's other interfaces ------------------------------------------- */

int ioctl(int fd, unsigned long req, ...)
{
	char target[4200], path[4096];
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	REAL(ioctl);
	for (unsigned i = 0; i < cfg.n_skip_ioctl; i++)
		if (req == cfg.skip_ioctl[i])
			return real_ioctl(fd, req, arg);
	if (!busy && cfg.enabled[C_IOCTL] && counting()) {
		fd_target(fd, path, sizeof(path));
		snprintf(target, sizeof(target), "%s req=0x%lx", path, req);
		if (fail_here(C_IOCTL, "ioctl", target))
			return -1;
	}
	return real_ioctl(fd, req, arg);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	REAL(send);
	if (fail_fd(C_SEND, "send", fd))
		return -1;
	return real_send(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	REAL(sendto);
	if (fail_fd(C_SEND, "sendto", fd))
		return -1;
	return real_sendto(fd, buf, len, flags, to, tolen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	REAL(sendmsg);
	if (fail_fd(C_SEND, "sendmsg", fd))
		return -1;
	return real_sendmsg(fd, msg, flags);
}

int socket(int domain, int type, int proto)
{
	REAL(socket);
	if (fail_here(C_SOCKET, "socket", "-"))
		return -1;
	return real_socket(domain, type, proto);
}

int bind(int fd, const struct sockaddr *a, socklen_t len)
{
	REAL(bind);
	if (fail_here(C_SOCKET, "bind", "-"))
		return -1;
	return real_bind(fd, a, len);
}

int listen(int fd, int backlog)
{
	REAL(listen);
	if (fail_here(C_SOCKET, "listen", "-"))
		return -1;
	return real_listen(fd, backlog);
}

int connect(int fd, const struct sockaddr *a, socklen_t len)
{
	REAL(connect);
	if (fail_here(C_SOCKET, "connect", "-"))
		return -1;
	return real_connect(fd, a, len);
}

int accept4(int fd, struct sockaddr *a, socklen_t *len, int flags)
{
	REAL(accept4);
	if (fail_here(C_SOCKET, "accept4", "-"))
		return -1;
	return real_accept4(fd, a, len, flags);
}

int eventfd(unsigned int initval, int flags)
{
	REAL(eventfd);
	if (fail_here(C_EVENT, "eventfd", "-"))
		return -1;
	return real_eventfd(initval, flags);
}

int signalfd(int fd, const sigset_t *mask, int flags)
{
	REAL(signalfd);
	if (fail_here(C_EVENT, "signalfd", "-"))
		return -1;
	return real_signalfd(fd, mask, flags);
}

int epoll_create1(int flags)
{
	REAL(epoll_create1);
	if (fail_here(C_EVENT, "epoll_create1", "-"))
		return -1;
	return real_epoll_create1(flags);
}

int timerfd_create(int clock, int flags)
{
	REAL(timerfd_create);
	if (fail_here(C_EVENT, "timerfd_create", "-"))
		return -1;
	return real_timerfd_create(clock, flags);
}

int pipe2(int fds[2], int flags)
{
	REAL(pipe2);
	if (fail_here(C_EVENT, "pipe2", "-"))
		return -1;
	return real_pipe2(fds, flags);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	char target[4200], path[4096] = "anonymous";

	REAL(mmap);
	if (!busy && cfg.enabled[C_MMAP] && counting()) {
		if (fd >= 0)
			fd_target(fd, path, sizeof(path));
		snprintf(target, sizeof(target), "%s len=%zu", path, len);
		if (fail_here(C_MMAP, "mmap", target))
			return MAP_FAILED;
	}
	return real_mmap(addr, len, prot, flags, fd, off);
}

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	REAL(pthread_create);
	if (fail_here(C_THREAD, "pthread_create", "-"))
		return errno;
	return real_pthread_create(t, attr, fn, arg);
}
