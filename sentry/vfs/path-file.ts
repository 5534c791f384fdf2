// An O_PATH file description: names a dentry, reads and writes nothing.
import type { Stat } from '../../abi/linux/stat.js';
import { FileDescription } from './file-description.js';
import type { Dentry } from './dentry.js';

export class PathFile extends FileDescription {
  constructor(dentry: Dentry, flags: number) {
    super(flags);
    this.dentry = dentry;
  }
  stat(): Stat | number { return this.dentry!.inode.stat(); }
}
