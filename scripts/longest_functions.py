#!/usr/bin/env python3
"""Lists the longest function bodies in C++ sources (lines from the opening brace to the
closing one), for tracking how long functions get:
    scripts/longest_functions.py [--top N] PATH...
A brace-matching scan, not a parser: namespace, class, struct and enum braces are looked
through; a brace after ')' (optionally followed by const/override/noexcept or a
constructor's initializer list) opens a function; lambdas count toward their function."""
import re
import sys
from pathlib import Path

SCOPE = re.compile(r'\b(namespace|class|struct|union|enum)\b[^(){};]*$|extern\s+"C"\s*$')
FUNC = re.compile(r'\)\s*(const|override|final|noexcept|mutable|\s|->\s*[\w:<>,\s*&]+)*$|\)\s*:\s*[\s\S]*\)\s*$')


def strip(text):
    """Blanks comments, strings and character literals, keeping line breaks."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j])); i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(' ' * (min(j + 1, n) - i)); i = j + 1
        else:
            out.append(c); i += 1
    return ''.join(out)


def functions(path):
    text = strip(path.read_text(errors='replace'))
    stack, found, last = [], [], 0  # stack of (kind, start line, name)
    for i, c in enumerate(text):
        if c in ';':
            last = i + 1
        elif c == '{':
            head = text[last:i].strip()
            inside = any(k == 'func' for k, _, _ in stack)
            if SCOPE.search(head) or (not head and stack and stack[-1][0] == 'scope' and False):
                kind = 'scope'
            elif not inside and FUNC.search(head):
                kind = 'func'
            else:
                kind = 'other'
            name = re.sub(r'\s+', ' ', head.split('(')[0])[-60:].strip()
            stack.append((kind, text.count('\n', 0, i) + 1, name))
            last = i + 1
        elif c == '}':
            if stack:
                kind, start, name = stack.pop()
                if kind == 'func':
                    found.append((text.count('\n', 0, i) + 1 - start + 1, f'{path}:{start}', name))
            last = i + 1
    return found


def main():
    args = sys.argv[1:]
    top = 10
    if args[:1] == ['--top']:
        top, args = int(args[1]), args[2:]
    files = [f for a in args for f in (sorted(Path(a).rglob('*')) if Path(a).is_dir() else [Path(a)])
             if f.suffix in ('.cpp', '.h', '.cc', '.hpp')]
    rows = sorted((r for f in files for r in functions(f)), reverse=True)[:top]
    for lines, where, name in rows:
        print(f'{lines:5d}  {where}  {name}')


if __name__ == '__main__':
    main()
