/* Small filesystem helpers shared by the programs. */
#ifndef PT_COMMON_FILES_H
#define PT_COMMON_FILES_H

/* Creates the directories above path's last component (mode 0755). 0 or -errno. */
int pt_mkdir_parents(const char *path);

#endif
