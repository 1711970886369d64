/* filesafe.h - is a config file safe to enforce?  Only if no one but its
 * trusted owner could have written it.
 *
 * segmentd runs as root and turns the config into the machine's network
 * segmentation: a config (or an include) that another user can write is
 * a way around every guardrail.  filesafe_check() refuses a file when
 *
 *   - it is not a regular file (a directory, a FIFO, a socket, a device);
 *   - it is owned by someone else than root (the trusted uids are root and
 *     the effective uid of this process, which is root for the daemon; a
 *     non-root run, e.g. a unit test or `segmentd --check` by an admin on
 *     a copy of their own, trusts its own files as well: trusting yourself
 *     gives no one else anything);
 *   - it is writable by its group or by others (whatever the group: a
 *     group-writable file is writable by every member);
 *   - a directory on its way from / is owned by an untrusted user, or is
 *     writable by its group or others without the sticky bit (then anyone
 *     there can replace the file; with the sticky bit, as /tmp, they
 *     cannot touch entries they do not own).
 *
 * A symbolic link is followed: the target and every directory above it
 * are checked, and so are the directories that hold the link.
 *
 * Pure apart from stat(2), realpath(3) and the user/group lookups for
 * the message; never logs.
 */
#ifndef SEGMENTD_FILESAFE_H
#define SEGMENTD_FILESAFE_H

#include <stddef.h>

/* Returns 0 when path is safe; -EPERM when it is not, with why set to the
 * reason ("writable by group 'staff'", "directory '/etc/segmentd' is
 * writable by others", "owned by 'nobody' (uid 65534), not by root", "not
 * a regular file (a FIFO)"); another -errno when it cannot be checked
 * (why says so: "cannot check: No such file or directory").  why gets at
 * most len bytes, NUL-terminated; it may be NULL when len is 0. */
int filesafe_check(const char *path, char *why, size_t len);

#endif
