# Case 3: fills the writable areas until the file system is full (in 4 MiB files, so the
# file size limit is not what stops it).
i=0
while dd if=/dev/zero of=/tmp/fill$i bs=1M count=4 2>/dev/null; do i=$((i+1)); done
echo "tmp full after $i files"
i=0
while dd if=/dev/zero of=/workspace/fill$i bs=1M count=4 2>/dev/null; do i=$((i+1)); done
echo "workspace full after $i files"
python3 -c "open('/workspace/one-more', 'w').write('x' * 65536)"
