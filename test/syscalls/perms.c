/*
 * compat: writable-dir
 *
 * Who may change what, in a writable directory (argv[2]): root prepares
 * files of two users, then a child that has become uid/gid 1000 (alice)
 * tries changes Linux refuses or allows by mode bits, ownership and the
 * sticky bit: EACCES and EPERM as Linux answers them.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define ALICE 1000
#define BOB 1001

static void make(const char *path, int mode, uid_t uid, gid_t gid) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, "data", 4) != 4) perror(path);
  if (fd >= 0) close(fd);
  if (chown(path, uid, gid) != 0 || chmod(path, mode) != 0) perror(path);
}

static void makedir(const char *path, int mode, uid_t uid, gid_t gid) {
  if (mkdir(path, 0700) != 0 || chown(path, uid, gid) != 0 || chmod(path, mode) != 0) perror(path);
}

static void as_alice(void) {
  struct timeval tv[2] = { { 1, 0 }, { 2, 0 } };
  struct stat st;
  /* Search permission on every directory a path goes through. */
  ERR("stat_through_unsearchable", stat("private/f", &st), EACCES);
  ERR("open_through_unsearchable", open("private/f", O_RDONLY), EACCES);
  ERR("mkdir_in_unsearchable", mkdir("private/x", 0755), EACCES);
  ERR("unlink_in_unsearchable", unlink("private/f"), EACCES);
  ERR("access_through_unsearchable", access("private/f", F_OK), EACCES);
  ERR("chdir_unsearchable", chdir("private"), EACCES);
  OK("stat_through_search_only", stat("searchonly/f", &st));
  ERR("list_search_only", open("searchonly", O_RDONLY | O_DIRECTORY), EACCES);
  /* Directories: write and search permission. */
  ERR("mkdir_in_roots_dir", mkdir("rootdir/x", 0755), EACCES);
  ERR("create_in_roots_dir", open("rootdir/x", O_WRONLY | O_CREAT, 0644), EACCES);
  ERR("unlink_in_roots_dir", unlink("rootdir/f"), EACCES);
  ERR("rename_out_of_roots_dir", rename("rootdir/f", "pub/f"), EACCES);
  ERR("symlink_in_roots_dir", symlink("x", "rootdir/l"), EACCES);
  ERR("mkfifo_in_roots_dir", mkfifo("rootdir/p", 0644), EACCES);
  OK("mkdir_in_own_dir", mkdir("alicedir/x", 0755));
  OK("stat_own_new_dir", stat("alicedir/x", &st));
  SHOW("new_dir_owner", "%u:%u", st.st_uid, st.st_gid);
  OK("create_in_world_writable", open("pub/alices-new", O_WRONLY | O_CREAT, 0644));
  /* The sticky bit. */
  ERR("sticky_unlink_others", unlink("pub/bobs"), EPERM);
  ERR("sticky_rename_others", rename("pub/bobs", "pub/mine"), EPERM);
  ERR("sticky_rename_over_others", rename("pub/alices", "pub/bobs"), EPERM);
  OK("sticky_unlink_own", unlink("pub/alices-new"));
  OK("sticky_rename_own", rename("pub/alices", "pub/alices2"));
  ERR("sticky_rmdir_others", rmdir("pub/bobsdir"), EPERM);
  /* Moving a directory to another parent rewrites its "..": it must be writable. */
  ERR("move_unwritable_dir", rename("open/rootsub", "alicedir/rootsub"), EACCES);
  OK("rename_unwritable_dir_same_parent", rename("open/rootsub", "open/rootsub2"));
  /* Attributes: the owner's (or root's). */
  ERR("chmod_others", chmod("pub/bobs", 0777), EPERM);
  OK("chmod_own", chmod("alicedir/own", 0600));
  ERR("chown_own_to_other", chown("alicedir/own", BOB, -1), EPERM);
  OK("chown_own_same_ids", chown("alicedir/own", ALICE, ALICE));
  ERR("chgrp_own_to_foreign_group", chown("alicedir/own", -1, 4242), EPERM);
  OK("chown_others_no_change", chown("pub/bobs", -1, -1));
  ERR("chgrp_others", chown("pub/bobs", -1, BOB), EPERM);
  OK("chmod_setgid_outside_group", chmod("alicedir/foreign-group", 02755));
  OK("stat_setgid_outside_group", stat("alicedir/foreign-group", &st));
  SHOW("setgid_dropped_mode", "%#o", st.st_mode & 07777);
  ERR("utimes_others_explicit", utimes("pub/bobs-writable", tv), EPERM);
  OK("utimes_others_now_writable", utimes("pub/bobs-writable", NULL));
  ERR("utimes_others_now_readonly", utimes("pub/bobs", NULL), EACCES);
  OK("utimes_own_explicit", utimes("alicedir/own", tv));
  ERR("truncate_others_readonly", truncate("pub/bobs", 0), EACCES);
  OK("truncate_others_writable", truncate("pub/bobs-writable", 1));
  ERR("open_write_others_readonly", open("pub/bobs", O_WRONLY), EACCES);
  /* Hard links to files one could not write (fs.protected_hardlinks). */
  ERR("link_others_readonly", link("pub/bobs", "alicedir/l"), EPERM);
  OK("link_others_writable", link("pub/bobs-writable", "alicedir/l2"));
  OK("link_own", link("alicedir/own", "alicedir/l3"));
  ERR("setxattr_others", setxattr("pub/bobs", "user.k", "v", 1, 0), EACCES);
  ERR("setxattr_sticky_dir_others", setxattr("pub", "user.k", "v", 1, 0), EPERM);
  ERR("setxattr_trusted", setxattr("alicedir/own", "trusted.k", "v", 1, 0), EPERM);
  ERR("mknod_device", mknod("alicedir/dev", S_IFCHR | 0600, makedev(1, 3)), EPERM);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: perms FIXTURE WRITABLE-DIR\n"); return 2; }
  (void)argv[1];
  umask(022);
  OK("chdir_rw", chdir(argv[2]));
  if (geteuid() != 0) { fprintf(stderr, "perms: must run as root\n"); return 2; }
  makedir("rootdir", 0755, 0, 0);
  make("rootdir/f", 0666, 0, 0);
  makedir("alicedir", 0755, ALICE, ALICE);
  make("alicedir/own", 0644, ALICE, ALICE);
  make("alicedir/foreign-group", 0644, ALICE, 4242);
  makedir("pub", 01777, 0, 0);
  make("pub/alices", 0644, ALICE, ALICE);
  make("pub/bobs", 0644, BOB, BOB);
  make("pub/bobs-writable", 0666, BOB, BOB);
  makedir("pub/bobsdir", 0755, BOB, BOB);
  makedir("open", 0777, 0, 0);
  makedir("private", 0700, 0, 0);
  make("private/f", 0644, 0, 0);
  makedir("searchonly", 0711, 0, 0);
  make("searchonly/f", 0644, 0, 0);
  makedir("open/rootsub", 0755, 0, 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    if (setgroups(0, NULL) != 0 || setgid(ALICE) != 0 || setuid(ALICE) != 0) { perror("drop"); _exit(3); }
    as_alice();
    fflush(stdout);
    _exit(compat_failed ? 1 : 0);
  }
  int status = -1;
  waitpid(child, &status, 0);
  EQ("alice_status", status, 0);
  struct stat st;
  OK("stat_truncated", stat("pub/bobs-writable", &st));
  EQ("truncated_size", st.st_size, 1);
  EQ("unwritable_dir_moved_within", access("open/rootsub2", F_OK), 0);
  return compat_done();
}
