"""Case 29: leaves the declared output as a symlink to the hidden features."""
import os

os.symlink("/data/features.csv", "/out/predictions.csv")
