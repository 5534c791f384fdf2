# SCM_RIGHTS over socketpairs: the parent passes a pipe's read end to a
# child, closes its own copy, then writes into the pipe; the child reads
# the message through the descriptor it received and echoes what it read.
# 1,000 exchanges, each with a fresh pipe, over a stream and a datagram
# socketpair.
import os
import socket

ROUNDS = 1000

for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    name = 'stream' if kind == socket.SOCK_STREAM else 'dgram'
    parent, child = socket.socketpair(socket.AF_UNIX, kind)
    pid = os.fork()
    if pid == 0:
        parent.close()
        for _ in range(ROUNDS):
            msg, fds, flags, _ = socket.recv_fds(child, 64, 4)
            data = b''
            while True:
                chunk = os.read(fds[0], 100)
                if not chunk:
                    break
                data += chunk
            for fd in fds:
                os.close(fd)
            child.send(b'%s|%d|%d|%s' % (msg, len(fds), flags, data))
        os._exit(0)
    child.close()
    ok = 0
    first = None
    for i in range(ROUNDS):
        r, w = os.pipe()
        socket.send_fds(parent, [b'take %d' % i], [r])
        os.close(r)
        os.write(w, b'written after the fd left: %s %d' % (name.encode(), i))
        os.close(w)
        reply = parent.recv(200)
        if reply == b'take %d|1|0|written after the fd left: %s %d' % (i, name.encode(), i):
            ok += 1
        if first is None:
            first = reply.decode()
    _, status = os.waitpid(pid, 0)
    print(name, first, 'matched', ok, 'exit', os.waitstatus_to_exitcode(status))
