// Issue 5's Node.js acceptance: timers, fs.promises on /tmp, a child process
// and a worker thread, printed in a fixed order so native and sandboxed runs
// can be compared line for line.
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { Worker } = require('node:worker_threads');

async function main() {
  // libuv overwrites the argv strings in place (npm sets its title first thing).
  process.title = 'node-acceptance';
  console.log('title', process.title);
  const order = [];
  await Promise.all([
    new Promise((r) => setTimeout(() => { order.push('late'); r(); }, 30)),
    new Promise((r) => setTimeout(() => { order.push('early'); r(); }, 5)),
  ]);
  console.log('timers', order.join(','));

  const dir = await fs.promises.mkdtemp(path.join('/tmp', 'node-acc-'));
  const file = path.join(dir, 'data.txt');
  await fs.promises.writeFile(file, 'line 1\n');
  await fs.promises.appendFile(file, 'line 2\n');
  const st = await fs.promises.stat(file);
  console.log('fs', JSON.stringify(await fs.promises.readFile(file, 'utf8')), st.size, (await fs.promises.readdir(dir)).join(','));
  await fs.promises.rename(file, file + '.old');
  await fs.promises.rm(dir, { recursive: true });
  console.log('fs removed', fs.existsSync(dir));

  const out = await new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', 'echo child $((6*7)); exit 0'], (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  process.stdout.write('execFile ' + out);

  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const crypto = require('node:crypto');
    parentPort.postMessage(crypto.createHash('sha256').update(workerData).digest('hex'));
  `, { eval: true, workerData: 'hello from the worker' });
  const digest = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await worker.terminate();
  console.log('worker', digest);
}

main().then(() => console.log('done'), (e) => { console.error(e); process.exit(1); });
