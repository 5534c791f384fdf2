# Terminals as script(1) sets them up (setsid, then TIOCSCTTY on the slave):
# the session's process group is the terminal's foreground group, so an
# interactive bash has job control (it hung sending itself SIGTTIN when
# tcgetpgrp answered 0); and a second terminal reuses index 0, reached
# through the same /dev/pts/0 name (ENOENT in the sandbox before).
strip() { tr -d '\r' | sed 's/\[1\] [0-9]*/[1] PID/'; }
script -qec 'python3 -c "import os; print(os.isatty(0), os.tcgetpgrp(0) == os.getpgrp(), os.getsid(0) == os.getpid())"' /dev/null | strip
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
