# SPDX-License-Identifier: MIT
"""TAP output for the Python test scripts of the docs suite."""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, good, desc, why=''):
        self.n += 1
        print('%s %d - %s' % ('ok' if good else 'not ok', self.n, desc))
        if not good:
            self.failed += 1
            for line in str(why).splitlines()[:40]:
                print('# ' + line)

    def skip(self, desc, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, desc, why))

    def done(self):
        """The plan, last; the exit status."""
        print('1..%d' % self.n)
        return 1 if self.failed else 0
