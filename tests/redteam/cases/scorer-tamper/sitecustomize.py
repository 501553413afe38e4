exec(open("/workspace/forge.py").read())
