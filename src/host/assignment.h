/* Reading passthru's own record of an assignment (host/state_paths.h). */
#ifndef PT_HOST_ASSIGNMENT_H
#define PT_HOST_ASSIGNMENT_H

/* SYSROOT + PT_DEVICE_STATE_DIR/<bdf_name>.json. 0 or -ENOMEM. */
int pt_assignment_path(const char *sysroot, const char *bdf_name, char **ret);

/*
 * The VM the record at `path` names. Returns 0 and the name, -ENOENT when there is no
 * record, -EBADMSG when the record is not the documented JSON object (*ret_why then
 * says what is wrong), or another -errno from reading it.
 */
int pt_assignment_read(const char *path, char **ret_vm, const char **ret_why);

#endif
