# Case 25: markup in output.
echo '<script>document.title="pwned-stdout"</script> <img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>'
echo '<script>alert("stderr")</script>' >&2
