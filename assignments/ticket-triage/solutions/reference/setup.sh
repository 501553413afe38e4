set -eu
python3 train.py /data/train.csv model.pkl
