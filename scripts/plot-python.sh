#!/bin/sh
# Print the first python3 that can import matplotlib (the one on PATH,
# then Debian's /usr/bin/python3, where python3-matplotlib installs it);
# exit 1 if none can. Used by `make plot` and scripts/check-tools.sh.
for py in python3 /usr/bin/python3; do
	p=$(command -v "$py" 2>/dev/null) || continue
	"$p" -c 'import matplotlib' >/dev/null 2>&1 && { echo "$p"; exit 0; }
done
exit 1
