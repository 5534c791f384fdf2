/*
 * sendfile, copy_file_range, splice, tee and vmsplice: counts, offsets
 * (the pointer's or the file's), pipes on either side, and the errors.
 * compat: writable-dir
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

static char buf[8192];

static const char *slurp(int fd, size_t n) {
  memset(buf, 0, sizeof buf);
  ssize_t r = read(fd, buf, n);
  if (r < 0) return "ERR";
  for (ssize_t i = 0; i < r; i++) if (buf[i] == '\n') buf[i] = '|';
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  char src[4096], dst[4096];
  snprintf(src, sizeof src, "%s/src", argv[2]);
  snprintf(dst, sizeof dst, "%s/dst", argv[2]);
  int s = open(src, O_RDWR | O_CREAT | O_TRUNC, 0644);
  EQ("write_src", write(s, "0123456789abcdefghij", 20), 20);
  int d = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);

  /* sendfile. */
  EQ("lseek_src", lseek(s, 5, SEEK_SET), 5);
  EQ("sendfile_cur", sendfile(d, s, NULL, 4), 4);
  EQ("src_offset_moved", lseek(s, 0, SEEK_CUR), 9);
  off_t off = 15;
  EQ("sendfile_off", sendfile(d, s, &off, 100), 5);
  EQ("off_updated", off, 20);
  EQ("src_offset_kept", lseek(s, 0, SEEK_CUR), 9);
  EQ("sendfile_eof", sendfile(d, s, &off, 10), 0);
  EQ("sendfile_zero", sendfile(d, s, NULL, 0), 0);
  SHOW("dst_after_sendfile", "%s", (lseek(d, 0, SEEK_SET), slurp(d, 100)));
  off = -1;
  ERR("sendfile_negative_off", sendfile(d, s, &off, 4), EINVAL);
  ERR("sendfile_bad_in", sendfile(d, -1, NULL, 4), EBADF);
  ERR("sendfile_bad_out", sendfile(-1, s, NULL, 4), EBADF);
  ERR("sendfile_bad_offptr", syscall(SYS_sendfile, d, s, BAD_PTR, 4), EFAULT);
  int wo = open(src, O_WRONLY);
  ERR("sendfile_in_write_only", sendfile(d, wo, NULL, 4), EBADF);
  int ro = open(dst, O_RDONLY);
  ERR("sendfile_out_read_only", sendfile(ro, s, NULL, 4), EBADF);
  int ap = open(dst, O_WRONLY | O_APPEND);
  ERR("sendfile_out_append", sendfile(ap, s, NULL, 4), EINVAL);
  int p[2], q[2];
  OK("pipe", pipe(p));
  OK("pipe2", pipe(q));
  off = 0;
  EQ("sendfile_to_pipe", sendfile(p[1], s, &off, 6), 6);
  SHOW("pipe_got", "%s", slurp(p[0], 6));
  EQ("pipe_write", write(p[1], "xyz", 3), 3);
  ERR("sendfile_from_pipe", sendfile(d, p[0], NULL, 3), EINVAL);
  ERR("sendfile_from_pipe_off", sendfile(d, p[0], &off, 3), ESPIPE);
  slurp(p[0], 3);

  /* copy_file_range. */
  loff_t in = 0, out = 100;
  EQ("cfr", copy_file_range(s, &in, d, &out, 10, 0), 10);
  EQ("cfr_in", in, 10);
  EQ("cfr_out", out, 110);
  EQ("cfr_eof", copy_file_range(s, &in, d, &out, 100, 0), 10);
  EQ("cfr_at_eof", copy_file_range(s, &in, d, &out, 100, 0), 0);
  EQ("lseek_s0", lseek(s, 2, SEEK_SET), 2);
  EQ("lseek_d", lseek(d, 0, SEEK_END), 120);
  EQ("cfr_file_offsets", copy_file_range(s, NULL, d, NULL, 3, 0), 3);
  EQ("cfr_s_offset", lseek(s, 0, SEEK_CUR), 5);
  EQ("cfr_d_offset", lseek(d, 0, SEEK_CUR), 123);
  char got[32] = {0};
  EQ("pread_copied", pread(d, got, 23, 100), 23);
  SHOW("copied", "%s", got);
  ERR("cfr_flags", copy_file_range(s, NULL, d, NULL, 3, 1), EINVAL);
  ERR("cfr_pipe", copy_file_range(p[0], NULL, d, NULL, 3, 0), EINVAL);
  int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
  ERR("cfr_dir", copy_file_range(dir, NULL, d, NULL, 3, 0), EISDIR);
  ERR("cfr_append", copy_file_range(s, NULL, ap, NULL, 3, 0), EBADF);
  ERR("cfr_read_only_out", copy_file_range(s, NULL, ro, NULL, 3, 0), EBADF);
  in = 0; out = 5;
  ERR("cfr_overlap", copy_file_range(s, &in, s, &out, 10, 0), EINVAL);
  in = 0; out = 30;
  EQ("cfr_same_file", copy_file_range(s, &in, s, &out, 10, 0), 10);
  in = -1;
  ERR("cfr_negative", copy_file_range(s, &in, d, NULL, 10, 0), EOVERFLOW);
  ERR("cfr_bad_fd", copy_file_range(-1, NULL, d, NULL, 3, 0), EBADF);

  /* splice. */
  loff_t so = 0;
  EQ("splice_file_to_pipe", splice(s, &so, p[1], NULL, 7, 0), 7);
  EQ("splice_so", so, 7);
  EQ("splice_pipe_to_pipe", splice(p[0], NULL, q[1], NULL, 4, 0), 4);
  SHOW("q_got", "%s", slurp(q[0], 4));
  loff_t dofs = 200;
  EQ("splice_pipe_to_file", splice(p[0], NULL, d, &dofs, 100, 0), 3);
  EQ("splice_dofs", dofs, 203);
  memset(got, 0, sizeof got);
  EQ("pread_spliced", pread(d, got, 3, 200), 3);
  SHOW("spliced", "%s", got);
  ERR("splice_empty_nonblock", splice(p[0], NULL, d, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
  EQ("splice_zero_len", splice(-1, NULL, -1, NULL, 0, 0), 0);
  ERR("splice_bad_flags", splice(p[0], NULL, d, NULL, 10, 0x100), EINVAL);
  ERR("splice_no_pipe", splice(s, NULL, d, NULL, 10, 0), EINVAL);
  ERR("splice_pipe_offset", splice(p[0], &so, d, NULL, 10, 0), ESPIPE);
  ERR("splice_same_pipe", splice(p[0], NULL, p[1], NULL, 10, 0), EINVAL);
  ERR("splice_bad_fd", splice(-1, NULL, p[1], NULL, 10, 0), EBADF);
  ERR("splice_to_append", (write(p[1], "a", 1), splice(p[0], NULL, ap, NULL, 10, 0)), EINVAL);
  ERR("splice_wrong_direction", splice(p[1], NULL, d, NULL, 10, 0), EBADF);
  slurp(p[0], 1);
  /* A pipe whose writers are gone: end of file. */
  int r[2];
  OK("pipe3", pipe(r));
  close(r[1]);
  EQ("splice_eof", splice(r[0], NULL, d, NULL, 10, 0), 0);

  /* tee: copies without consuming. */
  EQ("write_p", write(p[1], "teedata", 7), 7);
  EQ("tee", tee(p[0], q[1], 100, 0), 7);
  SHOW("tee_copy", "%s", slurp(q[0], 100));
  SHOW("tee_original", "%s", slurp(p[0], 100));
  ERR("tee_empty_nonblock", tee(p[0], q[1], 100, SPLICE_F_NONBLOCK), EAGAIN);
  ERR("tee_same", tee(p[0], p[1], 100, 0), EINVAL);
  ERR("tee_file", tee(s, q[1], 100, 0), EINVAL);
  EQ("tee_zero", tee(s, q[1], 0, 0), 0);
  ERR("tee_flags", tee(p[0], q[1], 100, 0x100), EINVAL);
  EQ("tee_eof", tee(r[0], q[1], 100, 0), 0);

  /* vmsplice. */
  struct iovec v[2] = {{"vm", 2}, {"splice", 6}};
  EQ("vmsplice_in", vmsplice(p[1], v, 2, 0), 8);
  char a[4] = {0}, b[8] = {0};
  struct iovec rv[2] = {{a, 3}, {b, 5}};
  EQ("vmsplice_out", vmsplice(p[0], rv, 2, 0), 8);
  SHOW("vmsplice_bytes", "%.3s%.5s", a, b);
  ERR("vmsplice_file", vmsplice(s, v, 2, 0), EBADF);
  ERR("vmsplice_flags", vmsplice(p[1], v, 2, 0x100), EINVAL);
  ERR("vmsplice_empty_nonblock", vmsplice(p[0], rv, 2, SPLICE_F_NONBLOCK), EAGAIN);
  return compat_done();
}
