/*
 * ro-root [--rw DIR]... PROGRAM [ARGS...]: runs PROGRAM natively with the
 * view of the file system that `runsc do` gives the sandbox: the host's
 * tree, every mount of it read-only. Each --rw DIR stays writable (a bind
 * mount of DIR on itself, made writable), as a read-write bind mount of DIR
 * does in the sandbox.
 *
 * It makes a private mount namespace (so nothing changes outside it),
 * remounts every mount read-only in place, keeping its other flags, and
 * execs the program. The runner uses it for the native side of the
 * compatibility suite so that both sides see EROFS for the same writes.
 * Needs CAP_SYS_ADMIN; exits 125 with a message when it cannot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "mountinfo.h"

/* The per-mount flags a bind remount must keep (statvfs's ST_* equal MS_*). */
static unsigned long kept_flags(const char *mp) {
  struct statvfs sv;
  if (statvfs(mp, &sv) != 0) return 0;
  return sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
}

int main(int argc, char **argv) {
  int first = 1;
  while (first + 1 < argc && strcmp(argv[first], "--rw") == 0) first += 2;
  if (first >= argc) {
    fprintf(stderr, "usage: ro-root [--rw DIR]... PROGRAM [ARGS...]\n");
    return 125;
  }
  if (unshare(CLONE_NEWNS) != 0) {
    fprintf(stderr, "ro-root: unshare(CLONE_NEWNS): %s\n", strerror(errno));
    return 125;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    fprintf(stderr, "ro-root: making / private: %s\n", strerror(errno));
    return 125;
  }
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL) {
    fprintf(stderr, "ro-root: /proc/self/mountinfo: %s\n", strerror(errno));
    return 125;
  }
  char line[8192];
  while (fgets(line, sizeof line, f) != NULL) {
    /* id parent major:minor root mountpoint ... */
    char *save = NULL, *field = strtok_r(line, " ", &save);
    for (int i = 0; i < 4 && field != NULL; i++) field = strtok_r(NULL, " ", &save);
    if (field == NULL) continue;
    unescape(field);
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(field);
    if (mount(NULL, field, NULL, flags, NULL) != 0 && strcmp(field, "/") == 0) {
      fprintf(stderr, "ro-root: remounting / read-only: %s\n", strerror(errno));
      return 125;
    }
  }
  fclose(f);
  for (int i = 1; i < first; i += 2) {
    const char *dir = argv[i + 1];
    /* The bind mount copies the read-only flag of the mount under it; the remount takes it off. */
    if (mount(dir, dir, NULL, MS_BIND, NULL) != 0 ||
        mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | kept_flags(dir), NULL) != 0) {
      fprintf(stderr, "ro-root: making %s writable: %s\n", dir, strerror(errno));
      return 125;
    }
  }
  execv(argv[first], argv + first);
  fprintf(stderr, "ro-root: exec %s: %s\n", argv[first], strerror(errno));
  return 127;
}
