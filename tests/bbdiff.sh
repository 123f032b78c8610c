# The differential suite: everyday busybox commands, in blocks. The harness
# (tests/bbdiff.py) runs this script with the same busybox on Numbat (the
# boot case busybox-diff) and on the Linux host, and compares the output
# block by block.
#
#   sh bbdiff.sh SCRATCH_DIR
#
# Each block starts with a marker line "=== NAME" and runs in a subshell
# in its own fresh folder under SCRATCH_DIR, stderr joined to stdout.
# Blocks print only what is the same on any Linux: no times, PIDs, inode
# numbers or sizes of the machine (tests/bbdiff.py filters the few that
# slip through, and says why for each).
W=${1:?usage: bbdiff.sh SCRATCH_DIR}
# Numbat runs the script as init, its output on the console, a terminal
# (where ls prints columns); the harness reads Linux's through a pipe.
# Through a pipe on both, then.
if [ -t 1 ]; then sh "$0" "$@" | cat; exit; fi
export LC_ALL=C TZ=UTC
umask 022
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
exec 2>&1
n=0
blk() { n=$((n + 1)); echo "=== $1"; mkdir "$W/$n" && cd "$W/$n"; }
lsl() { ls -l "$@" | awk '/^total/ {next} {print $1, $NF}'; }
# Wait (up to 10 s) until process $1 is "sleep", asleep: a background job
# on a loaded machine may not have exec'd yet after any fixed pause.
asleep() { t=0; while [ $t -lt 100 ]; do
	[ "$(awk '{print $2, $3}' /proc/$1/stat 2>/dev/null)" = "(sleep) S" ] && return
	sleep 0.1; t=$((t + 1)); done; }

# --- files ---------------------------------------------------------------
blk mkdir-p; (mkdir -p a/b/c d && find . | sort; mkdir a 2>&1 | sed 's/.*: //'; echo $?)
blk mkdir-mode; (mkdir -m 700 p; mkdir -m 1777 q; lsl -d p q)
blk touch-creates; (touch x y; ls; touch x; echo rc=$?)
blk cp-file; (echo hello > f; cp f g; cat g; cmp f g && echo same)
blk cp-r; (mkdir -p s/t; echo 1 > s/t/one; echo 2 > s/two; cp -r s d; find d | sort; cat d/t/one)
blk cp-p-mode; (echo x > f; chmod 640 f; cp -p f g; lsl g)
blk mv-rename; (echo a > a; mv a b; ls; cat b)
blk mv-into-dir; (mkdir d; touch f1 f2; mv f1 f2 d; ls d; ls)
blk mv-dir; (mkdir -p x/y; touch x/y/z; mv x w; find . | sort)
blk rm-r; (mkdir -p t/u/v; touch t/a t/u/b t/u/v/c; rm -r t; ls -a; echo rc=$?)
blk rm-f-missing; (rm -f nothing; echo rc=$?; rm nothing; echo rc=$?)
blk rmdir; (mkdir -p e/f; rmdir e 2>&1 | sed 's/.*: //'; rmdir e/f e; ls -a)
blk ln-s; (echo data > target; ln -s target link; cat link; readlink link; lsl link)
blk ln-s-dangling; (ln -s nowhere dang; cat dang; echo rc=$?; test -L dang && echo islink; test -e dang || echo noexist)
blk ln-hard; (echo h > a; ln a b; stat -c '%h %s %n' a b; rm a; cat b; stat -c %h b)
blk cd-P-dotdot; (mkdir -p r/s/t; ln -s r/s/t q; cd -P q/..; pwd | sed "s|^$W/||"; cd -P ../s; ls)
blk readlink-f; (mkdir -p r/s; ln -s r/s q; cd q; readlink -f . | sed "s|^$W/||")
blk chmod-R; (mkdir -p m/n; touch m/f m/n/g; chmod -R 750 m; lsl -d m m/n m/f m/n/g)
blk chmod-symbolic; (touch f; chmod 600 f; chmod g+r,o+rx f; lsl f; chmod a-x f; lsl f; chmod u+s f; lsl f)
blk stat-c; (printf 'abcdef' > f; mkdir d; stat -c '%n %s %F %a' f d; ln -s f l; stat -c '%N %F' l)
blk stat-blocks; (dd if=/dev/zero of=f bs=4096 count=3 2>/dev/null; stat -c '%s %b %B' f)
blk ls-l-filtered; (touch a; mkdir b; ln -s a c; chmod 644 a; chmod 755 b; lsl)
blk ls-a-sorted; (touch .h z a M; ls -a; ls -r)
blk ls-dir-indicator; (mkdir d; touch f; ln -s f l; ls -F)
blk find-name; (mkdir -p a/b; touch a/x.c a/b/y.c a/b/z.h; find . -name '*.c' | sort)
blk find-type; (mkdir -p a/b; touch a/f; ln -s f a/l; find . -type d | sort; find . -type l; find . -type f)
blk find-maxdepth; (mkdir -p 1/2/3; find . -maxdepth 2 | sort; find . -mindepth 3)
blk find-exec; (touch p q; find . -type f -exec echo found {} \; | sort)
blk find-size-empty; (touch e; echo x > ne; find . -empty -type f; find . -size -2 -type f | sort)
blk truncate; (echo 1234567890 > f; truncate -s 4 f; cat f; echo; truncate -s 8192 f; stat -c %s f)
blk dd-skip-count; (printf 0123456789 > f; dd if=f bs=1 skip=3 count=4 2>/dev/null; echo)
blk du-apparent; (printf '%5000s' x > f; du -b f 2>/dev/null || du -k f | awk '{print "kb"}')
blk mktemp-dir; (d=$(mktemp -d -p .); test -d "$d" && echo made; rmdir "$d" && echo gone)
blk basename-dirname; (basename /a/b/c.txt .txt; dirname /a/b/c.txt; basename /; dirname x)
blk realpath-dotdot; (mkdir -p a/b; cd a/b; realpath ../.. | sed "s|^$W/||")
blk cmp-diff; (printf 'a\nb\nc\n' > x; printf 'a\nB\nc\n' > y; cmp x y; echo rc=$?; diff x y | tail -n +3)
blk test-files; (touch f; mkdir d; for t in -e -f -d -s -r -w -x; do [ $t f ] && echo "f $t"; [ $t d ] && echo "d $t"; done)
blk big-file; (dd if=/dev/zero bs=65536 count=40 2>/dev/null | tr '\0' 'z' > big; stat -c %s big; md5sum < big; tail -c 3 big; echo)
blk sparse-seek; (dd if=/dev/zero of=sp bs=1 count=1 seek=1048575 2>/dev/null; stat -c %s sp; od -An -c sp | head -2)

# --- text ----------------------------------------------------------------
blk sed-subst; (echo 'hello world' | sed 's/o/0/g; s/^h/H/')
blk sed-i; (printf 'one\ntwo\nthree\n' > f; sed -i '2d; s/one/ONE/' f; cat f)
blk sed-n-p; (seq 1 10 | sed -n '3,5p; $p')
blk sed-regex; (printf 'k=v\nx = y\n' | sed -E 's/^([a-z]+) *= *(.*)$/\2:\1/')
blk grep-basic; (printf 'apple\nbanana\ncherry\nApple pie\n' > f; grep an f; grep -i apple f; grep -c a f)
blk grep-v-n; (printf 'a\nb\na\nc\n' | grep -vn a)
blk grep-E-o; (echo 'id=12 x=345 y=6' | grep -Eo '[0-9]+')
blk grep-r-l; (mkdir -p d/e; echo needle > d/e/f; echo hay > d/g; grep -rl needle d; grep -q needle d/g; echo rc=$?)
blk grep-w-x; (printf 'cat\ncatalog\n cat\n' | grep -w cat; printf 'cat\ncatalog\n' | grep -x cat)
blk sort-basic; (printf 'pear\napple\nfig\n' | sort; printf '10\n9\n100\n' | sort -n; printf 'b\na\nc\n' | sort -r)
blk sort-keys; (printf 'x 3\ny 1\nz 2\n' | sort -k2 -n; printf 'a:2\nb:1\n' | sort -t: -k2,2)
blk sort-u; (printf 'b\na\nb\nc\na\n' | sort -u)
blk uniq-c; (printf 'a\na\nb\nc\nc\nc\n' | uniq -c; printf 'a\na\nb\n' | uniq -d)
blk wc; (printf 'one two\nthree\n' > f; wc -l f; wc -w < f; wc -c < f; printf 'x' | wc -l)
blk cut; (echo 'a:b:c:d' | cut -d: -f2,4; echo 'abcdef' | cut -c2-4)
blk tr; (echo 'Hello' | tr a-z A-Z; echo 'a  b   c' | tr -s ' '; echo 'abc123' | tr -d 0-9)
blk head-tail; (seq 1 20 > f; head -n 3 f; tail -n 2 f; head -c 5 f | od -An -c; tail -n +19 f)
blk awk-fields; (printf 'a 1\nb 2\nc 3\n' | awk '{s += $2; print $1} END {print "sum", s}')
blk awk-printf; (echo '3.14159 42' | awk '{printf "%.2f %05d %s\n", $1, $2, toupper("x")}')
blk awk-arrays; (printf 'x\ny\nx\nz\nx\n' | awk '{c[$1]++} END {for (k in c) print k, c[k]}' | sort)
blk awk-F-NR; (printf 'a:b\nc:d\n' | awk -F: 'NR == 2 {print $2 NR NF}')
blk seq-printf; (seq 3; seq 2 2 7; printf '%s-%d-%x\n' a 10 255; printf '%5.1f|\n' 2.25)
blk rev-tac-nl; (printf 'abc\ndef\n' | rev; printf '1\n2\n3\n' | tac; printf 'x\ny\n' | nl)
blk paste-join; (printf '1\n2\n' > a; printf 'x\ny\n' > b; paste a b; paste -d, a b)
blk expand-fold; (printf 'a\tb\n' | expand -t 4; echo abcdefgh | fold -w 3)
blk od-hexdump; (printf 'AB\n' | od -An -tx1; printf 'AB' | hexdump -C)
blk md5-sha; (printf 'numbat' | md5sum; printf 'numbat' | sha1sum; printf 'numbat' | sha256sum)
blk base64; (printf 'numbat!' | base64; printf 'bnVtYmF0IQ==' | base64 -d; echo)
blk expr-bc; (expr 6 \* 7; expr length hello; expr 10 / 3; echo $((2 ** 10 % 1000)))
blk diff-u; (printf 'a\nb\n' > x; printf 'a\nc\n' > y; diff -u x y | sed 1,2d)

# --- archives ------------------------------------------------------------
blk tar-cx; (mkdir -p src/d; echo one > src/a; echo two > src/d/b; tar cf t.tar src; mkdir out; tar xf t.tar -C out; find out | sort; cat out/src/d/b)
blk tar-t; (mkdir -p s; touch s/x s/y; tar cf t.tar s; tar tf t.tar | sort)
blk tar-z; (mkdir -p s; seq 1 1000 > s/n; tar czf t.tgz s; rm -r s; tar xzf t.tgz; wc -l < s/n; tail -n 1 s/n)
blk tar-modes; (mkdir s; touch s/f; chmod 751 s/f; ln -s f s/l; tar cf t.tar s; rm -r s; tar xf t.tar; lsl s)
blk gzip-gunzip; (seq 1 500 > f; gzip f; ls; gunzip f.gz; ls; md5sum < f)
blk gzip-c-zcat; (echo compressed | gzip -c > z.gz; zcat z.gz; gzip -t z.gz && echo intact)
blk gzip-stdin; (seq 100 | gzip | gunzip | tail -n 1)
blk cpio-o-i; (mkdir s; echo c > s/c; find s | sort | cpio -o -H newc 2>/dev/null > a.cpio; mkdir o; cd o; cpio -i -d < ../a.cpio 2>/dev/null; cat s/c)

# --- pipes and redirections ----------------------------------------------
blk pipe-chain; (seq 1 100 | grep 7 | sort -rn | head -n 3)
blk redirect-out-append; (echo one > f; echo two >> f; cat f; : > f; wc -c < f)
blk redirect-in; (printf 'x\ny\n' > f; while read l; do echo "[$l]"; done < f)
blk redirect-stderr; (ls /nonexistent 2> e; echo rc=$?; wc -l < e; ls /nonexistent 2>&1 >/dev/null | wc -l)
blk redirect-fd; (exec 3> f; echo via3 >&3; exec 3>&-; cat f; exec 4< f; read x <&4; echo "got $x")
blk noclobber; (set -C; echo a > f; echo b > f; echo rc=$?; echo c >| f; cat f)
blk heredoc; (x=world; cat <<EOF
hello $x
\$x stays
EOF
cat <<'EOF'
no $x here
EOF
)
blk heredoc-strip; (cat <<-EOF
	tabbed
	EOF
)
blk pipe-status; (false | true; echo $?; true | false; echo $?)
blk tee; (echo tee-me | tee f | tr a-z A-Z; cat f)
blk xargs; (printf 'a\nb\nc\n' | xargs echo; printf '1 2 3 4\n' | xargs -n 2 echo)
blk dev-null-zero; (echo gone > /dev/null; head -c 4 /dev/zero | od -An -tx1; cat /dev/null | wc -c)
blk fifo; (mkfifo p; (echo through-fifo > p) & cat p; wait; test -p p && echo isfifo)

# --- the shell -----------------------------------------------------------
blk status-codes; (true; echo $?; false; echo $?; (exit 42); echo $?; sh -c 'exit 3'; echo $?)
blk command-not-found; (nosuchcmd; echo rc=$?)
blk glob; (touch a1 a2 b1 .hid; echo a*; echo ?1; echo [ab]2; echo *; echo z*)
blk read-loop; (printf 'k1 v1\nk2 v2 more\n' | while read k v; do echo "$k=[$v]"; done)
blk read-IFS; (echo 'a:b:c' | { IFS=: read x y z; echo "$z$y$x"; })
blk functions; (f() { echo "f got $# args: $*"; return 5; }; f a b c; echo rc=$?)
blk local-vars; (x=outer; g() { local x=inner; echo $x; }; g; echo $x)
blk case-if-for; (for w in apple 7 zz; do case $w in a*) echo fruit;; [0-9]) echo digit;; *) echo other;; esac; done; if [ 2 -lt 3 ]; then echo lt; fi)
blk while-counter; (i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo $i)
blk param-expansion; (v=path/to/file.tar.gz; echo ${v##*/} ${v%.gz} ${v#*/} ${#v} ${unset:-dflt} ${v:5:2})
blk command-subst; (x=$(echo inner | tr a-z A-Z); echo "got $x"; echo "nested $(echo $(echo deep))")
blk set-positional; (set -- a 'b c' d; echo $#; for a in "$@"; do echo "<$a>"; done; shift; echo $1)
blk eval-export; (eval 'y=1'; echo $y; export Z=zed; sh -c 'echo $Z')
blk trap-exit; (sh -c 'trap "echo bye" EXIT; echo hi')
blk trap-signal; (sh -c 'trap "echo got USR1" USR1; kill -USR1 $$; echo after')
blk subshell-cd; (mkdir d; (cd d; pwd | sed "s|^$W/||"); pwd | sed "s|^$W/||")
blk sh-errexit; (sh -c 'set -e; echo a; false; echo b'; echo rc=$?)
blk printf-builtin; (printf '%s|' a b c; echo; printf '%c%c\n' x y; printf '%-4s|%4s|\n' l r)
blk test-strings; ([ -z "" ] && echo empty; [ abc = abc ] && echo eq; [ 10 -gt 9 ] && echo gt; [ ! -n "" ] && echo notn)
blk alias-type; (sh -c 'alias ll="echo alias-works"; eval ll'; type cd | head -1)

# --- processes, jobs and signals -----------------------------------------
blk background-wait; ((sleep 0.3; echo late) & echo early; wait; echo done)
blk wait-status; ((exit 7) & wait $!; echo rc=$?)
# The jobs' own order is the host scheduler's on a loaded machine (CI
# once saw job3 first): what wait must do is outlast all three.
blk wait-many; (for i in 1 2 3; do (sleep 0.$i; echo job$i >> out) & done; wait; sort out; echo all)
blk kill-term; (sleep 10 & p=$!; kill $p; wait $p; echo rc=$?)
blk kill-9; (sleep 10 & p=$!; kill -9 $p; wait $p; echo rc=$?)
blk kill-l; (kill -l 9; kill -l 15; kill -l HUP)
blk kill-0; (kill -0 $$ && echo alive; sh -c 'exit 0' & p=$!; wait $p; kill -0 $p; echo rc=$?)
blk sleep-fraction; (sleep 0.1; echo slept; sleep 0; echo zero)
blk timeout; (timeout 1 sleep 5; echo rc=$?; timeout 5 true; echo rc=$?)
blk timeout-signal; (timeout -s KILL 1 sleep 5; echo rc=$?)
blk ps-own-child; (sleep 3 & p=$!; asleep $p; ps -o pid,args | awk -v p=$p '$1 == p {print $2, $3}'; kill $p)
blk ps-stat; (sleep 3 & p=$!; asleep $p; ps -o pid,stat,comm | awk -v p=$p '$1 == p {print $2, $3}'; kill $p)
blk pidof; (sleep 3 & p=$!; asleep $p; pidof sleep | tr ' ' '\n' | grep -qx $p && echo found; kill $p)
blk nohup-usleep; (nohup echo nohupped 2>/dev/null; usleep 1000; echo rc=$?)
blk env-cmd; (env -i A=1 B=2 /bin/busybox env | sort; env -u HOME sh -c 'echo ${HOME:-nohome}')
blk exec-replace; (sh -c 'exec echo replaced; echo never')
blk read-timeout; (sleep 1 | { read -t 0.2 y; echo rc=$?; }; echo now | { read -t 1 z; echo $z; })
# (setsid(1) execs its command in a new session, whose id is its pid; where
# setsid(2) fails it forks and returns at once: the sleep keeps a late line
# out of the next block.)
blk setsid; (setsid sh -c 'exec awk "{print (\$6 == \$1) ? \"leader\" : \"not\"}" /proc/self/stat'; sleep 0.5)
blk getopt; (getopt -o ab:c -- -a -b x -c y z)

# --- the system ----------------------------------------------------------
blk uname; (uname -s; uname -m; uname -o)
blk date-fixed; (date -u -d @0; date -u -d @1700000000 '+%Y-%m-%d %H:%M:%S %a %j'; date -u -d '2024-02-29 12:34:56' +%s)
blk date-now; (a=$(date +%s); [ "$a" -gt 1600000000 ] && echo after-2020)
blk df-shape; (df -k . | awk 'NR == 1 {print} NR == 2 {print (NF == 6 && $2 ~ /^[0-9]+$/) ? "numbers" : "bad: " $0}')
blk free-shape; (free | awk 'NR == 1 {print $1, $2, $3} /^Mem:/ {print $1, ($2 > $4) ? "total>free" : "bad"}')
blk proc-self; (readlink /proc/self/exe | sed 's|.*/||'; cat /proc/self/comm; awk '{print $2, $3}' /proc/self/stat)
blk proc-files; (head -n 1 /proc/meminfo | awk '{print $1, $3}'; grep -c '^processor' /proc/cpuinfo | awk '{print ($1 > 0) ? "cpus" : "none"}'; wc -w < /proc/loadavg)
blk id-whoami; (id -u | awk '{print ($1 >= 0) ? "uid" : "bad"}'; test -w . && echo writable)
blk hostname-pwd; (pwd | sed "s|^$W/||"; cd /; pwd; cd - >/dev/null; pwd | sed "s|^$W/||")
blk which; (which sh | sed 's|.*/||'; which nosuch; echo rc=$?)
blk umask; (umask 027; touch f; mkdir d; lsl -d f d; umask)
blk sync-true-false; (sync; echo synced; true; false || echo false-failed)
echo "=== END"
