# Shell features that need fork, exec, pipes, wait and signals.
f() { echo "f got $1"; return 3; }
f one; echo "f returned $?"
for i in 1 2 3; do printf '%s ' "$i"; done; echo
n=0; while [ $n -lt 3 ]; do n=$((n + 1)); done; echo "n=$n"
x=$(echo substituted | tr a-z A-Z); echo "$x"
(cd /; echo "subshell in $(pwd)"); echo "back in $(pwd)"
cat <<HERE
here-document line 1
here-document with $x
HERE
echo a | tr a b | cat
false | true; echo "false|true -> $?"
true | false; echo "true|false -> $?"
sleep 0.2 & bg=$!
echo started background job
wait $bg; echo "background job exited $?"
(exit 5) & wait $!; echo "subshell job exited $?"
trap 'echo trapped USR1' USR1
kill -USR1 $$
echo after trap
trap 'echo trapped TERM in child' TERM
( trap 'echo child got TERM; exit 9' TERM; kill -TERM $$ 2>/dev/null; sleep 5 ) &
child=$!
sleep 0.3
kill -TERM $child
wait $child; echo "child exited $?"
echo done
