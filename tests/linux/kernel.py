#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Debian's cloud kernel for the Linux guest tests, fetched at test time.

  kernel.py [--cache DIR]

Downloads the package linux-image-cloud-amd64 depends on with apt-get
download, unpacks its /boot (vmlinuz, config) into DIR once (the lane's
cache, tests/tcg/tcg_lane.py, which does the same for its own kernel), and
prints the bzImage's path.  Nothing of it is ever committed.  Exits 77 with
the reason on stderr where the kernel cannot be had (no apt-get, no
network): the tests that need it skip.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tcg'))
import tcg_lane  # noqa: E402

SKIP = 77
META = 'linux-image-cloud-amd64'


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--cache', default=os.environ.get('FPVM_KERNEL_CACHE', 'tcg-cache'))
    args = p.parse_args()
    missing = [t for t in ('apt-get', 'apt-cache', 'dpkg-deb') if not shutil.which(t)]
    if missing:
        print('no %s to fetch %s' % (', '.join(missing), META), file=sys.stderr)
        return SKIP
    tcg_lane.LOG = None
    try:
        kdir = tcg_lane.fetch_kernel(os.path.abspath(args.cache), META,
                                     ['./boot/vmlinuz-*', './boot/config-*'])
    except (tcg_lane.LaneError, subprocess.CalledProcessError, OSError) as e:
        detail = (getattr(e, 'stderr', '') or '').strip().splitlines()
        print('cannot fetch %s: %s%s' % (META, e, (': ' + detail[-1]) if detail else ''),
              file=sys.stderr)
        return SKIP
    found = glob.glob(os.path.join(kdir, 'boot', 'vmlinuz-*'))
    if not found:
        print('%s has no /boot/vmlinuz-*' % META, file=sys.stderr)
        return SKIP
    print(found[0])
    return 0


if __name__ == '__main__':
    sys.exit(main())
