/*
 * Editing a VM definition in place: passthru-ctl attach and detach on a VM that
 * is not running add or remove one [device DDDD:BB:DD.F] section. Every byte the
 * edit does not concern stays as it was: comments (';' and '#'), blank lines,
 * indentation, CRLF line ends, a byte order mark, a missing final newline.
 *
 * An edit is all or nothing:
 *  - The definition is locked while it is edited: flock(LOCK_EX) on the file
 *    itself, opened before it is read. An edit that finds it locked waits (up to
 *    PT_VM_EDIT_LOCK_WAIT_MS); if the file it locked has been replaced by the
 *    time it holds the lock (another edit committed), it opens the new file and
 *    locks that instead. So the text edited is always the latest, and two
 *    concurrent edits both land. Nothing else is created for the lock.
 *  - The new text is written to DIR/.BASE.edit-XXXXXX/NAME.conf (a private
 *    directory next to the file the path resolves to; BASE is that file's name,
 *    NAME.conf the name in the path as given, so the loader's name check is the
 *    one the definition faces), with the file's mode and, when run as root, its
 *    owner and group; then fsync.
 *  - The new file must load with pt_vm_def_load, or the edit is refused and the
 *    definition is left untouched.
 *  - It is renamed over the file the path resolves to (a symbolic link stays a
 *    link), the private directory removed, the directory fsync'ed.
 * After any failure nothing is left behind, except the private directory when
 * the process dies in the middle (a dot file: the config directory's readers
 * skip it).
 *
 * Every failure appends at least one "FILE:LINE: message" to errs, FILE being
 * the path as given; the functions return:
 *   0        done
 *   -EEXIST  add: the file already has a section for that device
 *   -ESRCH   remove: the file has no section for that device
 *   -EINVAL  the result would not be a valid definition (or another error of
 *            pt_vm_def_load, e.g. -EPERM run as root on a file root does not own,
 *            -EFBIG past PT_CONFIG_FILE_MAX): when the file is invalid as it is,
 *            errs has its problems at its own lines, else the problems of the
 *            edited text
 *   -EBUSY   another edit held the lock for PT_VM_EDIT_LOCK_WAIT_MS
 *   -ENOENT, -EACCES, -EISDIR, -EROFS, -ENOSPC, -EIO, ...: reading, writing or
 *            replacing the file failed
 *   -ENOMEM
 *
 * A device's section is found by its address in any spelling pt_bdf_parse takes
 * (upper-case hex, no domain) and any header layout the parser takes (blanks
 * inside the brackets, a comment after them), so a detach also removes a
 * section the loader refuses as "write it as 0000:03:00.0".
 *
 * These functions do not know whether the VM runs: the caller checks that. A
 * running VMM does not read its definition again.
 */
#ifndef PT_CONFIG_VM_EDIT_H
#define PT_CONFIG_VM_EDIT_H

#include "common/bdf.h"
#include "config/vm_def.h"

/* How long an edit waits for another edit of the same file to finish. */
#define PT_VM_EDIT_LOCK_WAIT_MS 5000

/*
 * Appends a section for bdf at the end of the file at path:
 *
 *   [device 0000:03:00.0]
 *   guest-slot = 3
 *
 * with guest-slot only when guest_slot >= 0, and nothing else (every other key
 * takes its default). A blank line goes before it unless the file is empty or
 * already ends with one; a last line without a newline gets one first. Lines end
 * as the file's last line end does (CRLF or LF; LF in a file with none).
 */
int pt_vm_edit_add_device(const char *path, const struct pt_bdf *bdf, int guest_slot,
			  struct pt_config_errors *errs);

/*
 * Removes the section for bdf (every section for it, should the file list it
 * twice) and the lines that belong to it. A comment belongs to what it touches,
 * a blank line sets things apart:
 *  - the comment lines directly above its header (up to a blank line, a key or
 *    another header) are about it and go;
 *  - its header and every line after it up to the next header or the end of the
 *    file go, except the comment and blank lines at the end of that stretch:
 *    there, the comment lines that directly follow its last line go only when a
 *    blank line comes after them, or at the end of the file; the rest stays (the
 *    comment lines directly above the next header are about that one, those a
 *    blank line sets apart are about what follows or the file as a whole);
 *  - of the blank lines around what goes, one run stays, so that no separator
 *    is doubled or lost: the run before it, or the run after it when there is
 *    none before; none at the start of the file; at the end of the file (when
 *    only blank lines follow it), the run after it.
 * The inverse of pt_vm_edit_add_device: add then remove gives the file back
 * byte for byte (if it ended with a newline and not with a blank line).
 */
int pt_vm_edit_remove_device(const char *path, const struct pt_bdf *bdf,
			     struct pt_config_errors *errs);

#endif
