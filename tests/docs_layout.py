#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The documentation against the tree, as TAP (the `docs` suite).

  docs_layout.py SOURCE-DIR

docs/source-layout.md must name, in backticks and by its path from the top,
every folder and every source file of the tree, and every path it names must
exist: a file added without its line, or moved without the page, fails here.
Every docs/*.md page must be linked from README.md, every relative link in
README.md and docs/*.md must reach a file (and, with #anchor, a heading of
it), and the README must stay a front page.

The tree is what git tracks plus the source files it would track
(untracked, not ignored), so a new file fails before it is added; without
git, a walk.
"""

import os
import re
import subprocess
import sys

LAYOUT = 'docs/source-layout.md'
# Folders whose every source file the page names (loader/ is on its way from vmm/).
FOLDERS = ['base', 'fpstate', 'snapshot', 'devices', 'kvm', 'vcpu', 'vmm', 'loader',
           'leakcheck', 'suite', 'cmd', 'guest', 'bench', 'tests']
SOURCE_EXT = ('.c', '.h', '.S', '.py', '.sh', '.ld', '.cfg', '.xsd')
# Data, not source: named as folders only.
DATA = ('tests/fuzz/corpus/', 'tests/fixtures/')
# The README's budget as a front page (issue 19: "at most about 400 lines").
README_MAX_LINES = 400

FENCE = re.compile(r'^(```|~~~).*?^\1[ \t]*$', re.M | re.S)
LINK = re.compile(r'(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
PATH = re.compile(r'^\.?[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_.+-]+)*/?$')


def git_files(src, *which):
    out = subprocess.run(['git', '-C', src, 'ls-files', '-z'] + list(which),
                         check=True, capture_output=True).stdout
    return {f for f in out.decode().split('\0') if f}


def tree_files(src):
    """Every file of the tree, relative to it, '/'-separated."""
    try:
        # Untracked files count when they are source (a new file, not yet
        # added), not when they are what a run left behind (fpvm test's
        # fpvm-test-logs/, a report.xml).
        files = git_files(src, '--cached') | {
            f for f in git_files(src, '--others', '--exclude-standard')
            if f.endswith(SOURCE_EXT)}
        # A file deleted but not yet staged is listed by --cached.
        return sorted(f for f in files if os.path.isfile(os.path.join(src, f)))
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for root, dirs, names in os.walk(src):
        rel = os.path.relpath(root, src)
        dirs[:] = [d for d in dirs if d not in ('.git', '__pycache__') and
                   not (rel == '.' and (d.startswith('build') or d == 'subprojects'))]
        files += [os.path.normpath(os.path.join(rel, n)).replace(os.sep, '/') for n in names]
    return sorted(files)


def scope(files):
    """The folders and source files the layout page must name."""
    want_dirs, want_files = set(), set()
    for f in files:
        parts = f.split('/')
        if len(parts) == 1:
            want_files.add(f)                   # top-level files: README.md, fpvm-dev, ...
            continue
        for i in range(1, len(parts)):
            d = '/'.join(parts[:i]) + '/'
            if any(d.startswith(p) and d != p for p in DATA):
                break
            if parts[0] == 'subprojects' and i > 1:
                break
            want_dirs.add(d)
        if (parts[0] in FOLDERS and f.endswith(SOURCE_EXT) and
                not any(f.startswith(p) for p in DATA)):
            want_files.add(f)
    return want_dirs, want_files


def prose(text):
    """Markdown without fenced code blocks, where links are links."""
    return FENCE.sub('', text)


def backticked(text):
    return set(re.findall(r'`([^`\n]+)`', text))


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, blanks to '-'."""
    h = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading.strip()).lower()
    h = re.sub(r'[^\w\- ]', '', h)
    return h.replace(' ', '-')


def anchors(text):
    seen, out = {}, set()
    for m in re.finditer(r'^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$', prose(text), re.M):
        s = slug(m.group(1))
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else '%s-%d' % (s, n))
    return out


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, name, problems):
        self.n += 1
        if problems:
            self.failed += 1
            print('not ok %d - %s' % (self.n, name))
            for p in problems:
                print('#   %s' % p)
        else:
            print('ok %d - %s' % (self.n, name))


def main():
    if len(sys.argv) != 2:
        print('usage: docs_layout.py SOURCE-DIR', file=sys.stderr)
        return 64
    src = sys.argv[1]
    tap = Tap()
    print('1..6')

    files = tree_files(src)
    try:
        layout = open(os.path.join(src, LAYOUT), encoding='utf-8').read()
    except OSError as e:
        print('Bail out! %s: %s' % (LAYOUT, e.strerror))
        return 1
    named = backticked(layout)
    want_dirs, want_files = scope(files)

    tap.check('%s names every source file (%d)' % (LAYOUT, len(want_files)),
              ['%s: no line on %s' % (f, LAYOUT) for f in sorted(want_files - named)])
    tap.check('%s names every folder (%d)' % (LAYOUT, len(want_dirs)),
              ['%s: no line on %s' % (d, LAYOUT) for d in sorted(want_dirs - named)])
    paths = sorted(p for p in named if '/' in p and PATH.match(p))
    tap.check('every path %s names exists (%d)' % (LAYOUT, len(paths)),
              ['%s: named on %s, not in the tree' % (p, LAYOUT) for p in paths
               if not os.path.exists(os.path.join(src, p))])

    pages = sorted('docs/' + f for f in os.listdir(os.path.join(src, 'docs')) if f.endswith('.md'))
    texts = {}
    for p in ['README.md'] + pages:
        texts[p] = open(os.path.join(src, p), encoding='utf-8').read()

    problems, linked = [], set()
    for p, text in texts.items():
        for target in LINK.findall(prose(text)):
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):
                continue                        # https:, mailto:: not ours to check
            path, _, anchor = target.partition('#')
            dest = os.path.normpath(os.path.join(os.path.dirname(p), path)) if path else p
            dest = dest.replace(os.sep, '/')
            if p == 'README.md':
                linked.add(dest)
            if not os.path.exists(os.path.join(src, dest)):
                problems.append('%s: link to %s: no such file' % (p, target))
            elif anchor and dest.endswith('.md'):
                if dest not in texts:
                    texts[dest] = open(os.path.join(src, dest), encoding='utf-8').read()
                if anchor not in anchors(texts[dest]):
                    problems.append('%s: link to %s: no heading #%s in %s' %
                                    (p, target, anchor, dest))
    tap.check('every relative link in README.md and docs/*.md resolves', problems)
    tap.check('README.md links every docs/*.md page (%d)' % len(pages),
              ['%s: not linked from README.md' % p for p in pages if p not in linked])
    n = texts['README.md'].count('\n')
    tap.check('README.md is a front page: %d lines, at most %d' % (n, README_MAX_LINES),
              ['README.md: %d lines; move the detail to a docs/ page' % n]
              if n > README_MAX_LINES else [])
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
