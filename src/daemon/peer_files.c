/* peer_files.c - the HA peer's two files: the shared key (ha.key_file)
 * and the keepalived track_file weight (ha.weight_file). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filesafe.h"
#include "peer.h"

static int key_read(int fd, uint8_t *key, size_t *len)
{
	uint8_t buf[PEER_KEY_MAX + 1];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			n += (size_t)r;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n > PEER_KEY_MAX)
		return -EFBIG;
	memcpy(key, buf, n);
	memset(buf, 0, sizeof(buf));
	*len = n;
	return n < PEER_KEY_MIN ? -EINVAL : 0;
}

int peer_key_load(const char *path, uint8_t *key, size_t *key_len,
		  char *why, size_t why_len)
{
	struct stat st;
	int fd, rc;

	rc = filesafe_check(path, why, why_len);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(why, why_len, "cannot read the HA key '%s': %s", path,
			 strerror(-rc));
		goto out;
	}
	if (st.st_mode & 077) {
		rc = -EPERM;
		snprintf(why, why_len, "the HA key '%s' (mode %04o) is readable "
			 "by others than its owner; fix: chmod 600 %s", path,
			 (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	rc = key_read(fd, key, key_len);
	if (rc)
		snprintf(why, why_len, "the HA key '%s' %s", path,
			 rc == -EINVAL ? "is shorter than 16 bytes; make one with: "
			 "head -c 32 /dev/urandom | base64 > FILE" :
			 rc == -EFBIG ? "is longer than 1024 bytes" : strerror(-rc));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int peer_weight_write(const char *path, int weight)
{
	char tmp[4096];
	FILE *f;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", weight) < 0)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}
