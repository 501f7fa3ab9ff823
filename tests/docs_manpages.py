#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The man pages and shell completion against the built fpvm's --help, as TAP.

  docs_manpages.py FPVM DIST-DIR

gendoc (cmd/gendoc.c) writes them from the command table that --help prints;
this checks what a user would compare: every command of 'fpvm --help' has its
page, and every page its command; each page has exactly the options, the
synopsis, the description and the exit statuses of 'fpvm help COMMAND'; fpvm(1)
lists every exit status of 'fpvm --help'; bash completes the commands, the
operations of a group and exactly each command's options; zsh parses the zsh
script; man(1) renders every page without a warning.
"""

import os
import re
import shutil
import subprocess
import sys

from tap import Tap

TAP = Tap()
result, skip = TAP.result, TAP.skip

def out(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def words(text):
    return ' '.join(text.split())


def unroff(text):
    """A page's text with the roff requests and escapes gendoc writes undone."""
    text = re.sub(r'^\.\\".*\n', '', text, flags=re.M)
    text = re.sub(r'^\.(TP|nf|fi)\n', '', text, flags=re.M)
    text = re.sub(r'^\.(SH|SS|BR|TH) ?', '', text, flags=re.M)
    for a, b in (('\\fB', ''), ('\\fR', ''), ('\\fI', ''), ('\\-', '-'), ('\\e', '\\'),
                 ('\\&', ''), ('\\(dq', '"'), ('\\(en', '-')):
        text = text.replace(a, b)
    return text


def help_options(text):
    """Every option of a command's help: {'--cpus', '-c', ...}."""
    opts = set()
    for line in text.splitlines():
        m = re.match(r'^  (?:-(\w), )?\s*--([a-z0-9-]+)', line)
        if m:
            opts.add('--' + m.group(2))
            if m.group(1):
                opts.add('-' + m.group(1))
    return opts


def page_options(page):
    opts = set()
    for m in re.finditer(r'^\.TP\n(.*)', page, re.M):
        for o in re.findall(r'\\fB((?:\\-)+[a-z0-9\\-]+)\\fR', m.group(1)):
            opts.add(o.replace('\\-', '-'))
    return opts


def bash_complete(script, line):
    """What the completion offers for @line, the cursor at its end."""
    prog = '''source "$1"; read -ra COMP_WORDS <<<"$2"; [ "${2: -1}" = " " ] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _fpvm; printf '%s\\n' "${COMPREPLY[@]}"'''
    r = subprocess.run(['bash', '-c', prog, 'bash', script, line], capture_output=True,
                       text=True, check=False)
    return set(w for w in r.stdout.split('\n') if w), r.stderr


def main():
    fpvm, dist = sys.argv[1], sys.argv[2]
    overview = out(fpvm, '--help')
    commands = re.findall(r'^  ([a-z]+(?: [a-z]+)?)  +\S', overview.split('Commands:')[1], re.M)
    pages = sorted(f for f in os.listdir(dist) if f.endswith('.1'))
    want = sorted(['fpvm.1'] + ['fpvm-%s.1' % c.replace(' ', '-') for c in commands])
    result(pages == want, "a page for fpvm and for each command of 'fpvm --help', no other",
           'pages %s\nwant  %s' % (pages, want))
    bash = os.path.join(dist, 'fpvm')
    have_bash = shutil.which('bash') is not None
    for c in commands:
        path = os.path.join(dist, 'fpvm-%s.1' % c.replace(' ', '-'))
        if not os.path.exists(path):
            continue
        page = open(path, encoding='utf-8').read()
        text = words(unroff(page))
        helptext = out(fpvm, 'help', *c.split())
        hopts = help_options(helptext)
        popts = page_options(page) - {'-h', '--help'}
        result(hopts and hopts == popts, 'fpvm-%s(1): the options of its --help' % c,
               'only in --help: %s\nonly in the page: %s' % (hopts - popts, popts - hopts))
        usage = re.match(r'Usage: (fpvm .*(?:\n {6,}.*)*)', helptext).group(1)
        result(words(usage) in text, 'fpvm-%s(1): its synopsis' % c, usage)
        desc = helptext.split('\n\n')[1]
        result(words(desc) in text, 'fpvm-%s(1): its description' % c, desc)
        status = helptext.split('Exit status: ')[1]
        result(words(status) in text, 'fpvm-%s(1): its exit statuses' % c, status)
        # Every option's help, word for word.
        missing, checked = [], 0
        # Help text starts in column 25 (cmd/opt.c, HELP_COLUMN), continuations too.
        blocks, cur = [], None
        for line in helptext.split('Options:')[-1].splitlines():
            if re.match(r'^  -\w, --|^      --', line):
                cur = [line[25:]]
                blocks.append(cur)
            elif line.startswith(' ' * 25) and cur is not None:
                cur.append(line[25:])
            else:
                cur = None
        for b in blocks:
            checked += 1
            if words(' '.join(b)) not in text:
                missing.append(words(' '.join(b)))
        result(checked >= len([o for o in hopts if o.startswith('--')]) and not missing,
               'fpvm-%s(1): each option\'s help' % c,
               '%d checked\n%s' % (checked, '\n'.join(missing)))
        if not have_bash:
            skip('bash completes the options of fpvm %s' % c, 'no bash')
            continue
        got, err = bash_complete(bash, 'fpvm %s --' % c)
        longs = {o for o in hopts if o.startswith('--')} | {'--help'}
        got = {g.rstrip('=') for g in got}
        result(got == longs and not err, 'bash completes the options of fpvm %s' % c,
               'completed %s\n--help has %s\n%s' % (sorted(got), sorted(longs), err))
    page = unroff(open(os.path.join(dist, 'fpvm.1'), encoding='utf-8').read())
    statuses = re.findall(r'(\d+) ([^;.]+)[;.]', words(overview.split('Exit status:')[1]))
    lost = [s for s, meaning in statuses if words('%s %s' % (s, meaning)) not in words(page)]
    result(statuses and not lost, "fpvm(1): every exit status of 'fpvm --help'", lost)
    lost = [c for c in commands if 'fpvm ' + c not in page]
    result(not lost, "fpvm(1): every command of 'fpvm --help'", lost)
    if have_bash:
        firsts = {c.split()[0] for c in commands} | {'help', 'version', '--help', '--version'}
        got, err = bash_complete(bash, 'fpvm ')
        result(got == firsts, 'bash completes the commands', '%s\n%s' % (sorted(got), err))
        got, err = bash_complete(bash, 'fpvm fpstate ')
        ops = {c.split()[1] for c in commands if c.startswith('fpstate ')}
        result(got == ops, 'bash completes a group\'s operations', '%s\n%s' % (sorted(got), err))
        got, err = bash_complete(bash, 'fpvm run --cpus ')
        result(not got and not err, "bash leaves an option's value to the default", got)
        got, err = bash_complete(bash, 'fpvm run -c')
        result(got == {'-c'} and not err,
               'bash completes a short option', got)
    zsh = shutil.which('zsh')
    if zsh:
        r = subprocess.run([zsh, '-n', os.path.join(dist, '_fpvm')], capture_output=True,
                           text=True, check=False)
        result(r.returncode == 0, 'the zsh completion parses', r.stderr)
    else:
        skip('the zsh completion parses', 'zsh not installed')
    if shutil.which('man'):
        bad = []
        for p in pages:
            r = subprocess.run(['man', '--warnings', '-l', os.path.join(dist, p)],
                               capture_output=True, text=True, check=False,
                               env=dict(os.environ, MANWIDTH='80', MANPAGER='cat', PAGER='cat'))
            if r.returncode or r.stderr.strip():
                bad.append('%s: %s' % (p, r.stderr.strip()))
        result(not bad, 'man renders every page without a warning', '\n'.join(bad))
    else:
        skip('man renders every page without a warning', 'man not installed (Debian: man-db)')
    return TAP.done()


if __name__ == '__main__':
    sys.exit(main())
