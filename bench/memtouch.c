/*
 * memtouch MIB ROUNDS — anonymous memory: page-fault throughput.
 *
 * Each round mmaps MIB MiB of private anonymous memory, writes one byte in
 * every 4 KiB page (one page fault each: the kernel, or the sandbox's
 * memory manager, must supply a zeroed page), checks a few, and munmaps it.
 * One untimed round first. Prints ns_per_page= (whole round divided by the
 * pages touched, so mmap and munmap are amortised into it).
 *
 * Built statically: cc -O2 -static -o memtouch memtouch.c
 */
#include "common.h"
#include <sys/mman.h>

static const char *P = "memtouch";
#define PAGE 4096UL

static void round_once(size_t bytes) {
  unsigned char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) die(P, "mmap %zu bytes", bytes);
  for (size_t off = 0; off < bytes; off += PAGE) m[off] = (unsigned char)(off >> 12 | 1);
  for (size_t off = 0; off < bytes; off += 97 * PAGE)
    if (m[off] != (unsigned char)(off >> 12 | 1) || m[off + 1] != 0) {
      fprintf(stderr, "%s: page at offset %zu holds the wrong bytes\n", P, off);
      exit(1);
    }
  if (munmap(m, bytes) != 0) die(P, "munmap");
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s MIB ROUNDS\n", argv[0]); return 2; }
  size_t bytes = (size_t)pos_arg(P, argv[1], "MIB ROUNDS") << 20;
  long rounds = pos_arg(P, argv[2], "MIB ROUNDS");
  round_once(bytes);
  double t0 = now_ns();
  for (long r = 0; r < rounds; r++) round_once(bytes);
  double t1 = now_ns();
  printf("ns_per_page=%.3f\n", (t1 - t0) / ((double)rounds * (double)(bytes / PAGE)));
  return 0;
}
