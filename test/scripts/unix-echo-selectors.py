# A selectors (epoll) echo server in the parent and a blocking client in a
# child process, over an AF_UNIX stream socket on a path: 1,000 messages.
import os
import selectors
import shutil
import socket
import tempfile

N = 1000
work = tempfile.mkdtemp(prefix='unix-sel-')
path = os.path.join(work, 'sel.sock')
try:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    server.setblocking(False)
    pid = os.fork()
    if pid == 0:
        server.close()
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        f = c.makefile('rb')
        ok = 0
        for i in range(N):
            msg = b'ping %d\n' % i
            c.sendall(msg)
            if f.readline() == msg:
                ok += 1
        c.close()
        os._exit(0 if ok == N else 1)
    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ, 'listener')
    echoed = 0
    done = False
    while not done:
        for key, _ in sel.select(timeout=30):
            if key.data == 'listener':
                conn, _ = server.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, 'conn')
            else:
                data = key.fileobj.recv(65536)
                if not data:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    done = True
                    break
                key.fileobj.sendall(data)
                echoed += data.count(b'\n')
    _, status = os.waitpid(pid, 0)
    print('selectors unix echo: echoed=%d client_exit=%d' % (echoed, os.waitstatus_to_exitcode(status)))
    print('selector:', type(sel).__name__)
finally:
    shutil.rmtree(work, ignore_errors=True)
