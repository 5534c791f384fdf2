// The sandbox's memory as sysinfo(2) and /proc/meminfo report it. Total is
// the host's memory, or the Sentry's cgroup limit when it has one (as
// gVisor does); used is what the application really holds: the pages of
// the MemoryFile that have been touched (its memfd's allocated blocks),
// not the address space it has merely reserved.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { fstat } from '../../host/fs.js';
import type { Kernel } from './kernel.js';

export interface MemoryUsage { totalBytes: number; freeBytes: number; usedBytes: number }

let limitBytes: number | null = null;

/** The Sentry's cgroup (v2) memory.max, or the host's total memory. Read once. */
function memoryLimit(): number {
  if (limitBytes !== null) return limitBytes;
  limitBytes = totalmem();
  try {
    const line = readFileSync('/proc/self/cgroup', 'latin1').split('\n').find((l) => l.startsWith('0::'));
    if (line !== undefined) {
      const max = readFileSync(`/sys/fs/cgroup${line.slice(3)}/memory.max`, 'latin1').trim();
      if (/^\d+$/.test(max)) limitBytes = Math.min(limitBytes, Number(max));
    }
  } catch {
    // No cgroup v2 hierarchy: the host's total stands.
  }
  return limitBytes;
}

export function memoryUsage(kernel: Kernel): MemoryUsage {
  const total = memoryLimit();
  const st = fstat(kernel.memoryFile.fd);
  const used = typeof st === 'number' ? 0 : Math.min(total, st.blocks * 512);
  return { totalBytes: total, usedBytes: used, freeBytes: total - used };
}
