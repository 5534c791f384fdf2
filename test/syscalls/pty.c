/*
 * Pseudo-terminals: /dev/ptmx and /dev/pts/N, the line discipline between
 * them (canonical lines, erase, kill, end of file, echo, CR to NL, NL to
 * CRNL), raw mode, the pty ioctls and what each end sees when the other
 * closes.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

/*
 * Linux moves bytes between the two ends in a work queue, a moment after
 * the write returns: every check of what arrived waits for it first.
 */
static int readable_within(int fd, int ms) {
  struct pollfd p = { fd, POLLIN, 0 };
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}
static int readable(int fd) { return readable_within(fd, 2000); }

/*
 * Reads what has arrived (the fd is non-blocking) until want bytes have, or
 * none come for 2 s; returns the length. want is what Linux delivers: a
 * fixed 20 ms for the rest to arrive after the first bytes was too short on
 * a loaded machine, where the work queue runs late.
 */
static int drain(int fd, char *buf, int size, int want) {
  int n = 0;
  while (n < want && n < size - 1 && readable(fd)) {
    int r = read(fd, buf + n, size - 1 - n);
    if (r <= 0) break;
    n += r;
  }
  buf[n] = 0;
  return n;
}

/* Reads and drops an echo, until what arrived ends with tail (bounded, 2 s). */
static void discard_echo(int fd, const char *tail) {
  char buf[256];
  int n = 0, t = strlen(tail);
  while (n < (int)sizeof buf - 1 && readable(fd)) {
    int r = read(fd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) break;
    n += r;
    if (n >= t && memcmp(buf + n - t, tail, t) == 0) return;
  }
}

/* Waits (bounded, 2 s) until FIONREAD counts want bytes, for the same reason. */
static void await_bytes(int fd, int want) {
  struct timespec nap = { 0, 1000000 };
  for (int i = 0; i < 2000; i++) {
    int avail = -1;
    if (ioctl(fd, FIONREAD, &avail) == 0 && avail >= want) return;
    nanosleep(&nap, NULL);
  }
}

static void show_bytes(const char *key, const char *buf, int n) {
  printf("%s=", key);
  for (int i = 0; i < n; i++) {
    unsigned char c = buf[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') putchar(c); else printf("\\x%02x", c);
  }
  printf("\n");
}

int main(void) {
  char buf[256];
  ABOUT("openat");
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
  FACT("ptmx_open", m >= 0);
  struct stat st;
  EQ("ptmx_fstat", fstat(m, &st), 0);
  FACT("ptmx_is_chr_5_2", S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 && minor(st.st_rdev) == 2);
  int n = -1;
  EQ("tiocgptn", ioctl(m, TIOCGPTN, &n), 0);
  FACT("ptn_nonneg", n >= 0);
  char *name = ptsname(m);
  FACT("ptsname_is_dev_pts", name != NULL && strncmp(name, "/dev/pts/", 9) == 0);
  int lock = -1;
  EQ("tiocgptlck", ioctl(m, TIOCGPTLCK, &lock), 0);
  EQ("locked_at_first", lock, 1);
  ERR("open_locked_slave", open(name, O_RDWR | O_NOCTTY), EIO);
  EQ("grantpt", grantpt(m), 0);
  EQ("unlockpt", unlockpt(m), 0);
  int s = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
  FACT("open_slave", s >= 0);
  EQ("slave_fstat", fstat(s, &st), 0);
  FACT("slave_is_chr_136", S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 && major(st.st_rdev) < 144);
  struct stat st2;
  EQ("slave_stat_path", stat(name, &st2), 0);
  FACT("slave_same_inode", st.st_ino == st2.st_ino);
  EQ("isatty_slave", isatty(s), 1);
  EQ("isatty_master", isatty(m), 1);
  ERR("slave_tiocgptn", ioctl(s, TIOCGPTN, &n), ENOTTY);

  /* The slave's termios starts as Linux's tty_std_termios. */
  struct termios t;
  EQ("tcgetattr_slave", tcgetattr(s, &t), 0);
  SHOW("slave_iflag", "%#o", t.c_iflag);
  SHOW("slave_oflag", "%#o", t.c_oflag);
  SHOW("slave_lflag", "%#o", t.c_lflag);
  SHOW("slave_cc", "%d %d %d %d %d %d %d", t.c_cc[VINTR], t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF], t.c_cc[VMIN], t.c_cc[VSUSP]);

  /* Canonical input: nothing until a line ends; CR becomes NL; echo comes back with NL as CRNL. */
  EQ("write_partial_line", write(m, "ab", 2), 2);
  EQ("slave_not_readable_yet", readable_within(s, 50), 0);
  ERR("slave_read_eagain", read(s, buf, sizeof buf), EAGAIN);
  EQ("write_rest_of_line", write(m, "c\r", 2), 2);
  EQ("slave_readable", readable(s), 1);
  int got = drain(s, buf, sizeof buf, 4);
  show_bytes("slave_line", buf, got);
  got = drain(m, buf, sizeof buf, 5);
  show_bytes("master_echo", buf, got);

  /* Erase and kill characters edit the pending line; two lines are read one at a time. */
  EQ("write_edits", write(m, "xy\x7fz\n", 5), 5);
  EQ("write_killed", write(m, "gone\x15kept\n", 10), 10);
  got = drain(s, buf, sizeof buf, 3);
  show_bytes("erased_line", buf, got);
  got = drain(s, buf, sizeof buf, 5);
  show_bytes("killed_line", buf, got);
  /* Their echo: ERASE rubs out one character, KILL (with ECHOK, ECHOKE, ECHOE) each of the line's ("\b \b"). */
  got = drain(m, buf, sizeof buf, 30);
  show_bytes("edit_echo", buf, got);
  /* ERASE and KILL on an empty line do nothing, not even echo; a control character echoed as ^X is rubbed out twice. */
  EQ("write_empty_edits", write(m, "\x7f\x15\x01\x7f\n", 5), 5);
  got = drain(s, buf, sizeof buf, 1);
  show_bytes("empty_edits_line", buf, got);
  got = drain(m, buf, sizeof buf, 10);
  show_bytes("empty_edits_echo", buf, got);
  /* Without ECHOKE, KILL echoes itself (^U) and a newline; without ECHOE, ERASE echoes itself (^?). */
  struct termios e = t;
  e.c_lflag &= ~ECHOKE;
  EQ("tcsetattr_no_echoke", tcsetattr(s, TCSANOW, &e), 0);
  EQ("write_kill_no_echoke", write(m, "ab\x15\n", 4), 4);
  got = drain(s, buf, sizeof buf, 1);
  show_bytes("kill_no_echoke_line", buf, got);
  got = drain(m, buf, sizeof buf, 8);
  show_bytes("kill_no_echoke_echo", buf, got);
  e.c_lflag &= ~ECHOE;
  EQ("tcsetattr_no_echoe", tcsetattr(s, TCSANOW, &e), 0);
  EQ("write_erase_no_echoe", write(m, "qr\x7f\n", 4), 4);
  got = drain(s, buf, sizeof buf, 2);
  show_bytes("erase_no_echoe_line", buf, got);
  got = drain(m, buf, sizeof buf, 6);
  show_bytes("erase_no_echoe_echo", buf, got);
  EQ("tcsetattr_restored", tcsetattr(s, TCSANOW, &t), 0);

  /* End of file: ^D on an empty line reads as 0 bytes; ^D after text ends that read without a newline. */
  EQ("write_eof_after_text", write(m, "ab\x04", 3), 3);
  got = drain(s, buf, sizeof buf, 2);
  show_bytes("eof_after_text", buf, got);
  EQ("write_eof_alone", write(m, "\x04", 1), 1);
  EQ("slave_read_eof", read(s, buf, sizeof buf), 0);
  discard_echo(m, "ab"); /* ^D is not echoed */

  /* Slave output: NL becomes CRNL on the master side (OPOST|ONLCR). */
  EQ("slave_write", write(s, "out\n", 4), 4);
  await_bytes(m, 5);
  int avail = -1;
  EQ("master_fionread", ioctl(m, FIONREAD, &avail), 0);
  EQ("master_fionread_bytes", avail, 5);
  got = drain(m, buf, sizeof buf, 5);
  show_bytes("master_reads", buf, got);

  /* Raw mode: bytes pass at once, no echo, no CR translation. */
  struct termios raw = t;
  cfmakeraw(&raw);
  EQ("tcsetattr_raw", tcsetattr(s, TCSANOW, &raw), 0);
  EQ("write_raw", write(m, "r\rx", 3), 3);
  await_bytes(s, 3);
  EQ("slave_fionread", ioctl(s, FIONREAD, &avail), 0);
  EQ("slave_fionread_bytes", avail, 3);
  got = drain(s, buf, sizeof buf, 3);
  show_bytes("raw_read", buf, got);
  EQ("raw_no_echo", readable_within(m, 50), 0);
  EQ("slave_write_raw", write(s, "a\nb", 3), 3);
  got = drain(m, buf, sizeof buf, 3);
  show_bytes("raw_output", buf, got);

  /* Window size round trip. */
  struct winsize ws = { 24, 80, 0, 0 }, ws2;
  EQ("tiocswinsz", ioctl(m, TIOCSWINSZ, &ws), 0);
  EQ("tiocgwinsz_slave", ioctl(s, TIOCGWINSZ, &ws2), 0);
  FACT("winsize_seen_by_slave", ws2.ws_row == 24 && ws2.ws_col == 80);
  ERR("tcgets_efault", ioctl(s, TCGETS, BAD_PTR), EFAULT);

  /* Closing the slave: the master reads EIO and polls as hung up. */
  EQ("close_slave", close(s), 0);
  readable(m);
  ERR("master_read_after_slave_close", read(m, buf, sizeof buf), EIO);
  struct pollfd p = { m, POLLIN, 0 };
  EQ("master_poll", poll(&p, 1, 0), 1);
  FACT("master_pollhup", (p.revents & POLLHUP) != 0);

  /* Closing the master: the slave reads end of file and writes fail; the pts entry goes. */
  int s2 = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
  FACT("reopen_slave", s2 >= 0);
  char path[64];
  snprintf(path, sizeof path, "%s", name);
  EQ("close_master", close(m), 0);
  EQ("slave_read_after_master_close", read(s2, buf, sizeof buf), 0);
  ERR("slave_write_after_master_close", write(s2, "x", 1), EIO);
  close(s2);
  ERR("pts_entry_gone", open(path, O_RDWR | O_NOCTTY), ENOENT);
  return compat_done();
}
