#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An initramfs for a Linux guest: a cpio archive (newc) with a static /init.

  mkinitramfs.py [--gzip] INIT OUTPUT [FILE...]

INIT becomes /init; each FILE goes to /bin under its own name.  The archive
also holds /dev/console (character device 5:1), which the kernel opens as
init's standard input and output before it runs /init, and empty /proc,
/sys and /dev mount points.  Device nodes are written into the archive as
data, so no privilege is needed.  --gzip compresses it (the kernel unpacks
both).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tcg'))
from tcg_lane import linux_initramfs  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--gzip', action='store_true')
    p.add_argument('init')
    p.add_argument('output')
    p.add_argument('files', nargs='*')
    args = p.parse_args()
    data = linux_initramfs(args.init, args.files, compress=args.gzip)
    with open(args.output, 'wb') as out:
        out.write(data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
