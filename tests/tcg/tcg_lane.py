#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The faithful test lane: fpvm on a real KVM inside QEMU's software emulation.

A Debian kernel (the one linux-image-amd64 depends on) boots under
`qemu-system-x86_64 -accel tcg -cpu max`, where Debian's kvm and kvm-amd
modules give a /dev/kvm on an emulated SVM CPU with architectural semantics.
An initramfs carries busybox, those modules, fpvm, its guests and the
integration tests.

  tcg_lane.py [OPTIONS] suites [SUITE...]      run integration suites inside;
                                                TAP on stdout, one line per test
  tcg_lane.py [OPTIONS] run [--add FILE]... [--with-gdb] [--with-qemu] -- COMMAND...
                                                run COMMAND inside (in /add, with
                                                fpvm on PATH); exit with its status

Options: --build DIR (fpvm's build directory, default ./build), --cache DIR
(default BUILD/tcg-cache: the kernel package and its unpacked files are kept
there between runs), --quiet (no progress lines on stderr in run mode), --smp N (2), --mem MiB (1024), --timeout SECONDS (900,
the whole lane), --suite-timeout SECONDS (300, each suite inside), --qemu
PATH (the QEMU to run, default $FPVM_LANE_QEMU or the system's
qemu-system-x86_64; one unpacked into a prefix runs with that prefix's
firmware and libraries), --qemu backports (the Debian release's -backports
QEMU, fetched into the cache at test time, never committed; the system's
where that fails, said in a progress line), --accel VALUE (QEMU's -accel,
default $FPVM_LANE_ACCEL or tcg,thread=single).
"""

import argparse
import fcntl
import glob
import gzip
import io
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

MARK = '@@FPVM@@'
MODULES = ['virt/lib/irqbypass.ko', 'arch/x86/kvm/kvm.ko', 'drivers/crypto/ccp/ccp.ko',
           'arch/x86/kvm/kvm-amd.ko']
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class LaneError(Exception):
    pass


LOG = sys.stdout     # TAP comments in suites mode; stderr in run mode


def log(msg):
    if LOG is None:
        return
    print('# tcg: ' + msg, file=LOG, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def kernel_package(meta='linux-image-amd64'):
    out = run(['apt-cache', 'depends', meta]).stdout
    m = re.search(r'Depends: (linux-image-[0-9][^\s]*-amd64)\b', out)
    if not m:
        raise LaneError('cannot tell which kernel %s depends on:\n%s' % (meta, out))
    return m.group(1)


def fetch_kernel(cache, meta='linux-image-amd64', wanted=None):
    """vmlinuz and the four modules (or @wanted of the kernel @meta depends
    on), downloaded and unpacked once per cache."""
    os.makedirs(cache, exist_ok=True)
    # Lanes may run side by side (meson test runs tests in parallel): one
    # downloads and unpacks, the others wait for it.
    with open(os.path.join(cache, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return fetch_kernel_locked(cache, meta, wanted)


def fetch_kernel_locked(cache, meta, wanted):
    pkg = kernel_package(meta)
    kdir = os.path.join(cache, pkg)
    stamp = os.path.join(kdir, '.unpacked')
    if os.path.exists(stamp):
        return kdir
    debs = glob.glob(os.path.join(cache, pkg + '_*.deb'))
    if not debs:
        log('downloading ' + pkg)
        try:
            run(['apt-get', 'download', pkg], cwd=cache)
        except subprocess.CalledProcessError:
            if os.geteuid() != 0:
                raise LaneError('apt-get download %s failed; run apt-get update' % pkg)
            run(['apt-get', 'update', '-q'])
            run(['apt-get', 'download', pkg], cwd=cache)
        debs = glob.glob(os.path.join(cache, pkg + '_*.deb'))
    log('unpacking ' + os.path.basename(debs[0]))
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    if wanted is None:
        wanted = ['./boot/vmlinuz-*'] + ['./*lib/modules/*/kernel/' + m + '*' for m in MODULES]
    deb = subprocess.Popen(['dpkg-deb', '--fsys-tarfile', debs[0]], stdout=subprocess.PIPE)
    subprocess.run(['tar', '-x', '-C', kdir, '--wildcards'] + wanted, stdin=deb.stdout,
                   check=True)
    deb.wait()
    open(stamp, 'w').close()
    return kdir


SYSTEM_QEMU = 'qemu-system-x86_64'
# What --qemu backports fetches: QEMU with its own seabios (the release's
# is older than that QEMU wants); the rest of its libraries are the
# release's own.
QEMU_PACKAGES = ['qemu-system-x86', 'qemu-system-common', 'qemu-system-data', 'seabios']


class Qemu:
    """The QEMU binary the lane runs, and what it needs beside it: for one
    unpacked into a prefix (PREFIX/usr/bin/qemu-system-x86_64), the
    prefix's firmware (-L, searched before the system's), libraries and
    modules, so that it never loads the system QEMU's."""

    def __init__(self, path):
        self.path = shutil.which(path) or path
        self.firmware = []
        self.env = None
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(self.path))))
        if root == '/' or not os.path.isdir(os.path.join(root, 'usr', 'share', 'qemu')):
            return
        for d in ('qemu', 'seabios'):
            if os.path.isdir(os.path.join(root, 'usr', 'share', d)):
                self.firmware += ['-L', os.path.join(root, 'usr', 'share', d)]
        libdir = os.path.join(root, 'usr', 'lib', 'x86_64-linux-gnu')
        self.env = dict(os.environ, QEMU_MODULE_DIR=os.path.join(libdir, 'qemu'),
                        LD_LIBRARY_PATH=':'.join(
                            [libdir] + [d for d in [os.environ.get('LD_LIBRARY_PATH')] if d]))

    def version(self):
        out = run([self.path, '--version'], env=self.env).stdout
        m = re.search(r'version (\S+)', out)
        return m.group(1) if m else '?'


# A QEMU in a prefix still tries the system QEMU's module directory for
# modules its prefix lacks (ui-opengl) and refuses them, saying so on stderr:
# harmless, and not the command's output.
QEMU_FOREIGN_MODULE = re.compile(r'qemu-system-x86_64: failed to initialize module: |'
                                 r'Only modules from the same build can be loaded\.$')


def debian_codename():
    with open('/etc/os-release') as f:
        m = re.search(r'^VERSION_CODENAME=(\w+)', f.read(), re.M)
    if not m:
        raise LaneError('/etc/os-release names no release codename')
    return m.group(1)


def fetch_backports_qemu(cache):
    """qemu-system-x86_64 from the release's -backports, downloaded and
    unpacked once per cache with an apt configuration of the cache's own
    (its sources, lists and archives), so the system's QEMU and apt state
    stay as they are."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return fetch_backports_qemu_locked(os.path.join(cache, 'qemu-backports'))


def fetch_backports_qemu_locked(top):
    binary = os.path.join(top, 'root', 'usr', 'bin', SYSTEM_QEMU)
    stamp = os.path.join(top, 'root', '.unpacked')
    if os.path.exists(stamp):
        return binary
    release = debian_codename() + '-backports'
    for d in ('lists/partial', 'cache/archives/partial', 'debs'):
        os.makedirs(os.path.join(top, d), exist_ok=True)
    sources = os.path.join(top, 'sources.list')
    with open(sources, 'w') as f:
        f.write('deb http://deb.debian.org/debian %s main\n' % release)
    apt = ['apt-get', '-q', '-o', 'Dir::Etc::sourcelist=' + sources,
           '-o', 'Dir::Etc::sourceparts=-', '-o', 'Dir::State::Lists=' + top + '/lists',
           '-o', 'Dir::Cache=' + top + '/cache', '-o', 'APT::Sandbox::User=' + pwd_name()]
    log('downloading QEMU from ' + release)
    run(apt + ['update'])
    debs = os.path.join(top, 'debs')
    for f in os.listdir(debs):
        os.unlink(os.path.join(debs, f))
    run(apt + ['download'] + [p + '/' + release for p in QEMU_PACKAGES], cwd=debs)
    shutil.rmtree(os.path.join(top, 'root'), ignore_errors=True)
    for deb in sorted(glob.glob(os.path.join(debs, '*.deb'))):
        run(['dpkg-deb', '-x', deb, os.path.join(top, 'root')])
    if not os.path.exists(binary):
        raise LaneError('%s lacks %s' % (release, binary))
    open(stamp, 'w').close()
    return binary


def pwd_name():
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def lane_qemu(spec, cache):
    """The QEMU @spec names: a path or command name, or 'backports' for
    the release's -backports one, fetched into @cache; the system's where
    that cannot be had (a lane on the older QEMU beats no lane)."""
    if spec != 'backports':
        return Qemu(spec)
    try:
        qemu = Qemu(fetch_backports_qemu(cache))
        qemu.version()      # it runs here, with the release's libraries
        return qemu
    except (LaneError, subprocess.CalledProcessError, OSError) as e:
        why = str(e)
        if isinstance(e, subprocess.CalledProcessError):
            last = (e.stderr or '').strip().splitlines()[-1:] or ['status %d' % e.returncode]
            why = '%s failed: %s' % (os.path.basename(e.cmd[0]), last[0])
        log('no QEMU from backports (%s); using the system\'s %s' % (why, SYSTEM_QEMU))
        return Qemu(SYSTEM_QEMU)


def kernel_files(kdir):
    vmlinuz = glob.glob(os.path.join(kdir, 'boot', 'vmlinuz-*'))
    mods = []
    for m in MODULES:
        found = glob.glob(os.path.join(kdir, '*lib', 'modules', '*', 'kernel', m + '*'))
        if not found or not vmlinuz:
            raise LaneError('kernel package lacks %s' % (m if vmlinuz else 'vmlinuz'))
        mods.append(found[0])
    return vmlinuz[0], mods


class Cpio:
    """A gzipped newc initramfs, written directly."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b'', nlink=1, rdev=(0, 0)):
        hdr = '070701' + ''.join('%08x' % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1,
            0))
        self.ino += 1
        self.buf.write(hdr.encode() + name.encode() + b'\0')
        self.buf.write(b'\0' * (-(110 + len(name) + 1) % 4))
        self.buf.write(data)
        self.buf.write(b'\0' * (-len(data) % 4))

    def mkdir(self, path):
        parts = path.strip('/').split('/')
        for i in range(1, len(parts) + 1):
            d = '/'.join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self._entry(d, 0o40755, nlink=2)

    def add(self, path, data, mode=0o100644):
        self.mkdir(os.path.dirname(path))
        self._entry(path.strip('/'), mode, data)

    def add_file(self, path, src, mode=None):
        data = open(src, 'rb').read()
        if src.endswith('.xz'):
            data = lzma.decompress(data)
        self.add(path, data, mode or (0o100755 if os.access(src, os.X_OK) else 0o100644))

    def mknod_char(self, path, major, minor, mode=0o600):
        """A character device node: the archive says so, no privilege needed."""
        self.mkdir(os.path.dirname(path))
        self._entry(path.strip('/'), 0o20000 | mode, rdev=(major, minor))

    def symlink(self, path, target):
        self.mkdir(os.path.dirname(path))
        self._entry(path.strip('/'), 0o120777, target.encode())

    def finish(self, compress=True):
        self._entry('TRAILER!!!', 0)
        if not compress:
            return self.buf.getvalue()
        return gzip.compress(self.buf.getvalue(), compresslevel=1)


def shared_libs(binary):
    """The dynamic loader and libraries a host binary needs, from ldd; none
    for a static one (fpvm's default build), where ldd fails and says so."""
    p = subprocess.run(['ldd', binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode and 'not a dynamic executable' in p.stdout:
        return []
    if p.returncode:
        raise LaneError('ldd %s: %s' % (binary, p.stdout.strip()))
    out = p.stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r'(/\S+) \(0x', line)
        if m:
            libs.append(m.group(1))
    return libs


INIT = r'''#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/fpvm
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in /lib/modules/*.ko.load; do
	insmod "$(cat "$m")" || echo "@@FPVM@@ FATAL insmod $(cat "$m") failed"
done
if [ ! -c /dev/kvm ]; then
	echo "@@FPVM@@ FATAL no /dev/kvm after loading kvm-amd"
	poweroff -f
fi
echo "@@FPVM@@ READY $(grep -c processor /proc/cpuinfo) CPUs, $(grep -o -w -E 'svm|npt' /proc/cpuinfo | sort -u | tr '\n' ' ')"
[ -f /fpvm/linux/bzImage ] && export LINUX_KERNEL=/fpvm/linux/bzImage LINUX_INITRD=/fpvm/linux/rootfs.cpio
[ -f /fpvm/linux/vmlinux ] && export LINUX_VMLINUX=/fpvm/linux/vmlinux
[ -x /fpvm/gdb/gdb ] && export GDB=/fpvm/gdb/gdb PYTHONHOME=/fpvm/gdb/python
[ -x /fpvm/qemu/qemu-system-x86_64 ] && export QEMU=/fpvm/qemu/qemu-system-x86_64 QEMU_L=/fpvm/qemu
# This QEMU now and then gives a nested Linux guest an interrupt while its
# IF is 0, and it deadlocks (docs/linux.md, "The early-boot hang"): the
# linux suite boots again after a timeout, twice at most, and says so.
export LINUX_BOOT_RETRIES=2
export FPVM=/fpvm/fpvm GUEST_DIR=/fpvm/guest FPU_CHECK=/fpvm/fpu_check ORDER_CHECK=/fpvm/order_check SNAP_RELAYOUT=/fpvm/snap_relayout FIXTURE_DIR=/fpvm/fixtures TMPDIR=/tmp
cd /tmp
. /job
poweroff -f
'''

# Output streams as it comes, so a hang shows where it is; a suite that
# outlives its watchdog is killed and reported.
SUITES_JOB = r'''for s in %s; do
	echo "@@FPVM@@ BEGIN $s"
	t0=$(date +%%s)
	{ timeout %d sh /fpvm/tests/test_$s.sh 2>&1; echo $? >/tmp/rc; } |
		while IFS= read -r l; do echo "@@FPVM@@ $l"; done
	echo "@@FPVM@@ END $s rc=$(cat /tmp/rc) $(( $(date +%%s) - t0 ))s"
done
'''

RUN_JOB = r'''cd /add 2>/dev/null || cd /tmp
%s
echo "@@FPVM@@ EXIT $?"
'''


def linux_initramfs(init, files=(), compress=False):
    """A Linux guest's initramfs: @init as /init, @files in /bin, and
    /dev/console, which the kernel opens for init before it runs it."""
    c = Cpio()
    for d in ('dev', 'proc', 'sys', 'bin'):
        c.mkdir(d)
    c.mknod_char('/dev/console', 5, 1)
    c.add_file('/init', init, 0o100755)
    for f in files:
        c.add_file('/bin/' + os.path.basename(f), f)
    return c.finish(compress=compress)


def linux_guest(build, cache):
    """The linux suite's kernel (Debian's cloud kernel), its test initramfs,
    and the PVH vmlinux inside the kernel (None where it cannot be extracted)."""
    kdir = fetch_kernel(cache, 'linux-image-cloud-amd64', ['./boot/vmlinuz-*'])
    init = os.path.join(build, 'tests', 'linux', 'linux-init')
    if not os.path.exists(init):
        raise LaneError('%s is not built (ninja -C %s)' % (init, build))
    bzimage = glob.glob(os.path.join(kdir, 'boot', 'vmlinuz-*'))[0]
    sys.path.insert(0, os.path.join(SOURCE, 'tests', 'linux'))
    import kernel  # noqa: E402 (tests/linux/kernel.py imports this file)
    try:
        vmlinux = kernel.extract_vmlinux(bzimage, os.path.join(kdir, 'vmlinux'))
    except (kernel.NoVmlinux, OSError) as e:
        log('no PVH vmlinux: %s' % e)
        vmlinux = None
    return bzimage, linux_initramfs(init), vmlinux


# What gdb's embedded Python needs to start: the codecs and the modules
# site imports.  gdb's own Python package is left out; gdb then warns and
# goes on without its Python commands, which the gdb suite does not use.
PYTHON_MODULES = ['codecs', 'io', 'abc', 'site', 'os', 'stat', 'posixpath', 'genericpath',
                  '_collections_abc', '_sitebuiltins']


def add_gdb(c, libs):
    """The host's gdb and what it loads, for the gdb suite (test_gdb.sh)."""
    gdb = shutil.which('gdb')
    if not gdb:
        return
    c.mkdir('fpvm/gdb')
    c.add_file('/fpvm/gdb/gdb', gdb, 0o100755)
    gdb_libs = shared_libs(gdb)
    libs.update(gdb_libs)
    pylib = [l for l in gdb_libs if os.path.basename(l).startswith('libpython3')]
    if not pylib:
        return
    ver = re.match(r'libpython(3\.\d+)', os.path.basename(pylib[0])).group(1)
    src = '/usr/lib/python' + ver
    dst = 'fpvm/gdb/python/lib/python' + ver
    for d in ('fpvm/gdb/python', 'fpvm/gdb/python/lib', dst, dst + '/encodings'):
        c.mkdir(d)
    for f in sorted(glob.glob(os.path.join(src, 'encodings', '*.py'))):
        c.add_file('/%s/encodings/%s' % (dst, os.path.basename(f)), f)
    for m in PYTHON_MODULES:
        c.add_file('/%s/%s.py' % (dst, m), os.path.join(src, m + '.py'))


# What QEMU needs to boot SeaBIOS with -nodefaults (its -L directory), and
# -kernel's option ROM (bench/linux_boot.sh).
QEMU_FILES = ['/usr/share/seabios/bios-256k.bin', '/usr/share/qemu/kvmvapic.bin',
              '/usr/share/qemu/linuxboot_dma.bin']


def add_qemu(c, libs):
    """The host's QEMU, for benchmarks against it on the lane's KVM."""
    qemu = shutil.which('qemu-system-x86_64')
    c.mkdir('fpvm/qemu')
    c.add_file('/fpvm/qemu/qemu-system-x86_64', qemu, 0o100755)
    libs.update(shared_libs(qemu))
    for f in QEMU_FILES:
        if os.path.exists(f):
            c.add_file('/fpvm/qemu/' + os.path.basename(f), os.path.realpath(f))


def build_initramfs(build, mods, job, extra, linux=None, gdb=False, qemu=False):
    c = Cpio()
    for d in ('bin', 'dev', 'proc', 'sys', 'tmp', 'fpvm/guest', 'fpvm/tests'):
        c.mkdir(d)
    c.add_file('/bin/busybox', shutil.which('busybox') or '/bin/busybox', 0o100755)
    c.add('/init', INIT.encode(), 0o100755)
    c.add('/job', job.encode(), 0o100644)
    for i, m in enumerate(mods):
        name = os.path.basename(m).replace('.xz', '')
        c.add_file('/lib/modules/' + name, m, 0o100644)
        c.add('/lib/modules/%d.ko.load' % i, ('/lib/modules/' + name).encode())
    binaries = {'fpvm': os.path.join(build, 'fpvm'),
                'fpu_check': os.path.join(build, 'tests', 'integration', 'fpu_check'),
                'order_check': os.path.join(build, 'tests', 'integration', 'order_check'),
                'snap_relayout': os.path.join(build, 'tests', 'integration', 'snap_relayout')}
    libs = set()
    for name, path in binaries.items():
        if not os.path.exists(path):
            raise LaneError('%s is not built (ninja -C %s)' % (path, build))
        c.add_file('/fpvm/' + name, path, 0o100755)
        libs.update(shared_libs(path))
    if gdb:
        add_gdb(c, libs)
    if qemu:
        add_qemu(c, libs)
    for lib in sorted(libs):
        c.add_file(lib, os.path.realpath(lib), 0o100755)
    for elf in glob.glob(os.path.join(build, 'guest', '*.elf')):
        c.add_file('/fpvm/guest/' + os.path.basename(elf), elf, 0o100755)
    for sh in glob.glob(os.path.join(SOURCE, 'tests', 'integration', '*.sh')):
        c.add_file('/fpvm/tests/' + os.path.basename(sh), sh, 0o100755)
    # CPUID fixtures, for the snapshot suite's other-layout restore.
    c.mkdir('fpvm/fixtures')
    c.mkdir('fpvm/fixtures/cpuid')
    for f in glob.glob(os.path.join(SOURCE, 'tests', 'fixtures', 'cpuid', '*.txt')):
        c.add_file('/fpvm/fixtures/cpuid/' + os.path.basename(f), f)
    # The bundled manifest and the JUnit schema, beside the scripts.
    for f in glob.glob(os.path.join(SOURCE, 'tests', '*.cfg')) + \
            [os.path.join(SOURCE, 'tests', 'junit.xsd')]:
        c.add_file('/fpvm/tests/' + os.path.basename(f), f)
    for f in extra:
        c.add_file('/add/' + os.path.basename(f), f)
    if linux:
        c.add_file('/fpvm/linux/bzImage', linux[0], 0o100644)
        c.add('/fpvm/linux/rootfs.cpio', linux[1])
        if linux[2]:
            c.add_file('/fpvm/linux/vmlinux', linux[2], 0o100644)
    return c.finish()


def boot(args, vmlinuz, initrd_path):
    cmd = [args.qemu.path] + args.qemu.firmware + [
           '-accel', args.accel, '-cpu', 'max', '-smp', str(args.smp), '-m', str(args.mem), '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
           '-no-reboot', '-kernel', vmlinuz, '-initrd', initrd_path,
           '-append', 'console=ttyS0 panic=-1 quiet loglevel=' + str(args.loglevel)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=args.qemu.env, bufsize=1, text=True,
                            errors='replace')


def lines(proc, deadline):
    """Console lines until QEMU exits; kills it at the deadline."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            yield None
            return
        if sel.select(timeout=min(left, 5)):
            line = proc.stdout.readline()
            if not line:
                proc.wait()
                return
            yield line.rstrip('\r\n')


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, desc, diag=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, desc), flush=True)
        for d in diag:
            print('# ' + d, flush=True)


def run_suites(args, proc, deadline, tap):
    console = []
    suite = None
    pending = None          # the last not-ok test, collecting its diagnostics
    finished = set()
    for line in lines(proc, deadline):
        if line is None:
            tap.result(False, 'tcg lane finished within %d s' % args.timeout,
                       ['QEMU killed; last console lines:'] + console[-30:])
            break
        console.append(line)
        if MARK not in line:
            continue
        msg = line.split(MARK, 1)[1].lstrip(' ')
        if msg.startswith('FATAL'):
            tap.result(False, 'inner KVM', [msg] + console[-30:])
        elif msg.startswith('READY'):
            log('inner machine ' + msg)
        elif msg.startswith('BEGIN '):
            suite = msg.split()[1]
        elif msg.startswith('END '):
            if 'rc=0 ' not in msg + ' ':
                tap.result(False, '[tcg] suite %s exited cleanly' % msg.split()[1],
                           [msg] + console[-20:])
            finished.add(msg.split()[1])
            log('suite %s finished: %s' % (msg.split()[1], ' '.join(msg.split()[2:])))
            suite = None
        elif suite:
            m = re.match(r'(not ok|ok) \d+ - (.*)', msg)
            if m:
                tap.result(m.group(1) == 'ok', '[tcg] %s: %s' % (suite, m.group(2)))
            elif msg.startswith('#'):
                print(msg, flush=True)
    for s in args.suites:
        if s not in finished:
            tap.result(False, '[tcg] suite %s ran to the end' % s,
                       ['console:'] + console[-40:])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--build', default='build')
    p.add_argument('--cache')
    p.add_argument('--smp', type=int, default=2)
    p.add_argument('--mem', type=int, default=1024)
    p.add_argument('--timeout', type=int, default=900)
    p.add_argument('--suite-timeout', type=int, default=300)
    p.add_argument('--quiet', action='store_true', help='run mode: no progress lines')
    # Multi-threaded TCG (QEMU 7.2) loses IPIs to a CPU that is inside a nested
    # SVM guest: the inner kernel then soft-locks in kvm_destroy_vm() waiting
    # for on_each_cpu(). One TCG thread for both CPUs keeps SMP and is stable.
    p.add_argument('--accel', default=os.environ.get('FPVM_LANE_ACCEL') or 'tcg,thread=single',
                   help='QEMU -accel value (default: $FPVM_LANE_ACCEL, else tcg,thread=single)')
    p.add_argument('--qemu', default=os.environ.get('FPVM_LANE_QEMU') or SYSTEM_QEMU,
                   help='the QEMU to run: a path, or "backports" for the Debian release\'s '
                   '-backports one, fetched into the cache (default: $FPVM_LANE_QEMU, else '
                   + SYSTEM_QEMU + ')')
    p.add_argument('--loglevel', type=int, default=3, help='inner kernel console loglevel')
    sub = p.add_subparsers(dest='mode', required=True)
    ps = sub.add_parser('suites')
    ps.add_argument('suites', nargs='*', default=['boot', 'failures', 'errors', 'fpstate', 'leakcheck'])
    pr = sub.add_parser('run')
    pr.add_argument('--add', action='append', default=[])
    pr.add_argument('--with-gdb', action='store_true', help="carry the host's gdb (as GDB)")
    pr.add_argument('--with-qemu', action='store_true',
                    help="carry the host's QEMU (as QEMU, its firmware in QEMU_L)")
    pr.add_argument('command', nargs=argparse.REMAINDER)
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    cache = os.path.abspath(args.cache or os.path.join(args.build, 'tcg-cache'))

    missing = [t for t in (SYSTEM_QEMU, 'busybox', 'apt-get', 'dpkg-deb')
               if not shutil.which(t)]
    if missing:
        msg = 'missing %s (Debian: qemu-system-x86 busybox-static)' % ', '.join(missing)
        if args.mode == 'suites':
            print('1..0 # SKIP ' + msg)
            return 0
        print('tcg_lane: ' + msg, file=sys.stderr)
        return 69

    global LOG
    if args.mode == 'run':
        LOG = None if args.quiet else sys.stderr
    t0 = time.monotonic()
    tap = Tap()
    try:
        vmlinuz, mods = kernel_files(fetch_kernel(cache))
        args.qemu = lane_qemu(args.qemu, cache)
        qemu_version = args.qemu.version()
        if args.mode == 'suites':
            job = SUITES_JOB % (' '.join(args.suites), args.suite_timeout)
        else:
            cmd = args.command[1:] if args.command[:1] == ['--'] else args.command
            if not cmd:
                raise LaneError('run: no command given')
            job = RUN_JOB % ' '.join("'%s'" % a.replace("'", "'\\''") for a in cmd)
        linux = None
        if args.mode == 'suites' and 'linux' in args.suites:
            # Without the cloud kernel the linux suite skips with its reason,
            # and the other suites still run.
            try:
                linux = linux_guest(args.build, cache)
            except (LaneError, subprocess.CalledProcessError, OSError) as e:
                log('linux suite without a kernel: %s' % e)
        data = build_initramfs(args.build, mods, job, getattr(args, 'add', []), linux,
                               gdb=('gdb' in args.suites) if args.mode == 'suites'
                               else args.with_gdb,
                               qemu=args.mode == 'run' and args.with_qemu)
        # One initramfs per lane run, so that lanes running side by side
        # do not overwrite each other's.
        with tempfile.NamedTemporaryFile(dir=cache, prefix='initrd-', suffix='.gz',
                                         delete=False) as f:
            initrd = f.name
            f.write(data)
    except (LaneError, subprocess.CalledProcessError, OSError) as e:
        detail = getattr(e, 'stderr', '') or ''
        if args.mode == 'suites':
            tap.result(False, 'tcg lane set-up', (str(e) + '\n' + detail).strip().splitlines())
            print('1..%d' % tap.n)
        else:
            print('tcg_lane: %s %s' % (e, detail), file=sys.stderr)
        return 1
    log('set-up %.1f s; booting %s under QEMU %s' %
        (time.monotonic() - t0, os.path.basename(vmlinuz), qemu_version))
    try:
        return boot_and_report(args, vmlinuz, initrd, t0, tap)
    finally:
        os.unlink(initrd)


def boot_and_report(args, vmlinuz, initrd, t0, tap):
    deadline = time.monotonic() + args.timeout
    proc = boot(args, vmlinuz, initrd)
    if args.mode == 'suites':
        run_suites(args, proc, deadline, tap)
        print('1..%d' % tap.n)
        log('lane wall time %.1f s' % (time.monotonic() - t0))
        return 1 if tap.failed else 0
    status = 1
    for line in lines(proc, deadline):
        if line is None:
            print('tcg_lane: timeout after %d s' % args.timeout, file=sys.stderr)
            return 124
        if line.startswith(MARK + ' EXIT '):
            status = int(line.split()[2])
        elif line.startswith(MARK + ' FATAL'):
            print('tcg_lane: ' + line, file=sys.stderr)
        elif not line.startswith(MARK) and not re.match(r'\[ *[0-9.]+\] reboot: ', line) \
                and not (args.qemu.env and QEMU_FOREIGN_MODULE.match(line)):
            print(line, flush=True)
    return status


if __name__ == '__main__':
    sys.exit(main())
