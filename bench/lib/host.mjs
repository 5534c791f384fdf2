// The machine's description for the report header.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { which, GVISOR_RUNSC } from './runners.mjs';

const read = (p) => { try { return fs.readFileSync(p, 'utf8').trim(); } catch { return null; } };

const firstLine = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10000, cwd });
  return r.status === 0 ? (r.stdout || '').split('\n')[0].trim() : null;
};

export const loadavg = () => (read('/proc/loadavg') || '').split(' ').slice(0, 3).join(' ');

export function hostInfo(repoDir) {
  const cpuinfo = read('/proc/cpuinfo') || '';
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo);
  const flags = (/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/);
  const guest = flags.includes('hypervisor');
  const virtExt = flags.includes('vmx') ? 'vmx' : flags.includes('svm') ? 'svm' : null;
  const product = read('/sys/class/dmi/id/product_name') || read('/sys/class/dmi/id/sys_vendor');
  const kvm = fs.existsSync('/dev/kvm');
  const virtualization = [
    guest ? `a virtual machine${product ? ` (${product})` : ''} (cpuinfo "hypervisor" flag)` : 'no hypervisor flag (bare metal?)',
    virtExt ? `${virtExt} exposed to this machine (nested virtualization possible)` : 'no vmx/svm in cpuinfo (no nested virtualization)',
    kvm ? '/dev/kvm present' : '/dev/kvm absent',
  ].join('; ');
  const commit = firstLine('git', ['rev-parse', '--short', 'HEAD'], repoDir);
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', cwd: repoDir }).stdout?.trim();
  return {
    kernel: `${os.type()} ${os.release()}`,
    cpu: model ? model[1] : os.arch(),
    cpus: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    virtualization,
    kvm,
    meltdownMitigation: read('/sys/devices/system/cpu/vulnerabilities/meltdown'),
    loadavgStart: loadavg(),
    node: process.version,
    runc: which('runc') ? firstLine('runc', ['--version']) : null,
    gvisorRunsc: fs.existsSync(GVISOR_RUNSC) ? firstLine(GVISOR_RUNSC, ['--version']) : null,
    commit: commit ? `${commit}${dirty ? ' (with uncommitted changes)' : ''}` : null,
  };
}
