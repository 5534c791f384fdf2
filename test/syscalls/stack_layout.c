/* The initial stack execve builds, as Linux lays it out: argv strings in
 * ascending order, the envp strings right after them, then the path given to
 * execve (AT_EXECFN), then a NULL word ending the stack. Programs depend on
 * it: libuv (Node's process.title) takes the end of argv[argc-1] minus
 * argv[0] as the argv area it may overwrite. Each check runs in a child
 * started by execve with known arguments and environment. */
#include "lib/compat.h"
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/wait.h>

extern char **environ;

static int child(int argc, char **argv) {
  ABOUT("execve");
  int ascending = 1, contiguous = 1;
  for (int i = 1; i < argc; i++) {
    ascending &= argv[i] > argv[i - 1];
    contiguous &= argv[i] == argv[i - 1] + strlen(argv[i - 1]) + 1;
  }
  FACT("argv_ascending", ascending);
  FACT("argv_contiguous", contiguous);
  int n = 0, ours = 0;
  while (environ[n] != NULL) ours += strncmp(environ[n++], "COMPAT_", 7) != 0;
  EQ("envc_given", ours, 3);
  FACT("envp_after_argv", n > 0 && environ[0] == argv[argc - 1] + strlen(argv[argc - 1]) + 1);
  int env_contiguous = 1;
  for (int i = 1; i < n; i++) env_contiguous &= environ[i] == environ[i - 1] + strlen(environ[i - 1]) + 1;
  FACT("envp_contiguous", env_contiguous);
  const char *execfn = (const char *)getauxval(AT_EXECFN);
  FACT("execfn_after_envp", n > 0 && execfn == environ[n - 1] + strlen(environ[n - 1]) + 1);
  FACT("execfn_is_path", execfn != NULL && strcmp(execfn, "/proc/self/exe") == 0);
  /* The word after the path's NUL is zero and ends the mapping (reading the next page would fault). */
  const char *end = execfn + strlen(execfn) + 1;
  FACT("null_word_at_top", *(const uint64_t *)end == 0);
  FACT("top_is_page_end", ((uintptr_t)end + 8) % 4096 == 0);
  FACT("strings_above_vectors", (char *)argv < argv[0] && (char *)environ < argv[0]);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child(argc, argv);
  char *args[] = { argv[0], "--child", "a", "", "bb", "the last argument", NULL };
  /* The runner's COMPAT_* variables go along, so the child's cases are attributed too. */
  char *env[16] = { "A=1", "EMPTY=", "LONGER=some value" };
  int ne = 3;
  for (char **e = environ; *e != NULL && ne < 15; e++) if (strncmp(*e, "COMPAT_", 7) == 0) env[ne++] = *e;
  env[ne] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    execve("/proc/self/exe", args, env);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  ABOUT("wait4");
  EQ("child_exit", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), 0);
  return compat_done();
}
