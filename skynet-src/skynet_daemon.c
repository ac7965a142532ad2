/* Daemon mode: detach from the terminal and keep a locked pid file. */
#include "skynet_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int running_pid(const char *pidfile) {
	FILE *f = fopen(pidfile, "r");
	if (f == NULL)
		return 0;
	int pid = 0;
	int n = fscanf(f, "%d", &pid);
	fclose(f);
	if (n != 1 || pid == 0 || pid == getpid())
		return 0;
	if (kill(pid, 0) && errno == ESRCH)
		return 0;
	return pid;
}

/*
 * Opens and locks the pid file: done before daemon() forks, so a pid file
 * the node cannot have is reported by the process that was started, with
 * exit status 1 (the fork's parent exits 0).  The lock belongs to the open
 * file, which the daemon inherits.  Returns the file or NULL.
 */
static FILE *lock_pidfile(const char *pidfile) {
	int fd = open(pidfile, O_RDWR | O_CREAT, 0644);
	if (fd == -1) {
		fprintf(stderr, "error: cannot create pid file %s: %s\n", pidfile, strerror(errno));
		return NULL;
	}
	FILE *f = fdopen(fd, "r+");
	if (f == NULL) {
		fprintf(stderr, "error: cannot open pid file %s: %s\n", pidfile, strerror(errno));
		close(fd);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int pid = 0;
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
		fprintf(stderr, "error: pid file %s is locked by process %d\n", pidfile, pid);
		return NULL;
	}
	return f;
}

/* f stays open for the life of the process: it holds the lock */
static int write_pid(FILE *f, const char *pidfile) {
	if (ftruncate(fileno(f), 0) == -1 || fprintf(f, "%d\n", (int)getpid()) <= 0 || fflush(f) != 0) {
		fprintf(stderr, "error: cannot write pid file %s: %s\n", pidfile, strerror(errno));
		return 0;
	}
	return 1;
}

static int redirect_fds(void) {
	int nfd = open("/dev/null", O_RDWR);
	if (nfd == -1) {
		perror("cannot open /dev/null");
		return -1;
	}
	if (dup2(nfd, 0) < 0 || dup2(nfd, 1) < 0 || dup2(nfd, 2) < 0) {
		perror("cannot redirect the standard streams");
		close(nfd);
		return -1;
	}
	close(nfd);
	return 0;
}

int daemon_init(const char *pidfile) {
	int pid = running_pid(pidfile);
	if (pid) {
		fprintf(stderr, "error: skynet is already running, pid = %d\n", pid);
		return 1;
	}
	FILE *f = lock_pidfile(pidfile);
	if (f == NULL)
		return 1;
	if (daemon(1, 1)) {
		fprintf(stderr, "error: cannot daemonize: %s\n", strerror(errno));
		fclose(f);
		return 1;
	}
	if (write_pid(f, pidfile) == 0)
		return 1;
	if (redirect_fds())
		return 1;
	return 0;
}

int daemon_exit(const char *pidfile) {
	return unlink(pidfile);
}
