# SCM_RIGHTS over socketpairs: the parent passes a pipe's read end to a
# child, closes its own copy, then writes into the pipe; the child reads
# the message through the descriptor it received. Stream and datagram.
import os
import socket

for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    name = 'stream' if kind == socket.SOCK_STREAM else 'dgram'
    parent, child = socket.socketpair(socket.AF_UNIX, kind)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        parent.close()
        os.close(r)
        os.close(w)
        msg, fds, flags, _ = socket.recv_fds(child, 64, 4)
        data = b''
        while True:
            chunk = os.read(fds[0], 100)
            if not chunk:
                break
            data += chunk
        child.sendall(b'%s|%d|%d|%s' % (msg, len(fds), flags, data))
        os._exit(0)
    child.close()
    socket.send_fds(parent, [b'take this'], [r])
    os.close(r)
    os.write(w, b'written after the fd left: ' + name.encode())
    os.close(w)
    reply = parent.recv(200)
    _, status = os.waitpid(pid, 0)
    print(name, reply.decode(), 'exit', os.waitstatus_to_exitcode(status))
