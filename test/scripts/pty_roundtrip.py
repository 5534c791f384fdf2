# A pseudo-terminal round trip through Python's pty module: the child reads a line
# from its terminal and answers; the parent sees the echo and the answer.
import os, pty, sys, termios, select
pid, fd = pty.fork()
if pid == 0:
    line = sys.stdin.readline()
    print("child got:", repr(line), "isatty:", os.isatty(0), "name ok:", os.ttyname(0).startswith("/dev/pts/"))
    sys.stdout.flush()
    os._exit(3)
os.write(fd, b"hello pty\r")
out = b""
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, st = os.waitpid(pid, 0)
print(repr(out), os.waitstatus_to_exitcode(st))
