#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Debian's cloud kernel for the Linux guest tests, fetched at test time.

  kernel.py [--cache DIR] [--vmlinux]

Downloads the package linux-image-cloud-amd64 depends on with apt-get
download, unpacks its /boot (vmlinuz, config) into DIR once (the lane's
cache, tests/tcg/tcg_lane.py, which does the same for its own kernel), and
prints the bzImage's path.  With --vmlinux, prints instead the path of the
ELF vmlinux inside it (a PVH kernel: CONFIG_PVH=y), extracted once into
DIR as the kernel's scripts/extract-vmlinux does it: the bzImage's setup
header says where the compressed payload lies (payload_offset and
payload_length), its magic which compressor made it, and Debian's lz4, xz,
zstd or gzip decompresses it.  Nothing of it is ever committed.  Exits 77
with the reason on stderr where the kernel cannot be had (no apt-get, no
network, no decompressor): the tests that need it skip.
"""

import argparse
import glob
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tcg'))
import tcg_lane  # noqa: E402

SKIP = 77
META = 'linux-image-cloud-amd64'


# Payload magic -> the Debian tool that decompresses it to stdout.  The
# build appends the decompressed size (4 bytes) after every payload but a
# gzip one's (whose trailer holds it): the tools other than gzip stop at it.
DECOMPRESSORS = [
    (b'\x02\x21\x4c\x18', ['lz4', '-dc'], True),
    (b'\xfd7zXZ\x00', ['xz', '-dc'], True),
    (b'\x28\xb5\x2f\xfd', ['zstd', '-dc'], True),
    (b'\x1f\x8b', ['gzip', '-dc'], False),
]


class NoVmlinux(Exception):
    pass


def extract_vmlinux(bzimage, out):
    """The ELF vmlinux inside @bzimage, written to @out (once)."""
    if os.path.exists(out):
        return out
    with open(bzimage, 'rb') as f:
        b = f.read()
    if len(b) < 0x250 or b[0x202:0x206] != b'HdrS':
        raise NoVmlinux('%s is not a bzImage' % bzimage)
    setup = ((b[0x1f1] or 4) + 1) * 512
    offset, length = struct.unpack_from('<II', b, 0x248)
    payload = b[setup + offset:setup + offset + length]
    for magic, tool, sized in DECOMPRESSORS:
        if not payload.startswith(magic):
            continue
        if not shutil.which(tool[0]):
            raise NoVmlinux('no %s to decompress the vmlinux (Debian package %s)' %
                            (tool[0], tool[0]))
        data = subprocess.run(tool, input=payload[:-4] if sized else payload,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        if not data.startswith(b'\x7fELF'):
            raise NoVmlinux('%s gave no ELF file from %s' % (tool[0], bzimage))
        tmp = '%s.%d.tmp' % (out, os.getpid())
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, out)
        return out
    raise NoVmlinux('%s: payload compressed by none of %s' %
                    (bzimage, ', '.join(t[1][0] for t in DECOMPRESSORS)))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--cache', default=os.environ.get('FPVM_KERNEL_CACHE', 'tcg-cache'))
    p.add_argument('--vmlinux', action='store_true',
                   help="print the ELF vmlinux's path (extracted) instead of the bzImage's")
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
    if args.vmlinux:
        try:
            print(extract_vmlinux(found[0], os.path.join(kdir, 'vmlinux')))
        except (NoVmlinux, OSError) as e:
            print('no vmlinux: %s' % e, file=sys.stderr)
            return SKIP
        return 0
    print(found[0])
    return 0


if __name__ == '__main__':
    sys.exit(main())
