/*
 * getrandom: counts, flags, partial and bad buffers. The bytes themselves
 * differ run to run; only facts about them are printed.
 */
#include "lib/compat.h"
#include <sys/mman.h>
#include <sys/random.h>

static long gr(void *buf, size_t n, unsigned flags) { return syscall(SYS_getrandom, buf, n, flags); }

int main(void) {
  static unsigned char a[4096], b[4096];
  EQ("get_16", gr(a, 16, 0), 16);
  EQ("get_16_again", gr(b, 16, 0), 16);
  FACT("two_reads_differ", memcmp(a, b, 16) != 0);
  EQ("get_4096", gr(a, 4096, 0), 4096);
  int zeros = 0;
  for (int i = 0; i < 4096; i++) zeros += a[i] == 0;
  FACT("not_all_zero", zeros < 200);
  EQ("count_0", gr(a, 0, 0), 0);
  EQ("count_0_bad_buf", gr(BAD_PTR, 0, 0), 0);
  EQ("nonblock", gr(a, 64, GRND_NONBLOCK), 64);
  EQ("random_flag", gr(a, 64, GRND_RANDOM), 64);
  EQ("insecure", gr(a, 64, GRND_INSECURE), 64);
  ERR("insecure_and_random", gr(a, 64, GRND_INSECURE | GRND_RANDOM), EINVAL);
  ERR("bad_flags", gr(a, 64, 0x8), EINVAL);
  ERR("efault", gr(BAD_PTR, 16, 0), EFAULT);
  ERR("kernel_ptr", gr(KERNEL_PTR, 16, 0), EFAULT);
  /* A buffer whose second page is not writable: the bytes up to it. */
  unsigned char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(two + 4096, 4096, PROT_READ);
  EQ("partial_fault", gr(two + 4096 - 100, 200, 0), 100);
  /* A large request is answered in full (a pending signal could cut it short; none is sent). */
  long big = 40L << 20;
  unsigned char *m = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EQ("large_40m", gr(m, big, 0), big);
  return compat_done();
}
