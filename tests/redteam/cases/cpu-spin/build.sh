# Case 5: busy loops on more cores than the sandbox has.
for i in 1 2 3 4; do
  python3 -c "while True: pass" &
done
wait
