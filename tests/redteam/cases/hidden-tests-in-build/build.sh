# Case 28: looks for hidden tests, features and labels while the build runs.
echo "data: $(ls /data | tr '\n' ' ')"
ls -d /tests /out/* /data/features* /labels /predictions /scorer 2>&1 | sed 's/^/listing /'
find / -xdev \( -name 'test_*.py' -o -name 'features*' -o -name 'labels*' -o -name 'score.py' \) 2>/dev/null | grep -v '^/usr' | sed 's/^/found /'
grep -rIls 'label_of(10' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=usr 2>/dev/null | grep -v '^/workspace/build.sh' | sed 's/^/grep /'
echo "search done"
