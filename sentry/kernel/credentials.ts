// A task's credentials: real, effective, saved and filesystem ids.
export class Credentials {
  constructor(
    public uid: number, public gid: number,
    public euid = uid, public egid = gid,
    public suid = uid, public sgid = gid,
    public fsuid = uid, public fsgid = gid,
    public groups: number[] = [],
  ) {}
  clone(): Credentials {
    return new Credentials(this.uid, this.gid, this.euid, this.egid, this.suid, this.sgid, this.fsuid, this.fsgid, [...this.groups]);
  }
}
