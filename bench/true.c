/*
 * true — exits 0. Built with cc -O2 -static into bench/out/true; the
 * forkexec benchmark execs it (as /bin/true in the OCI bundles) so that
 * every environment runs the same small static binary instead of the host's
 * dynamically linked coreutils true.
 */
int main(void) { return 0; }
