rm -rf home/existing
ln -s "$OUTSIDE" home/existing
