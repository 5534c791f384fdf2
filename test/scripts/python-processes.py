# subprocess, fork/waitpid and a thread pool: the Python acceptance of issue 3.
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

r = subprocess.run(['ls', '/'], capture_output=True)
print('subprocess rc', r.returncode, 'entries', sorted(r.stdout.decode().split()))

pid = os.fork()
if pid == 0:
    os._exit(7)
got, status = os.waitpid(pid, 0)
print('fork child pid matches', got == pid, 'exit', os.WEXITSTATUS(status))

lock = threading.Lock()
total = [0]
def work(n):
    s = sum(i * i for i in range(n))
    with lock:
        total[0] += 1
    return s
with ThreadPoolExecutor(max_workers=8) as pool:
    results = list(pool.map(work, range(200)))
print('threads', total[0], sum(results))
print('pipe', subprocess.run(['sh', '-c', 'echo a | tr a b'], capture_output=True, text=True).stdout.strip())
