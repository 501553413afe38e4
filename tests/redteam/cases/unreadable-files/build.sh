# Case 35: leaves files and folders nobody may read (mode 000) in the workspace. The next
# phase must still start from it: no harness error can be forced this way.
mkdir -p locked/inner
echo secret > locked/inner/file
echo secret > unreadable
chmod 000 unreadable locked/inner/file locked/inner locked
ls -ld locked unreadable
