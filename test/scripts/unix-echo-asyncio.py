# An asyncio echo server and client over an AF_UNIX socket on a path:
# 1,000 line messages each way. Prints a summary that must match native.
import asyncio
import os
import shutil
import tempfile

N = 1000


async def handle(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()


async def main():
    work = tempfile.mkdtemp(prefix='unix-echo-')
    path = os.path.join(work, 'echo.sock')
    try:
        server = await asyncio.start_unix_server(handle, path)
        reader, writer = await asyncio.open_unix_connection(path)
        total = 0
        for i in range(N):
            msg = b'message %d %s\n' % (i, b'x' * (i % 50))
            writer.write(msg)
            await writer.drain()
            got = await reader.readline()
            if got != msg:
                raise SystemExit('mismatch at %d: %r' % (i, got))
            total += len(got)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        print('asyncio unix echo: messages=%d bytes=%d' % (N, total))
        print('socket node left after close:', os.path.exists(path))
    finally:
        shutil.rmtree(work, ignore_errors=True)


asyncio.run(main())
