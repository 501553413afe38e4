sh hunt.sh
