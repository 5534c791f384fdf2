/* setxattr PATH NAME VALUE: sets an extended attribute for the suite's fixture (Node has no xattr API). */
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: setxattr PATH NAME VALUE\n");
    return 2;
  }
  if (setxattr(argv[1], argv[2], argv[3], strlen(argv[3]), 0) != 0) {
    perror("setxattr");
    return 1;
  }
  return 0;
}
