# The shape of /proc/<pid>/stat, statm and status's memory lines, as ps(1)
# and top read them: field counts, the names status has and their order,
# and ps's vsz and rss being non-zero for a running process.
awk '{print "stat fields", NF, "comm", $2, "state", $3, "threads", $20, "exit_signal", $38}' /proc/self/stat
awk '{print "statm fields", NF, "size>0", ($1 > 0), "resident>0", ($2 > 0)}' /proc/self/statm
cut -d: -f1 /proc/self/status | grep -xE 'Name|Umask|State|Tgid|Pid|PPid|Uid|Gid|FDSize|Groups|NStgid|NSpid|NSpgid|NSsid|VmPeak|VmSize|VmHWM|VmRSS|RssAnon|VmData|VmSwap|Threads|SigQ|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt|CapEff|NoNewPrivs|Seccomp' | tr '\n' ' '; echo
awk '/^(VmSize|VmRSS):/ {print $1, ($2 > 0), $3}' /proc/self/status
sleep 2 & s=$!
sleep 0.3
ps -o rss=,vsz=,nlwp=,comm= -p $s | awk '{print "ps", ($1 > 0), ($2 > 0), $3, $4}'
kill $s
