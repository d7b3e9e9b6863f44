"""Replays the README's walk-through against a fresh gateway and compares each answer.

Every `$ curl ...` line of the README's console blocks runs in order against the server at
127.0.0.1:PORT (the README says localhost:8080); its output must be the text the README shows
under it, except the Date and X-Request-Id headers, which differ from run to run. Usage:
replay.py README.md PORT. Exits 1 and prints each difference when any answer differs."""
import re
import subprocess
import sys

VARYING = re.compile(r'^(Date|X-Request-Id):')


def normal(text):
    return '\n'.join(l for l in text.replace('\r', '').split('\n')
                     if not VARYING.match(l)).strip('\n')


def commands(readme):
    for block in re.findall(r'```console\n(.*?)```', readme, re.S):
        lines = block.split('\n')
        i = 0
        while i < len(lines):
            if not lines[i].startswith('$ '):
                i += 1
                continue
            cmd, out = lines[i][2:], []
            i += 1
            while i < len(lines) and not lines[i].startswith('$ '):
                out.append(lines[i])
                i += 1
            yield cmd, '\n'.join(out)


def main():
    readme, port = open(sys.argv[1]).read(), sys.argv[2]
    ran = differ = 0
    for cmd, want in commands(readme):
        run = cmd.replace('localhost:8080', '127.0.0.1:' + port)
        got = subprocess.run(['bash', '-c', run], capture_output=True, text=True).stdout
        ran += 1
        if normal(got) != normal(want):
            differ += 1
            print('README answer differs for: ' + cmd)
            print('--- README\n' + normal(want) + '\n--- server\n' + normal(got))
    print('readme: %d commands replayed, %d differ' % (ran, differ))
    return 1 if differ or ran == 0 else 0


sys.exit(main())
