/* Reading /proc/self/mountinfo: shared by mounts.c and lib/ro-root.c. */
#ifndef COMPAT_MOUNTINFO_H
#define COMPAT_MOUNTINFO_H

/* mountinfo escapes space, tab, newline and backslash as \ooo: decodes s in place. */
static void unescape(char *s) {
  char *out = s;
  while (*s) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
      *out++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
      s += 4;
    } else {
      *out++ = *s++;
    }
  }
  *out = '\0';
}

#endif
