# Shell idioms that open a file again through /proc/self/fd (/dev/fd, /dev/std*):
# bash's process substitution, redirections to /dev/stderr, reading a pipe by
# its other name. The body writes into a pipe of its own (runsc's stdout may
# be a socket, which no Linux opens again). Output is compared with the same
# script run natively.
set -u
body() {
  cat <(echo substituted)
  diff <(printf 'a\nb\n') <(printf 'a\nc\n'); echo "diff status $?"
  while read -r line; do echo "read: $line"; done < <(printf 'one\ntwo\n')
  echo to-stderr > /dev/stderr
  echo to-fd-2 >> /dev/fd/2
  exec 3< <(echo via fd 3)
  cat /dev/fd/3
  exec 3<&-
  printf 'piped\n' | cat /dev/stdin
  printf 'piped twice\n' | { read -r x < /proc/self/fd/0; echo "got $x"; }
  readlink /proc/self/fd/0 < /dev/null
  echo pipe-link $(printf '' | readlink /proc/self/fd/0 | sed 's/[0-9]\+/N/')
}
body 2>&1 | cat
# A socket is never opened again: ENXIO, as on Linux.
python3 -c '
import os, socket
a, b = socket.socketpair()
try:
    os.open("/proc/self/fd/%d" % a.fileno(), os.O_RDWR)
except OSError as e:
    print("socket reopen:", e.strerror)
' 2>&1
