/*
 * fileio DIR MIB OPS — file I/O in one directory.
 *
 * In DIR (a tmpfs or a host directory served through the sandbox's file
 * server, depending on how the harness calls it):
 *   seqwrite   write a MIB MiB file in 4 KiB write(2)s, then close
 *   seqread    read it back in 4 KiB read(2)s (contents checked)
 *   randread   OPS pread(2)s of 4 KiB at random 4 KiB-aligned offsets
 *   randwrite  OPS pwrite(2)s of 4 KiB at random 4 KiB-aligned offsets
 *   openstatclose  OPS times open + fstat + close of the file
 * and prints <name>_us= (microseconds per 4 KiB operation, or per
 * open+fstat+close). No fsync: this is what an application sees through the
 * page cache (or the sandbox's equivalent), not the disk. The offsets come
 * from a fixed-seed generator, so every environment does the same I/O.
 *
 * Built statically: cc -O2 -static -o fileio fileio.c
 */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *P = "fileio";
#define BLK 4096

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

static void fill(unsigned char *b, long blk) {
  for (int i = 0; i < BLK; i += 8) memcpy(b + i, &blk, sizeof blk);
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s DIR MIB OPS\n", argv[0]); return 2; }
  long blocks = pos_arg(P, argv[2], "DIR MIB OPS") * (1048576 / BLK);
  long ops = pos_arg(P, argv[3], "DIR MIB OPS");
  char path[4096];
  snprintf(path, sizeof path, "%s/fileio-%d.dat", argv[1], (int)getpid());
  unsigned char buf[BLK], want[BLK];

  double t0 = now_ns();
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(P, "create %s", path);
  for (long b = 0; b < blocks; b++) {
    fill(buf, b);
    if (write(fd, buf, BLK) != BLK) die(P, "write block %ld", b);
  }
  if (close(fd) != 0) die(P, "close after writing");
  double t1 = now_ns();
  printf("seqwrite_us=%.3f\n", (t1 - t0) / 1e3 / (double)blocks);

  t0 = now_ns();
  fd = open(path, O_RDONLY);
  if (fd < 0) die(P, "open %s", path);
  for (long b = 0; b < blocks; b++) {
    ssize_t r = read(fd, buf, BLK);
    if (r != BLK) { if (r >= 0) errno = EIO; die(P, "read block %ld (got %zd)", b, r); }
    fill(want, b);
    if (memcmp(buf, want, BLK) != 0) { fprintf(stderr, "%s: block %ld reads back wrong\n", P, b); return 1; }
  }
  if (close(fd) != 0) die(P, "close after reading");
  t1 = now_ns();
  printf("seqread_us=%.3f\n", (t1 - t0) / 1e3 / (double)blocks);

  fd = open(path, O_RDWR);
  if (fd < 0) die(P, "open %s O_RDWR", path);
  t0 = now_ns();
  for (long i = 0; i < ops; i++) {
    long b = (long)(next_rand() % (uint64_t)blocks);
    if (pread(fd, buf, BLK, (off_t)b * BLK) != BLK) die(P, "pread block %ld", b);
    if (memcmp(buf, &b, sizeof b) != 0) { fprintf(stderr, "%s: pread of block %ld reads back wrong\n", P, b); return 1; }
  }
  t1 = now_ns();
  printf("randread_us=%.3f\n", (t1 - t0) / 1e3 / (double)ops);

  t0 = now_ns();
  for (long i = 0; i < ops; i++) {
    long b = (long)(next_rand() % (uint64_t)blocks);
    fill(buf, b);
    if (pwrite(fd, buf, BLK, (off_t)b * BLK) != BLK) die(P, "pwrite block %ld", b);
  }
  t1 = now_ns();
  if (close(fd) != 0) die(P, "close after random I/O");
  printf("randwrite_us=%.3f\n", (t1 - t0) / 1e3 / (double)ops);

  struct stat st;
  t0 = now_ns();
  for (long i = 0; i < ops; i++) {
    fd = open(path, O_RDONLY);
    if (fd < 0) die(P, "open %s", path);
    if (fstat(fd, &st) != 0) die(P, "fstat");
    if (close(fd) != 0) die(P, "close");
  }
  t1 = now_ns();
  if (st.st_size != (off_t)blocks * BLK) { fprintf(stderr, "%s: size %ld, want %ld\n", P, (long)st.st_size, blocks * BLK); return 1; }
  printf("openstatclose_us=%.3f\n", (t1 - t0) / 1e3 / (double)ops);

  if (unlink(path) != 0) die(P, "unlink %s", path);
  return 0;
}
