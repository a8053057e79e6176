/*
 * passthru's records of the host changes it makes to PCI functions, and the
 * per-function lock that serializes those changes. This file is the one owner of
 * the state directory: devices, prepare, release, recover, stop and attach all go
 * through it.
 *
 * Where: pt_run_dir()/devices/ (common/run_dir.h: $PASSTHRU_RUN_DIR, else
 * RUNSTATEDIR/passthru, i.e. /run/passthru/devices). A tmpfs on purpose: a reboot
 * gives every device back to the kernel, so the records must not outlive it.
 *
 * BDF.json, one per function passthru has touched, named by its canonical address
 * ("0000:03:00.0.json"). Written whole to a temporary file in the same directory,
 * fsync'ed, renamed over the old one and the directory fsync'ed: a reader sees the
 * old record or the new one, never half of one. One JSON object:
 *
 *   "bdf"               the canonical address (string, equal to the file name's)
 *   "phase"             "preparing": a prepare is under way or was interrupted;
 *                       "prepared": the function is on vfio-pci, by passthru's doing;
 *                       "releasing": a release is under way or was interrupted
 *   "vm"                the VM it is assigned to, or null when it is only prepared
 *   "backend"           "vfio" (the only one that prepares today) or "legacy"
 *   "original_driver"   the host driver bound before prepare (string), or null:
 *                       none was bound, and release leaves the function unbound
 *   "original_override" driver_override before prepare (string), or null when it
 *                       read "(null)"; release writes it back
 *   "steps"             the steps of the current phase in order, each an object
 *                       {"step": NAME, "done": bool}: a step is appended with
 *                       "done": false before its sysfs write and set to true after
 *                       it is verified. Prepare: "load-vfio-pci", "unbind",
 *                       "override", "probe"; release: "unbind", "override", "rebind".
 *   "command", "pid"    the passthru-ctl command and process that wrote it last
 *
 * Readers ignore keys they do not know. A record with "phase" other than
 * "prepared" whose lock nobody holds was left by a crash: passthru-ctl recover
 * puts the function back as the "original_*" keys say and removes the record.
 *
 * BDF.lock is the function's lock: whoever changes the function or its record holds
 * flock(LOCK_EX) on it, and writes "COMMAND PID VM" in it so that a loser can name
 * the holder. The holder removes it before letting go; a crash leaves it unlocked,
 * and the next locker reuses it.
 */
#ifndef PT_HOST_STATE_H
#define PT_HOST_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/bdf.h"

#define PT_STATE_SUBDIR "devices"
#define PT_STATE_SUFFIX ".json"
#define PT_STATE_LOCK_SUFFIX ".lock"
#define PT_STATE_MAX_STEPS 8

enum pt_state_phase {
	PT_PHASE_PREPARING,
	PT_PHASE_PREPARED,
	PT_PHASE_RELEASING,
};

struct pt_state_step {
	const char *name; /* static: one of the step names above */
	bool done;
};

struct pt_state_record {
	char bdf[PT_BDF_STRLEN];
	enum pt_state_phase phase;
	char *vm;                /* NULL: prepared, not assigned */
	char *backend;           /* never NULL once read */
	char *original_driver;   /* NULL: none was bound */
	char *original_override; /* NULL: "(null)" */
	size_t n_steps;
	struct pt_state_step steps[PT_STATE_MAX_STEPS];
	char *command;           /* may be NULL */
	pid_t pid;
};

/* pt_run_dir()/devices. 0 or -ENOMEM. */
int pt_state_dir(char **ret);

/* pt_run_dir()/devices/BDF.json. 0 or -ENOMEM. */
int pt_state_path(const char *bdf, char **ret);

/*
 * Reads the record of bdf. 0; -ENOENT when there is none; -EBADMSG when it is not the
 * documented object (*ret_why then says what is wrong, static text); another -errno.
 */
int pt_state_read(const char *bdf, struct pt_state_record **ret, const char **ret_why);

/* Writes rec atomically (see above), creating the directory. 0 or -errno. */
int pt_state_write(const struct pt_state_record *rec);

/* Removes the record of bdf (absent is fine) and syncs the directory. 0 or -errno. */
int pt_state_remove(const char *bdf);

/*
 * The functions that have a record or a lock file, sorted, as canonical BDF names
 * (each PT_BDF_STRLEN bytes). An absent directory gives none. 0 or -errno.
 */
int pt_state_list(char (**ret)[PT_BDF_STRLEN], size_t *ret_n);

/* Appends step name, not done. -ENOSPC past PT_STATE_MAX_STEPS. */
int pt_state_step_begin(struct pt_state_record *rec, const char *name);
/* Marks the last step done. */
void pt_state_step_done(struct pt_state_record *rec);
/* True if the record has a step of that name begun (done or not). */
bool pt_state_step_begun(const struct pt_state_record *rec, const char *name);

const char *pt_state_phase_name(enum pt_state_phase p);

void pt_state_record_free(struct pt_state_record *rec);

/* Who holds a function's lock, as the holder wrote it. */
struct pt_state_holder {
	char command[32]; /* "" when the holder has not written it yet */
	pid_t pid;        /* 0 when unknown */
	char vm[128];     /* "" when none */
};

struct pt_state_lock {
	int fd;
	char *path;
};

/*
 * Takes bdf's lock without waiting and writes "command pid vm" into it (vm may be
 * NULL). 0 with *ret filled; -EBUSY when another process holds it (*ret_holder says
 * who, as far as it wrote it); another -errno.
 */
int pt_state_lock(const char *bdf, const char *command, const char *vm,
		  struct pt_state_lock *ret, struct pt_state_holder *ret_holder);

/* Removes the lock file and lets go. A zeroed or already released lock is fine. */
void pt_state_unlock(struct pt_state_lock *l);

/* "prepare (pid 1234, VM web)" into buf, for messages naming a holder. */
const char *pt_state_holder_describe(const struct pt_state_holder *h, char *buf, size_t size);

#endif
