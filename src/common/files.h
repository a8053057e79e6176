/* Small filesystem helpers shared by the programs. */
#ifndef PT_COMMON_FILES_H
#define PT_COMMON_FILES_H

#include <stddef.h>

/* Creates the directories above path's last component (mode 0755). 0 or -errno. */
int pt_mkdir_parents(const char *path);

/*
 * Checks the directory holding path (a socket, a pidfile): it must be a directory
 * owned by root or by our effective user, and writable by nobody else, or another
 * user could replace what we create there. 0, or -ENOTDIR, -EPERM (another owner),
 * -EACCES (group- or world-writable) or another -errno, with what is wrong and how
 * to fix it in why.
 */
int pt_dir_check_private(const char *path, char *why, size_t why_size);

/*
 * The number at the end of the symbolic link at path (a PCI function's iommu_group
 * link: "../../../kernel/iommu_groups/12" gives 12). The number, or -errno.
 */
int pt_link_number(const char *path);

#endif
