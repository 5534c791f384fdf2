# Terminals as script(1) sets them up (setsid, then TIOCSCTTY on the slave):
# the session's process group is the terminal's foreground group, so an
# interactive bash has job control (it hung sending itself SIGTTIN when
# tcgetpgrp answered 0); and a second terminal reuses index 0, reached
# through the same /dev/pts/0 name (ENOENT in the sandbox before).
strip() { tr -d '\r' | sed 's/\[1\] [0-9]*/[1] PID/'; }
# The third check asks the terminal for its session (TIOCGSID, 0x5429) rather than
# comparing getsid with getpid: script runs the command through $SHELL -c,
# and whether that shell execs python or forks it differs (dash, bash).
script -qec 'python3 -c "import os, fcntl, struct; sid = struct.unpack(\"i\", fcntl.ioctl(0, 0x5429, bytes(4)))[0]; print(os.isatty(0), os.tcgetpgrp(0) == os.getpgrp(), sid == os.getsid(0))"' /dev/null | strip
script -qec 'bash --norc -i -c "sleep 0.2 & jobs | wc -l; fg >/dev/null; echo fg=\$?; set -m; sleep 5 & kill -STOP %1; sleep 0.2; jobs | grep -c Stopped; kill -CONT %1; kill %1; wait 2>/dev/null; exit 0"' /dev/null 2>&1 | strip | grep -v '^bash: no job control'
script -qec 'echo second terminal' /dev/null | strip
python3 -c '
import fcntl, os, termios
m, s = os.openpty()
try:
    fcntl.ioctl(s, termios.TIOCNOTTY)
except OSError as e:
    print("notty not controlling:", e.strerror)
'
