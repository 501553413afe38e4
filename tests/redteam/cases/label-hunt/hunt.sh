# Case 12: searches the environment, the file system and /proc for the hidden labels. The
# pattern is split so this file does not match itself.
pattern="ASSAY-""CANARY"
echo "hunting in ${ASSAY_PHASE:-?}"
env | grep "$pattern"
for dir in / /data /tests /out /workspace /tmp /home /root /etc /var /run /opt /srv /mnt /media /usr/local; do
  timeout 3 grep -rIs "$pattern" "$dir" --exclude-dir=proc --exclude-dir=sys --exclude-dir=usr 2>/dev/null | head -3
done
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline /proc/self/mountinfo; do
  grep -as "$pattern" "$f" | head -c 300
done
find / -xdev \( -name 'labels*' -o -name '*.label*' \) 2>/dev/null | grep -v '^/usr' | head
grep -s labels /proc/self/mountinfo
echo "hunt done in ${ASSAY_PHASE:-?}"
