// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco serve: the access token. 256 random bits as 64 hex digits, in a file that only its
 * owner and group leco may read. An existing file that others may read is refused (the token
 * would open the server to them); a missing one is made, with the directories above it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"

int web_token_default_path(char *buf, size_t size)
{
	const char *sd = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (sd && sd[0]) /* systemd: StateDirectory= (the first one when there are several) */
		n = snprintf(buf, size, "%.*s/token", (int)strcspn(sd, ":"), sd);
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/leco/serve.token", xdg);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.local/state/leco/serve.token", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool token_ok(const char *t)
{
	if (strlen(t) != WEB_TOKEN_LEN)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int read_token(int fd, const char *path, char token[WEB_TOKEN_LEN + 1], char *msg,
		      size_t msgsz)
{
	struct stat st;
	char buf[WEB_TOKEN_LEN + 8];
	ssize_t n;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msgsz, "token file %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & 0007) {
		snprintf(msg, msgsz,
			 "token file %s: readable by others (mode %03o): make it 0640 root:leco "
			 "(chmod o-rwx)",
			 path, (unsigned int)(st.st_mode & 0777));
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		snprintf(msg, msgsz, "token file %s: %s", path, strerror(errno));
		return -errno;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	if (!token_ok(buf)) {
		snprintf(msg, msgsz,
			 "token file %s: want %d lower-case hex digits on its first line "
			 "(delete it to have a new one made)",
			 path, WEB_TOKEN_LEN);
		return -EINVAL;
	}
	memcpy(token, buf, WEB_TOKEN_LEN + 1);
	return 0;
}

/* mkdir -p of the directories above `path`, 0750 */
static void make_parents(const char *path)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(dir, 0750);
		*p = '/';
	}
}

static int make_token(const char *path, char token[WEB_TOKEN_LEN + 1], char *msg, size_t msgsz)
{
	unsigned char rnd[WEB_TOKEN_LEN / 2];
	struct group *g = getgrnam("leco");
	char tmp[4200];
	int fd, err = 0;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(msg, msgsz, "cannot make a token: getrandom: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	make_parents(path);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(msg, msgsz, "cannot make token file %s: %s", path, strerror(errno));
		return -errno;
	}
	/* group leco may read it when we may give it that group; else only we may */
	if (!g || fchown(fd, (uid_t)-1, g->gr_gid) < 0 || fchmod(fd, 0640) < 0)
		fchmod(fd, 0600);
	if (dprintf(fd, "%s\n", token) != WEB_TOKEN_LEN + 1 || fsync(fd) < 0)
		err = errno ? errno : EIO;
	close(fd);
	/* link(), not rename(): a token another server made meanwhile wins */
	if (!err && link(tmp, path) < 0)
		err = errno;
	unlink(tmp);
	if (err == EEXIST)
		return -EEXIST;
	if (err) {
		snprintf(msg, msgsz, "cannot make token file %s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

int web_token_load(const char *path, char token[WEB_TOKEN_LEN + 1], char *msg, size_t msgsz)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r;

		if (fd >= 0) {
			r = read_token(fd, path, token, msg, msgsz);
			close(fd);
			return r;
		}
		if (errno != ENOENT) {
			snprintf(msg, msgsz, "token file %s: %s", path, strerror(errno));
			return -errno;
		}
		if ((r = make_token(path, token, msg, msgsz)) != -EEXIST)
			return r;
	}
	snprintf(msg, msgsz, "token file %s: keeps appearing and vanishing", path);
	return -EAGAIN;
}
