// Dereferences NULL: the sandbox's init dies of SIGSEGV, runsc exits 139.
#include <stdio.h>
int main(void) {
  puts("before");
  fflush(stdout);
  *(volatile int *)0 = 1;
  puts("after");
  return 0;
}
