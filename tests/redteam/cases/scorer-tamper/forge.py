"""Case 13: what every shadowing module runs: claim full marks wherever results might be read."""
import os
import shutil

print("TAMPERED from", os.environ.get("ASSAY_PHASE"))
for target in ["/out/junit.xml", "/out/scores.json", "/workspace/junit.xml"]:
    try:
        if target.endswith(".xml"):
            shutil.copy("/workspace/forged.xml", target)
        else:
            with open(target, "w") as f:
                f.write('{"accuracy": 1.0}')
    except OSError:
        pass
