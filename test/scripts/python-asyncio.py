# asyncio over epoll, a socketpair self-pipe, subprocesses and timers.
import asyncio
import os

async def main():
    r, w = os.pipe()
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.add_reader(r, lambda: fut.set_result(os.read(r, 10)))
    loop.call_later(0.05, os.write, w, b'ping')
    print('reader got', await fut)
    proc = await asyncio.create_subprocess_exec('echo', 'from a subprocess', stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    print('subprocess', out.decode().strip(), proc.returncode)
    print('gather', await asyncio.gather(*(asyncio.sleep(0.01 * i, result=i) for i in range(5))))
    q = asyncio.Queue()
    async def producer():
        for i in range(3):
            await q.put(i)
            await asyncio.sleep(0)
    asyncio.ensure_future(producer())
    print('queue', [await q.get() for _ in range(3)])

asyncio.run(main())
