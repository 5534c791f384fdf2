/*
 * flock(2): whole-file locks owned by the open file description.
 * compat: writable-dir (a lock file of its own: the static and dynamic runs go at once)
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig) { (void)sig; alarmed = 1; }

static int try_in_child(const char *path, int op) {
  /* A separate open in another process: its own description. */
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) _exit(100);
    int r = flock(fd, op);
    _exit(r == 0 ? 0 : errno == EWOULDBLOCK ? 1 : 2);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/lockfile", argv[2]);
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  OK("open", fd);
  int fd2 = open(path, O_RDONLY);
  OK("open_second", fd2);

  ERR("bad_op", flock(fd, 0), EINVAL);
  ERR("bad_op_3", flock(fd, LOCK_SH | LOCK_EX), EINVAL);
  ERR("bad_op_before_bad_fd", flock(-1, 0), EINVAL);
  ERR("bad_fd", flock(-1, LOCK_SH), EBADF);
  ERR("closed_fd", flock(999, LOCK_EX), EBADF);
  int opath = open(path, O_PATH);
  ERR("o_path", flock(opath, LOCK_SH), EBADF);
  EQ("unlock_unlocked", flock(fd, LOCK_UN), 0);

  EQ("ex", flock(fd, LOCK_EX), 0);
  EQ("ex_again", flock(fd, LOCK_EX), 0);
  ERR("second_open_ex_nb", flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  ERR("second_open_sh_nb", flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  EQ("child_ex_nb", try_in_child(path, LOCK_EX | LOCK_NB), 1);
  int dupfd = dup(fd);
  EQ("dup_shares_lock", flock(dupfd, LOCK_EX | LOCK_NB), 0);
  /* A fork shares the description: the child holds the same lock. */
  pid_t pid = fork();
  if (pid == 0) _exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
  int st = 0;
  waitpid(pid, &st, 0);
  EQ("fork_shares_lock", WEXITSTATUS(st), 0);
  /* fcntl locks are another world. */
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  fl.l_type = F_RDLCK;
  EQ("fcntl_lock_independent", fcntl(fd2, F_SETLK, &fl), 0);
  fl.l_type = F_UNLCK;
  fcntl(fd2, F_SETLK, &fl);

  /* Conversion to shared lets other shared locks in. */
  EQ("convert_sh", flock(fd, LOCK_SH), 0);
  EQ("second_open_sh", flock(fd2, LOCK_SH | LOCK_NB), 0);
  EQ("child_sh_nb", try_in_child(path, LOCK_SH | LOCK_NB), 0);
  ERR("convert_ex_blocked", flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  /* The failed conversion dropped the shared lock (it is not atomic): fd2's exclusive now succeeds once fd2 is alone. */
  EQ("second_convert_ex", flock(fd2, LOCK_EX | LOCK_NB), 0);
  EQ("second_unlock", flock(fd2, LOCK_UN), 0);

  /* Closing every fd of the description drops the lock. */
  EQ("relock_ex", flock(fd, LOCK_EX), 0);
  close(dupfd);
  ERR("still_held_after_dup_close", flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  close(fd);
  EQ("free_after_close", flock(fd2, LOCK_EX | LOCK_NB), 0);
  EQ("unlock_fd2", flock(fd2, LOCK_UN), 0);

  /* A blocking lock waits for the holder, in another process. */
  int p[2];
  if (pipe(p) != 0) return 1;
  EQ("holder_ex", flock(fd2, LOCK_SH), 0);
  pid = fork();
  if (pid == 0) {
    int cfd = open(path, O_RDWR);
    if (flock(cfd, LOCK_EX) != 0) _exit(2);
    /* Got it only after the parent unlocked: the parent wrote first. */
    char c = 0;
    _exit(read(p[0], &c, 1) == 1 && c == 'u' ? 0 : 3);
  }
  usleep(200 * 1000);
  EQ("child_still_waiting", waitpid(pid, &st, WNOHANG), 0);
  EQ("write_marker", write(p[1], "u", 1), 1);
  EQ("holder_unlock", flock(fd2, LOCK_UN), 0);
  waitpid(pid, &st, 0);
  EQ("blocked_child_got_lock", WIFEXITED(st) ? WEXITSTATUS(st) : 99, 0);
  /* The child's lock went with its exit. */
  EQ("free_after_child_exit", flock(fd2, LOCK_EX | LOCK_NB), 0);

  /* A signal ends the wait with EINTR when its handler does not ask for a restart. */
  EQ("holder_sh_again", flock(fd2, LOCK_SH), 0);
  pid = fork();
  if (pid == 0) {
    int cfd = open(path, O_RDONLY);
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    /* Every 100 ms, not once: a first alarm that comes before flock blocks (a loaded machine) would leave it waiting for ever. */
    ualarm(100 * 1000, 100 * 1000);
    int r = flock(cfd, LOCK_EX);
    _exit(r == -1 && errno == EINTR && alarmed ? 0 : 1);
  }
  waitpid(pid, &st, 0);
  EQ("eintr", WIFEXITED(st) ? WEXITSTATUS(st) : 99, 0);
  return compat_done();
}
