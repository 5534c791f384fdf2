/*
 * uname: the fields both runs agree on (sysname, machine), facts about the
 * ones a sandbox may set (nodename is gethostname's, release is a dotted
 * version), and EFAULT.
 */
#include "lib/compat.h"
#include <ctype.h>
#include <sys/mman.h>
#include <sys/utsname.h>

int main(void) {
  struct utsname u;
  memset(&u, 0x55, sizeof u);
  EQ("uname", syscall(SYS_uname, &u), 0);
  SHOW("sysname", "%s", u.sysname);
  SHOW("machine", "%s", u.machine);
  FACT("release_starts_with_digit", isdigit((unsigned char)u.release[0]));
  FACT("release_has_dot", strchr(u.release, '.') != NULL);
  FACT("version_nonempty", u.version[0] != '\0');
  FACT("nodename_nonempty", u.nodename[0] != '\0');
  /* Every field is NUL-terminated within its 65 bytes. */
  FACT("fields_terminated", memchr(u.sysname, 0, 65) && memchr(u.nodename, 0, 65) && memchr(u.release, 0, 65) &&
                            memchr(u.version, 0, 65) && memchr(u.machine, 0, 65) && memchr(u.domainname, 0, 65));
  char host[128];
  FACT("gethostname_is_nodename", gethostname(host, sizeof host) == 0 && strcmp(host, u.nodename) == 0);
  char dom[128];
  FACT("getdomainname_is_domainname", getdomainname(dom, sizeof dom) == 0 && strcmp(dom, u.domainname) == 0);
  ERR("gethostname_too_short", gethostname(host, 1), ENAMETOOLONG);
  ERR("efault", syscall(SYS_uname, BAD_PTR), EFAULT);
  ERR("kernel_ptr", syscall(SYS_uname, KERNEL_PTR), EFAULT);
  /* A buffer that ends in a read-only page fails whole. */
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(page + 4096, 4096, PROT_READ);
  ERR("crosses_readonly_page", syscall(SYS_uname, page + 4096 - 100), EFAULT);
  return compat_done();
}
