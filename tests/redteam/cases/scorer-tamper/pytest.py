"""Case 13: a pytest that passes everything."""
exec(open("/workspace/forge.py").read())
raise SystemExit(0)
