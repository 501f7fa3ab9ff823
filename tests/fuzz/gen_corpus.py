#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/).

Every seed is made here: hand-built ELF64 images and their corrupted
variants, bzImages and their corrupted variants, XCR0 strings, fpvm command lines, variants of tests/guests.cfg,
snapshot manifests (with their checksums) and their damaged variants,
and, with --fpvm (needs /dev/kvm), fpstates saved by 'fpvm run
--save-fpstate' with variants of them.  The output is the same on every
run, so regenerating shows up in git only when this script changes.
Files named found-* and crash-* are inputs libFuzzer found
(docs/fuzzing.md): they are kept as they are.

  tests/fuzz/gen_corpus.py [--fpvm build/fpvm --guest-dir build/guest]
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))

# guest/abi.h: images load at 1 MiB; the default machine has 64 MiB and
# one 32 KiB boot stack at its top; high RAM starts at 4 GiB.
IMAGE_BASE = 0x100000
DEFAULT_MEM = 64 << 20
STACK_SIZE = 0x8000
HIGH_RAM_BASE = 0x100000000

PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE = 1, 2, 3, 4
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4

# The guest's exit: mov $0, %al; out %al, $0xf4; hlt; jmp .-1
CODE = bytes([0xB0, 0x00, 0xE6, 0xF4, 0xF4, 0xEB, 0xFD])


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


def elf(segments, entry, e_type=2, machine=62, ident=None, phentsize=56, phoff=64,
        data_offset=0x200, data=CODE):
    """A static x86-64 executable: program headers right after the ELF
    header, every segment's file bytes at data_offset unless it names its
    own offset.  segments: (type, flags, addr, filesz, memsz[, offset[, paddr]])."""
    if ident is None:
        ident = b'\x7fELF' + bytes([2, 1, 1]) + bytes(9)
    eh = ident + struct.pack('<HHIQQQIHHHHHH', e_type, machine, 1, entry, phoff, 0, 0, 64,
                             phentsize, len(segments), 0, 0, 0)
    ph = b''
    for s in segments:
        typ, flags, addr, filesz, memsz = s[:5]
        offset = s[5] if len(s) > 5 else data_offset
        paddr = s[6] if len(s) > 6 else addr
        ph += struct.pack('<IIQQQQQQ', typ, flags, offset, addr, paddr, filesz, memsz, 0x1000)
    image = bytearray(eh + ph)
    end = max([data_offset + len(data)] +
              [(s[5] if len(s) > 5 else data_offset) + s[3] for s in segments
               if s[0] == PT_LOAD and s[3] < 0x10000])
    image += bytes(max(0, end - len(image)))
    image[data_offset:data_offset + len(data)] = data
    return bytes(image)


MB_MAGIC = 0x1BADB002
MB_AOUT = 1 << 16


def mb_header(flags, addrs=()):
    """A Multiboot v1 header; addrs: header, load, load_end, bss_end, entry."""
    checksum = -(MB_MAGIC + flags) & 0xFFFFFFFF
    return struct.pack('<III', MB_MAGIC, flags, checksum) + struct.pack('<%dI' % len(addrs), *addrs)


def aout_kernel(addr, flags=0x3, bss=0x1000):
    """A flat Multiboot kernel: its header first, loaded whole at addr."""
    code_off = 0x20
    image = mb_header(flags | MB_AOUT, (addr, addr, 0, addr + 0x1000 + bss, addr + code_off))
    return image + bytes(code_off - len(image)) + CODE


def elf32_kernel(paddr, vaddr, entry, flags=0x3):
    """An i386 ELF32 Multiboot kernel: one PT_LOAD holding the header and code."""
    data = mb_header(flags) + CODE
    off = 0x100
    eh = (b'\x7fELF' + bytes([1, 1, 1]) + bytes(9) +
          struct.pack('<HHIIIIIHHHHHH', 2, 3, 1, entry, 52, 0, 0, 52, 32, 1, 0, 0, 0))
    ph = struct.pack('<IIIIIIII', PT_LOAD, off, vaddr, paddr, len(data), 0x1000, PF_R | PF_X,
                     0x1000)
    image = eh + ph
    return image + bytes(off - len(image)) + data


def xen_note(typ, desc):
    """An ELF note owned by "Xen" (XEN_ELFNOTE_PHYS32_ENTRY is type 18)."""
    return struct.pack('<III', 4, len(desc), typ) + b'Xen\0' + desc + bytes(-len(desc) % 4)


def pvh_kernel(entry_desc, paddr=0x1000000, memsz=0x2000, typ=18):
    """A vmlinux's shape: linked high, loaded at paddr, its PVH entry note in a PT_NOTE."""
    rx, r = PF_R | PF_X, PF_R
    gnu = struct.pack('<III', 4, 4, 1) + b'GNU\0' + bytes(4)
    notes = gnu + xen_note(typ, entry_desc)
    data = CODE + bytes(0x100 - len(CODE)) + notes
    return elf([(PT_LOAD, rx, 0xFFFFFFFF81000000, len(CODE), memsz, 0x200, paddr),
                (PT_NOTE, r, 0, len(notes), len(notes), 0x300)], 0x1000000, data=data)


def pvh_seeds():
    return {
        'pvh-good': pvh_kernel(struct.pack('<Q', 0x1000000)),
        'pvh-good-4-byte-entry': pvh_kernel(struct.pack('<I', 0x1000002)),
        # RAM too small in the 64 MiB machine: a configuration error there.
        'pvh-big': pvh_kernel(struct.pack('<Q', 0x1000000), memsz=0x4000000),
        'pvh-other-note-type': pvh_kernel(struct.pack('<Q', 0x1000000), typ=17),
        'pvh-bad-desc-size': pvh_kernel(b'\0\0\0\1\0\0'),
        'pvh-bad-entry-above-4g': pvh_kernel(struct.pack('<Q', 0x100000000)),
        'pvh-bad-entry-outside': pvh_kernel(struct.pack('<Q', 0x2000000)),
        'pvh-bad-boot-area': pvh_kernel(struct.pack('<Q', 0x10000), paddr=0x10000),
    }


def multiboot_seeds():
    rx = PF_R | PF_X
    mb_data = mb_header(0x3) + CODE
    return {
        'mb-aout': aout_kernel(IMAGE_BASE),
        # Below 1 MiB, as kvm-unit-tests' real-mode test loads.
        'mb-aout-low': aout_kernel(0x8000),
        'mb-elf32': elf32_kernel(IMAGE_BASE, IMAGE_BASE, IMAGE_BASE + 12),
        'mb-elf32-linked-high': elf32_kernel(IMAGE_BASE, 0xC0100000, IMAGE_BASE + 12),
        'mb-elf64': elf([(PT_LOAD, rx, IMAGE_BASE, len(mb_data), 0x1000)], IMAGE_BASE + 12,
                        data=mb_data),
        'mb-bad-checksum': mb_header(0x3)[:8] + b'\0\0\0\0' + CODE,
        'mb-bad-video': aout_kernel(IMAGE_BASE, flags=0x7),
        'mb-bad-aout-cut': mb_header(MB_AOUT | 0x3),
        'mb-bad-info-area': aout_kernel(0xF0000),
    }


def elf_corpus(out):
    rx, rw, r = PF_R | PF_X, PF_R | PF_W, PF_R
    text = (PT_LOAD, rx, IMAGE_BASE, len(CODE), len(CODE))
    good = elf([text], IMAGE_BASE)
    seeds = {
        'good-one-segment': good,
        'good-text-data-bss': elf([text, (PT_LOAD, rw, IMAGE_BASE + 0x1000, 0, 0x4000)],
                                  IMAGE_BASE),
        'good-text-rodata-data': elf([text, (PT_LOAD, r, IMAGE_BASE + 0x1000, 4, 4, 0x204),
                                      (PT_LOAD, rw, IMAGE_BASE + 0x2000, 2, 0x100, 0x205)],
                                     IMAGE_BASE + 2),
        'good-note-and-stack': elf([(PT_NOTE, r, 0, 4, 4), text,
                                    (PT_GNU_STACK, rw, 0, 0, 0)], IMAGE_BASE),
        # Only the large machine has RAM at 4 GiB.
        'good-high-ram': elf([(PT_LOAD, rx, HIGH_RAM_BASE, len(CODE), 0x1000)],
                             HIGH_RAM_BASE),
        'good-16-segments': elf([(PT_LOAD, rx, IMAGE_BASE + i * 0x1000, len(CODE), 0x1000)
                                 for i in range(16)], IMAGE_BASE),
        'bad-17-segments': elf([(PT_LOAD, rx, IMAGE_BASE + i * 0x1000, len(CODE), 0x1000)
                                for i in range(17)], IMAGE_BASE),
        'bad-magic': b'\x7fELX' + good[4:],
        'bad-class32': good[:4] + b'\x01' + good[5:],
        'bad-big-endian': good[:5] + b'\x02' + good[6:],
        'bad-version': elf([text], IMAGE_BASE, ident=b'\x7fELF' + bytes([2, 1, 0]) + bytes(9)),
        'bad-pie': elf([text], IMAGE_BASE, e_type=3),
        'bad-aarch64': elf([text], IMAGE_BASE, machine=183),
        'bad-phentsize': elf([text], IMAGE_BASE, phentsize=32),
        'bad-phoff-past-end': elf([text], IMAGE_BASE, phoff=0x10000),
        'bad-interp': elf([(PT_INTERP, r, 0, 4, 4), text], IMAGE_BASE),
        'bad-dynamic': elf([text, (PT_DYNAMIC, rw, IMAGE_BASE + 0x1000, 0, 16)], IMAGE_BASE),
        'bad-no-load': elf([(PT_NOTE, r, 0, 4, 4)], IMAGE_BASE),
        'bad-filesz-above-memsz': elf([(PT_LOAD, rx, IMAGE_BASE, 8, 4)], IMAGE_BASE),
        'bad-data-past-end': elf([(PT_LOAD, rx, IMAGE_BASE, 0x100000, 0x100000)], IMAGE_BASE),
        'bad-virt-not-phys': elf([(PT_LOAD, rx, IMAGE_BASE, 7, 7, 0x200,
                                   IMAGE_BASE + 0x1000)], IMAGE_BASE),
        'bad-boot-area': elf([(PT_LOAD, rx, 0x1000, 7, 7)], 0x1000),
        'bad-boot-stacks': elf([(PT_LOAD, rx, DEFAULT_MEM - STACK_SIZE - 0x1000, 7, 0x2000)],
                               DEFAULT_MEM - STACK_SIZE - 0x1000),
        'bad-outside-ram': elf([(PT_LOAD, rx, 0xC0000000, 7, 7)], 0xC0000000),
        'bad-wraps': elf([(PT_LOAD, rx, 0xFFFFFFFFFFFFF000, 7, 0x2000)], 0xFFFFFFFFFFFFF000),
        'bad-overlap': elf([(PT_LOAD, rx, IMAGE_BASE, 7, 0x2000),
                            (PT_LOAD, rw, IMAGE_BASE + 0x1000, 0, 0x1000)], IMAGE_BASE),
        'bad-entry-in-data': elf([text, (PT_LOAD, rw, IMAGE_BASE + 0x1000, 0, 0x1000)],
                                 IMAGE_BASE + 0x1000),
        'bad-entry-outside': elf([text], 0x300000),
        # No empty image: libFuzzer runs the empty input first anyway.
        'bad-truncated-ident': good[:10],
        'bad-truncated-header': good[:40],
        'bad-truncated-phdrs': good[:64 + 20],
        'bad-truncated-data': good[:0x202],
    }
    seeds.update(multiboot_seeds())
    seeds.update(pvh_seeds())
    for name, data in seeds.items():
        write(out, name, data)


XCR0_SEEDS = [
    'x87', 'x87,sse', 'x87,sse,avx', 'X87,SSE,AVX', 'x87,sse,avx,avx512', 'avx512', 'amx',
    'mpx', 'fp,ymm', 'x87,sse,avx,bndregs,bndcsr,opmask,zmm_hi256,hi16_zmm,pkru',
    'x87,sse,xtilecfg,xtiledata', 'pt,pasid,cet_user,cet_kernel,uintr,lbr,hwp,apx',
    'x87,,sse,', '0xe7', '7', '0x60207', '0', '0x', '18446744073709551615',
    '18446744073709551616', '0777', '3junk', 'avx-512', 'sse avx', '',
]

CLI_SEEDS = {
    'run': ['run', 'hello.elf'],
    'run-options': ['run', '--cpus', '4', '--mem', '2G', '--timeout', '1.5', 'hello.elf',
                    'one', 'two words'],
    'run-short-options': ['run', '-c2', '-m512M', '-t', '3', '-v', 'smp.elf', '--', '--cpus'],
    'run-equals': ['run', '--cpus=8', '--mem=64G', '--timeout=0.25',
                   '--exit-status=qemu', 'hello.elf'],
    'run-fpu': ['run', '--xcr0', 'x87,sse,avx', '--save-fpstate', 'fs', '--dump-fpstate',
                '--check-host-fpstate', 'fpu.elf'],
    'run-gdb': ['run', '--gdb', 'tcp:127.0.0.1:1234', '--gdb-wait', 'g.elf'],
    'restore-gdb-unix': ['restore', '--gdb=unix:/tmp/g.sock', 'snap'],
    'run-amx': ['run', '--xcr0=0x60003', '--amx', '--strict-io', '--serial', 'out.txt',
                '--dump-dtb', 'g.dtb', '--kvm', '/dev/kvm', 'fpu.elf'],
    'run-stats': ['run', '--stats=json', '--stats-file', 'stats.json', 'hello.elf'],
    'run-bad-mem': ['run', '--mem', '1K', 'hello.elf'],
    'run-missing-value': ['run', '--cpus'],
    'run-no-guest': ['run', '--verbose'],
    'test': ['test', '--guest-dir', 'build/guest', 'tests/guests.cfg'],
    'test-options': ['test', '-j', '4', '-g', 'smoke', '--group', 'boot', '--list',
                     '--junit', 'r.xml', '--json', 'r.json', '--log-dir', 'logs',
                     'tests/guests.cfg', 'hello*', 'smp-?'],
    'probe': ['probe', '--json', '--save-cpuid', 'cpuid.bin', '--kvm', '/dev/kvm'],
    'fpstate-show': ['fpstate', 'show', 'fs/vcpu0.xsave', '--json'],
    'fpstate-diff': ['fpstate', 'diff', 'a/vcpu0.xsave', 'b/vcpu0.xsave'],
    'fpstate-check': ['fpstate', 'check', '--host', '--json', 'fs/vcpu1.xsave'],
    'fpstate-no-operation': ['fpstate', '--json'],
    'fpstate-bad-operation': ['fpstate', 'shwo', 'x.xsave'],
    'leakcheck': ['leakcheck', '--vms', '3', '--cpus', '4', '--duration', '0.5', '--json',
                  'leak.json', '--tap', '--inject', 'cross-vm', '--xcr0', 'avx512'],
    'help': ['help', 'fpstate', 'check'],
    'help-flag': ['--help'],
    'command-help': ['run', '--help'],
    'version': ['version'],
    'unknown': ['frobnicate', '--all'],
}


# A machine with MPX, AVX-512, PKRU and AMX (standard offsets of an AMX
# part): an 11008-byte buffer, larger than struct kvm_xsave.
AMX_LAYOUT = (b'# fpvm fpstate layout v1: describes vcpu0.xsave\n'
              b'vcpu = 0\nsize = 11008\nis_guest = 1\nxcr0 = 0x602ff\n'
              b'xfeatures = 0x602ff\nxcr0_supported = 0x602ff\nxss_supported = 0x1800\n'
              b'xsave_features = 0x1f\nmax_size = 11008\nmxcsr_mask = 0xffff\n'
              b'# component = bit offset size flags\n'
              b'component = 2 576 256 0x0\ncomponent = 3 960 64 0x0\n'
              b'component = 4 1024 64 0x0\ncomponent = 5 1088 64 0x0\n'
              b'component = 6 1152 512 0x0\ncomponent = 7 1664 1024 0x0\n'
              b'component = 9 2688 8 0x0\ncomponent = 11 0 16 0x1\n'
              b'component = 12 0 24 0x1\ncomponent = 17 2752 64 0x0\n'
              b'component = 18 2816 8192 0x6\n')

# As 'fpvm run --save-fpstate' writes them on an AMD EPYC with AVX-512 (no
# MPX: opmask at 832) and for an x87/SSE-only guest.
AMD_LAYOUT = (b'# fpvm fpstate layout v1: describes vcpu0.xsave\n'
              b'vcpu = 0\nsize = 4096\nis_guest = 1\nxcr0 = 0xe7\nxfeatures = 0xe7\n'
              b'xcr0_supported = 0xe7\nxss_supported = 0x0\nxsave_features = 0x0\n'
              b'max_size = 2432\nmxcsr_mask = 0x2ffff\n'
              b'# component = bit offset size flags\n'
              b'component = 2 576 256 0x0\ncomponent = 5 832 64 0x0\n'
              b'component = 6 896 512 0x0\ncomponent = 7 1408 1024 0x0\n')
X87_SSE_LAYOUT = (b'# fpvm fpstate layout v1: describes vcpu1.xsave\n'
                  b'vcpu = 1\nsize = 4096\nis_guest = 1\nxcr0 = 0x3\nxfeatures = 0x3\n'
                  b'xcr0_supported = 0x7\nxss_supported = 0x0\nxsave_features = 0xf\n'
                  b'max_size = 832\nmxcsr_mask = 0xffff\n'
                  b'component = 2 576 256 0x0\n')


def layout_corpus(out):
    """The .layout texts fpvm writes, and what the strict parser refuses
    (issue 20 item 7): each refused seed differs from a good one in one way."""
    good = {'amd': AMD_LAYOUT, 'amx': AMX_LAYOUT, 'x87-sse': X87_SSE_LAYOUT}
    for name, text in good.items():
        write(out, 'good-' + name, text)
    bad = {
        'size-wraps': AMD_LAYOUT.replace(b'size = 4096', b'size = 4294971392'),
        'xcr0-junk': AMD_LAYOUT.replace(b'xcr0 = 0xe7\n', b'xcr0 = 0xe7 trailing junk\n'),
        'no-xcr0-xfeatures-is-guest': b''.join(
            l for l in AMD_LAYOUT.splitlines(True)
            if not l.startswith((b'xcr0 =', b'xfeatures =', b'is_guest ='))),
        'repeated-key': AMD_LAYOUT + b'xcr0 = 0x7\n',
        'long-comment': AMD_LAYOUT + b'# ' + b'x' * 300 + b'size = 8192\n',
        'outside-image': AMX_LAYOUT.replace(b'size = 11008', b'size = 4096'),
        'absurd-offset': AMD_LAYOUT.replace(b'component = 7 1408', b'component = 7 4000000000'),
        'overlap': AMD_LAYOUT.replace(b'component = 6 896', b'component = 6 840'),
        'avx-moved': AMD_LAYOUT.replace(b'component = 2 576', b'component = 2 640'),
        'xcr0-no-x87': AMD_LAYOUT.replace(b'xcr0 = 0xe7', b'xcr0 = 0xe6'),
        'is-guest-2': AMD_LAYOUT.replace(b'is_guest = 1', b'is_guest = 2'),
        'undescribed-feature': AMD_LAYOUT.replace(b'xfeatures = 0xe7', b'xfeatures = 0x2e7'),
    }
    for name, text in bad.items():
        write(out, 'bad-' + name, text)


def fpstate_variants(out, layout, xsave):
    """Variants of one real saved fpstate, for what a run here cannot save:
    other machines' layouts, host fpstates and broken files."""
    def seed(name, lay, xs):
        write(out, name, lay + b'\0' + xs)

    def with_header(xs, xstate_bv=None, xcomp_bv=None, byte=None, mxcsr=None):
        b = bytearray(xs)
        if xstate_bv is not None:
            b[512:520] = struct.pack('<Q', xstate_bv)
        if xcomp_bv is not None:
            b[520:528] = struct.pack('<Q', xcomp_bv)
        if byte is not None:
            b[512 + byte] = 0x5A
        if mxcsr is not None:
            b[24:28] = struct.pack('<I', mxcsr)
        return bytes(b)

    seed('amx-machine', AMX_LAYOUT, with_header(xsave + bytes(11008 - len(xsave)),
                                                 xstate_bv=0x602ff))
    host = layout.replace(b'is_guest = 1', b'is_guest = 0')
    seed('host-supervisor-bits', host, with_header(xsave, xstate_bv=0x1803))
    seed('bad-xcomp-bv', layout, with_header(xsave, xcomp_bv=0x8000000000000007))
    seed('bad-reserved-header', layout, with_header(xsave, byte=40))
    seed('bad-mxcsr', layout, with_header(xsave, mxcsr=0xFFFFFFFF))
    seed('bad-xstate-bv-outside', layout, with_header(xsave, xstate_bv=0x2ff))
    seed('bad-size-mismatch', layout, xsave[:4000])
    seed('bad-size-range', layout.replace(b'size = 4096', b'size = 100'), xsave[:100])
    seed('bad-component', layout + b'component = 64 0 8 0x0\n', xsave)
    seed('bad-line', layout + b'colour = blue\n', xsave)
    seed('no-xsave', layout, b'')


def fpstate_corpus(out, fpvm, guest_dir):
    runs = {
        'default': ['run'],
        'x87-sse': ['run', '--xcr0', 'x87,sse'],
        'x87-sse-avx': ['run', '--xcr0', 'x87,sse,avx'],
        'smp': ['run', '--cpus', '2'],
    }
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in runs.items():
            d = os.path.join(tmp, name)
            os.mkdir(d)
            guest = os.path.join(guest_dir, 'smp.elf' if name == 'smp' else 'fpu.elf')
            r = subprocess.run([fpvm] + args + ['--save-fpstate', d, guest],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode:
                sys.exit('%s %s: exit status %d: %s' % (fpvm, ' '.join(args), r.returncode,
                                                        r.stderr.decode(errors='replace')))
            for f in sorted(os.listdir(d)):
                if not f.endswith('.xsave'):
                    continue
                with open(os.path.join(d, f[:-6] + '.layout'), 'rb') as lf:
                    layout = lf.read()
                with open(os.path.join(d, f), 'rb') as xf:
                    xsave = xf.read()
                write(out, 'saved-%s-%s' % (name, f[:-6]), layout + b'\0' + xsave)
                if first is None:
                    first = (layout, xsave)
    fpstate_variants(out, *first)


def manifest_corpus(out):
    with open(os.path.join(SOURCE, 'tests', 'guests.cfg'), 'rb') as f:
        cfg = f.read()
    write(out, 'guests.cfg', cfg)
    with open(os.path.join(SOURCE, 'tests', 'hostile.cfg'), 'rb') as f:
        write(out, 'hostile.cfg', f.read())
    seeds = {
        # kvm-unit-tests' unittests.cfg, the other dialect fpvm test reads.
        'kut-unittests': (b'# x86/unittests.cfg, in its own words\n'
                          b'[apic]\nfile = apic.flat\nsmp = 2\nextra_params = -cpu qemu64,+x2apic '
                          b'-append \'one two\'\narch = x86_64\ngroups = apic\ntimeout = 30\n\n'
                          b'[xsave]\nfile = xsave.flat\ntest_args = "fpu sse"\n'
                          b'qemu_params = -m 256\nsmp = $MAX_SMP\naccel = kvm\n'
                          b'check = /sys/module/kvm/parameters/x=Y\n\n'
                          b'[tcg-only]\nfile = a.flat\naccel = tcg\ntimeout = 90s\n'
                          b'disabled_if = [[ "$TARGET" == "tcg" ]]\n'),
        'one-test': b'[hello]\nguest = hello.elf\n',
        'every-key': (b'# every key once\n[all-keys]\nguest = /abs/hello.elf\n'
                      b'args = one "two words" \'single quoted\' esc\\ aped\n'
                      b'options = --exit-status=qemu --strict-io\ncpus = 4\nmem = 2M\n'
                      b'timeout = 2.5\nexpect = 1\noutput = Hello from fpvm guest!\n'
                      b'groups = smoke boot\nrequires = cpu:avx xcr0:avx512 !quirk:cpl0-xsave-fails\n'
                      b'; a comment\n\t\n[second.test+1]\r\nguest=smp.elf\r\n'),
        'crlf-and-blanks': b'\r\n  [ spaced ]  \r\n  guest  =  g.elf  \r\n\t# tab\r\n',
        'empty-args': b'[t]\nguest = g\nargs =\noptions = ""\ngroups = \'\'\n',
        'bad-unterminated-quote': b'[t]\nguest = g\nargs = "open\n',
        'bad-duplicate': b'[t]\nguest = g\n[t]\nguest = g\n',
        'bad-no-guest': b'[t]\ncpus = 2\n',
        'bad-key-before-test': b'guest = g\n[t]\nguest = g\n',
        'bad-unknown-key': b'[t]\nguest = g\ncolour = blue\n',
        'bad-name': b'[t/../x]\nguest = g\n',
        'bad-section': b'[t] trailing\nguest = g\n',
        'bad-numbers': b'[t]\nguest = g\ncpus = 0\nexpect = 256\ntimeout = 0\n',
        'bad-empty': b'',
        'bad-only-comments': b'# nothing\n; here\n',
    }
    for name, data in seeds.items():
        write(out, name, data)


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), as snapshot/crc32c.c computes it."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def with_checksum(body):
    """A manifest body and the checksum line over every byte of it."""
    return body + b'checksum = 0x%08x\n' % crc32c(body)


SNAPSHOT_MANIFEST = (
    b'# fpvm snapshot: the parts below, each with its size and CRC-32C\n'
    b'format = 2\nfpvm_version = 0.1.0\ncreated = 2026-12-01T11:22:33Z\n'
    b'reason = SIGUSR1\nguest = build/guest/hello\ncpus = 2\nmem_size = 67108864\n'
    b'guest_xcr0 = 0x2e7\nhost_vendor = AuthenticAMD\nhost_family = 25\nhost_model = 17\n'
    b'host_stepping = 1\nhost_model_name = AMD EPYC 9R14 96-Core Processor\n'
    b'host_xcr0_supported = 0x2e7\nhost_xss_supported = 0x0\nhost_uabi_size = 4096\n'
    b'generation = 3\n'
    b'part = memory 67108864 0x1234abcd\npart = vcpu0.state 1234 0x89abcdef\n')
# What fpvm 0.1.0 wrote: its parts beside the manifest, no generation.
SNAPSHOT_MANIFEST_FLAT = SNAPSHOT_MANIFEST.replace(b'format = 2', b'format = 1').replace(
    b'generation = 3\n', b'')


def snapshot_manifest_corpus(out):
    good = SNAPSHOT_MANIFEST
    many = good + b''.join(b'part = vcpu%d.%s %d 0x%08x\n' % (i, kind, 100 + i, i * 77)
                           for i in (0, 1) for kind in (b'cpuid', b'xsave', b'layout'))
    many += b'part = machine 4096 0x0badcafe\npart = vcpu1.state 1234 0x00000001\n'

    def edit(old, new, body=good):
        assert old in body
        return body.replace(old, new, 1)

    seeds = {
        'good': with_checksum(good),
        'good-many-parts': with_checksum(many),
        'good-empty-strings': with_checksum(
            edit(b'reason = SIGUSR1\n', b'reason =\n',
                 edit(b'host_model_name = AMD EPYC 9R14 96-Core Processor\n',
                      b'host_model_name =\n')).split(b'part = ')[0]),
        'good-no-newline-at-end': with_checksum(good)[:-1],
        'good-comments-blanks-tabs': with_checksum(
            edit(b'cpus = 2\n', b'# two\n\ncpus\t=\t2 \n')),
        'bad-checksum': with_checksum(good).replace(b'hello', b'hellO'),
        'bad-no-checksum': good,
        'bad-checksum-not-last': with_checksum(good) + b'reason = late\n',
        'good-format-1': with_checksum(SNAPSHOT_MANIFEST_FLAT),
        'bad-format-3': with_checksum(edit(b'format = 2', b'format = 3')),
        'bad-format-1-generation': with_checksum(edit(b'format = 2', b'format = 1')),
        'bad-no-generation': with_checksum(edit(b'generation = 3\n', b'')),
        'bad-generation-0': with_checksum(edit(b'generation = 3', b'generation = 0')),
        'bad-generation-big': with_checksum(edit(b'generation = 3', b'generation = 1000000000')),
        'bad-part-gen-name': with_checksum(good + b'part = gen-4 1 0x0\n'),
        'bad-first-not-format': with_checksum(edit(b'format = 2\n', b'', good) +
                                              b'format = 2\n'),
        'bad-size-overflows': with_checksum(
            edit(b'part = vcpu0.state 1234 0x89abcdef',
                 b'part = vcpu0.state 99999999999999999999999 0x0')),
        'bad-part-too-big': with_checksum(good + b'part = big 67108865 0x0\n'),
        'bad-memory-size': with_checksum(edit(b'memory 67108864', b'memory 4096')),
        'bad-duplicate-part': with_checksum(good + b'part = vcpu0.state 1 0x0\n'),
        'bad-name-slash': with_checksum(good + b'part = a/b 1 0x0\n'),
        'bad-name-dotdot': with_checksum(good + b'part = .. 1 0x0\n'),
        'bad-unknown-key': with_checksum(edit(b'reason = SIGUSR1', b'colour = blue')),
        'bad-missing-key': with_checksum(edit(b'cpus = 2\n', b'')),
        'bad-duplicate-key': with_checksum(edit(b'cpus = 2\n', b'cpus = 2\ncpus = 3\n')),
        'bad-cpus-0': with_checksum(edit(b'cpus = 2', b'cpus = 0')),
        'bad-mem-size': with_checksum(edit(b'mem_size = 67108864', b'mem_size = 67108865')),
        'bad-hex': with_checksum(edit(b'guest_xcr0 = 0x2e7', b'guest_xcr0 = 0x1ffffffffffffffff')),
        'bad-created': with_checksum(edit(b'2026-12-01T11:22:33Z', b'yesterday')),
        'bad-long-string': with_checksum(edit(b'AuthenticAMD', b'AuthenticAMDxxxxx')),
        'bad-nul-byte': with_checksum(edit(b'SIGUSR1', b'SIG\0USR1')),
        'bad-crlf': with_checksum(good.replace(b'\n', b'\r\n')),
        'bad-long-line': with_checksum(edit(b'build/guest/hello', b'x' * 2000)),
        'bad-huge-line-no-newline': good + b'x' * 4000,
    }
    for name, data in seeds.items():
        write(out, name, data)


def bzimage(version=0x020f, loadflags=0x01, xloadflags=0x7f, relocatable=1, align=0x200000,
            pref=0x1000000, init_size=0x400000, cmdline_size=2047, initrd_max=0x7fffffff,
            setup_sects=4, header_end=0x26c, kernel=0x1000, cut=None):
    """A bzImage with the setup header of boot.rst and @kernel bytes of protected-mode code."""
    setup = ((setup_sects or 4) + 1) * 512
    img = bytearray(setup + kernel)
    img[0x1f1] = setup_sects
    struct.pack_into('<I', img, 0x1f4, kernel // 16)
    struct.pack_into('<H', img, 0x1fe, 0xaa55)
    img[0x200:0x202] = bytes([0xeb, header_end - 0x202])
    img[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', img, 0x206, version)
    img[0x211] = loadflags
    struct.pack_into('<IIBBHI', img, 0x22c, initrd_max, align, relocatable, 21, xloadflags,
                     cmdline_size)
    struct.pack_into('<QI', img, 0x258, pref, init_size)
    img[setup:setup + len(CODE)] = CODE
    return bytes(img[:cut] if cut else img)


def linux_corpus(out):
    for name, data in {
        'good': bzimage(),
        'good-setup-sects-0': bzimage(setup_sects=0),
        'good-not-relocatable': bzimage(relocatable=0, pref=0x200000),
        'good-pref-low': bzimage(pref=0x1000),
        'good-protocol-2.12': bzimage(version=0x020c),
        'good-long-header': bzimage(header_end=0x301),
        'big-init-size': bzimage(init_size=0x8000000),
        'bad-protocol-2.11': bzimage(version=0x020b),
        'bad-no-64bit-entry': bzimage(xloadflags=0x7e),
        'bad-zimage': bzimage(loadflags=0),
        'bad-alignment': bzimage(align=0x300000),
        'bad-not-relocatable-low': bzimage(relocatable=0, pref=0x80000),
        'bad-header-short': bzimage(header_end=0x240),
        'bad-truncated-kernel': bzimage(cut=0xa00 + 0x800),
        'bad-truncated-header': bzimage(cut=0x240),
        'bad-cmdline-size': bzimage(cmdline_size=100),
        'bad-initrd-addr-max': bzimage(initrd_max=0x1800000),
        'bad-magic': bzimage()[:0x202] + b'HdrX' + bzimage()[0x206:],
    }.items():
        write(out, name, data)


def rsp(data):
    """One GDB remote protocol packet as gdb frames it: $data#checksum."""
    return b'$%s#%02x' % (data, sum(data) & 0xff)


def gdb_packet_corpus(out):
    """What gdb sends the stub (gdb/packet.c, gdb/server.c): a session as
    gdb opens it, and the malformed packets the stub must refuse."""
    hello = [b'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;xmlRegisters=i386',
             b'QStartNoAckMode', b'qXfer:features:read:target.xml:0,ffb', b'?', b'Hg0',
             b'qfThreadInfo', b'qsThreadInfo', b'qC', b'qAttached', b'g']
    seeds = {
        'session': [b'+'] + hello,
        'break-step': [b'Z0,100,1', b'm100,4', b'vCont;s:1;c', b'z0,100,1', b'vCont;c'],
        'registers': [b'p10', b'P10=0010000000000000', b'p6b', b'P6b=0807060504030201',
                      b'G' + b'00' * 16, b'p3e8'],
        'memory': [b'm0,10', b'M20,4:deadbeef', b'mffff,2', b'm0,ffffffffffffffff', b'Mzz'],
        'watch': [b'Z2,400,4', b'Z3,408,8', b'Z4,410,2', b'Z1,420,1', b'Z2,401,4', b'z2,400,4'],
        'monitor': [b'qRcmd,' + b'fpstate'.hex().encode(), b'qRcmd,' + b'xcr0'.hex().encode(),
                    b'qRcmd,6', b'qRcmd,zz'],
        'threads': [b'Hg2', b'Hc-1', b'T1', b'T9', b'qThreadExtraInfo,1', b'vCont?',
                    b'vCont;S05:1;C05', b'vCont;x'],
        'detach': [b'D'],
        'kill': [b'vKill;1', b'k'],
    }
    for i, (name, pkts) in enumerate(seeds.items()):
        data = bytes([i & 3]) + b''.join(p if p == b'+' else rsp(p) for p in pkts)
        write(out, name, data)
    write(out, 'escapes', b'\x00' + rsp(b'M0,2:}\x03}\x04') + b'\x03' + rsp(b'qRcmd,}]'))
    write(out, 'bad-checksum', b'\x01$g#00$?#3f')
    write(out, 'overlong', b'\x02$' + b'a' * 20000 + b'#00' + rsp(b'g'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(HERE, 'corpus'),
                    help='where the corpus directories go (default: tests/fuzz/corpus)')
    ap.add_argument('--fpvm', help='fpvm to save fpstates with (needs /dev/kvm)')
    ap.add_argument('--guest-dir', help="where fpu.elf and smp.elf are (with --fpvm)")
    a = ap.parse_args()

    targets = ['elf', 'linux', 'xcr0', 'cli', 'manifest', 'snapshot_manifest', 'layout',
               'gdb_packet'] + (
        ['fpstate_file'] if a.fpvm else [])
    # Start from nothing, so a seed removed here goes away there too; but
    # keep what libFuzzer found: found-*, inputs that reach code no seed
    # here does, and crash-*, inputs that crashed fpvm before a fix.
    for t in targets:
        d = os.path.join(a.out, t)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            if not f.startswith(('found-', 'crash-')):
                os.remove(os.path.join(d, f))
    elf_corpus(os.path.join(a.out, 'elf'))
    linux_corpus(os.path.join(a.out, 'linux'))
    for i, s in enumerate(XCR0_SEEDS):
        name = ''.join(c if c.isalnum() else '_' for c in s)[:40] or 'empty'
        write(os.path.join(a.out, 'xcr0'), '%02d-%s' % (i, name), s.encode())
    for name, argv in CLI_SEEDS.items():
        write(os.path.join(a.out, 'cli'), name, b''.join(w.encode() + b'\0' for w in argv))
    manifest_corpus(os.path.join(a.out, 'manifest'))
    snapshot_manifest_corpus(os.path.join(a.out, 'snapshot_manifest'))
    layout_corpus(os.path.join(a.out, 'layout'))
    gdb_packet_corpus(os.path.join(a.out, 'gdb_packet'))
    if a.fpvm:
        if not a.guest_dir:
            sys.exit('--fpvm needs --guest-dir')
        fpstate_corpus(os.path.join(a.out, 'fpstate_file'), a.fpvm, a.guest_dir)


if __name__ == '__main__':
    main()
