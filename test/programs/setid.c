/* Set-user-ID and set-group-ID executables: execve gives the file's owner as
 * the effective uid (and its group as the effective gid when group execute is
 * set), saved ids follow the effective ones, AT_SECURE tells the new image;
 * no_new_privs and "#!" scripts keep the caller's ids. Run as root with a
 * directory where executables may be made (not nosuid); the same output is
 * expected natively and in the sandbox. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

static int report(const char *label) {
  uid_t r, e, s; gid_t rg, eg, sg;
  getresuid(&r, &e, &s); getresgid(&rg, &eg, &sg);
  printf("%s: uid=%u,%u,%u gid=%u,%u,%u fsuid=%d secure=%lu\n", label, r, e, s, rg, eg, sg,
         setfsuid(-1), getauxval(AT_SECURE));
  fflush(stdout);
  return 0;
}

static int copy(const char *from, const char *to) {
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (in < 0 || out < 0) return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) if (write(out, buf, n) != n) return -1;
  close(in); close(out);
  return n < 0 ? -1 : 0;
}

/* As an unprivileged user (3000:3000), exec path with argv[1] = label. */
static void run_as_user(const char *path, const char *label, int no_new_privs) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, NULL) || setresgid(3000, 3000, 3000) || setresuid(3000, 3000, 3000)) { perror("drop"); _exit(1); }
    if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("nnp"); _exit(1); }
    execl(path, path, label, (char *)NULL);
    printf("%s: exec failed\n", label);
    _exit(1);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("%s: exit=%d\n", label, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char **argv) {
  /* Run as a program (directly, or by a script's "#!" with the script's path first): the label is last. */
  if (argc >= 2 && strcmp(argv[1], "--dir") != 0) return report(argv[argc - 1]);
  if (argc != 3 || strcmp(argv[1], "--dir") != 0) { fprintf(stderr, "usage: setid --dir DIR\n"); return 2; }
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/setid-XXXXXX", argv[2]);
  char *dir = mkdtemp(tmpl);
  if (dir == NULL || chmod(dir, 0755)) { perror("mkdtemp"); return 1; }
  char suid[4200], sgid[4200], both[4200], plain[4200], script[4200];
  snprintf(suid, sizeof suid, "%s/suid", dir);
  snprintf(sgid, sizeof sgid, "%s/sgid", dir);
  snprintf(both, sizeof both, "%s/both", dir);
  snprintf(plain, sizeof plain, "%s/plain", dir);
  snprintf(script, sizeof script, "%s/script", dir);
  const char *targets[] = { suid, sgid, both, plain };
  for (int i = 0; i < 4; i++) if (copy("/proc/self/exe", targets[i])) { perror("copy"); return 1; }
  chown(suid, 1234, 0); chmod(suid, 04755);
  chown(sgid, 0, 2345); chmod(sgid, 02755);
  chown(both, 1234, 2345); chmod(both, 06755);
  /* Set-group-ID without group execute is mandatory locking's mark, not a set-gid program. */
  chown(plain, 1234, 2345); chmod(plain, 02745);
  FILE *f = fopen(script, "w");
  fprintf(f, "#!%s\n", plain);
  fclose(f);
  chown(script, 1234, 2345); chmod(script, 06755);
  struct stat st;
  stat(both, &st);
  printf("mode=%o owner=%u:%u\n", st.st_mode & 07777, st.st_uid, st.st_gid);
  report("root");
  run_as_user(suid, "suid", 0);
  run_as_user(sgid, "sgid", 0);
  run_as_user(both, "both", 0);
  run_as_user(plain, "sgid_no_gexec", 0);
  run_as_user(both, "no_new_privs", 1);
  run_as_user(script, "script", 0);
  for (int i = 0; i < 4; i++) unlink(targets[i]);
  unlink(script);
  rmdir(dir);
  return 0;
}
