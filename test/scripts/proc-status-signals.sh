# The signal lines of /proc/<pid>/status, as ps(1), htop and shell scripts
# read them: dispositions (SigIgn, SigCgt), the blocked mask and what is
# pending, for bash's own dispositions and for ones a program sets.
trap 'echo usr1' USR1
trap '' USR2
grep -E '^(SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|NoNewPrivs|Seccomp):' /proc/$$/status
python3 -c '
import os, signal
signal.signal(signal.SIGTERM, lambda *a: None)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGRTMIN])
os.kill(os.getpid(), signal.SIGUSR1)
signal.pthread_kill(signal.pthread_self() if hasattr(signal, "pthread_self") else __import__("threading").get_ident(), signal.SIGRTMIN)
for line in open("/proc/self/status"):
    if line.split(":")[0] in ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"):
        print(line, end="")
'
