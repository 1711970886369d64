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
 *   - it is writable by others, or by a group other than root (gid 0):
 *     the rule of sudo for sudoers, so that a tree a root user unpacked
 *     from a release tarball (files 0664, directories 0775, root:root)
 *     is accepted as it is, while a group of users never is;
 *   - a directory on its way from / is owned by an untrusted user, or is
 *     writable by others or by a group other than root, without the
 *     sticky bit (then anyone there can replace the file; with the sticky
 *     bit, as /tmp, they cannot touch entries they do not own).
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

/* Returns 0 when path is safe; -EPERM when it is not, with why set to one
 * sentence that names the full path, its owner:group and mode, what is
 * wrong, the rule and the command that fixes it:
 *   '/srv/s.conf' (root:staff 0664) is writable by group 'staff'; only
 *   root may write ...; fix: chmod g-w /srv/s.conf
 * (a directory: "directory '/srv' (...) above '/srv/s.conf' is ...");
 * another -errno when it cannot be checked, why saying which directory
 * stopped it ("cannot check 'conf/x.conf' (Permission denied): directory
 * '/root' (root:root 0700) cannot be entered by user 'nobody' ...").  why
 * gets at most len bytes, NUL-terminated; it may be NULL when len is 0. */
int filesafe_check(const char *path, char *why, size_t len);

#endif
