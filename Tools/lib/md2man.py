#!/usr/bin/env python3
"""Turns a small Markdown file (headings, paragraphs, fenced code, lists) into a man(7) page.

Usage: md2man.py NAME SECTION "one-line description" FILE.md > NAME.SECTION
The first '# ' heading is dropped (the NAME section takes its place); '## ' becomes .SH and
'### ' .SS; fenced blocks are shown verbatim; `code` and **bold** become bold; links keep their text.
"""
import re
import sys


def inline(text):
    text = text.replace("\\", "\\e")
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    return text


def escape_line(line):
    """A roff text line: a leading '.' or "'" would be read as a request."""
    if line.startswith(".") or line.startswith("'"):
        return "\\&" + line
    return line


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: md2man.py NAME SECTION DESCRIPTION FILE.md")
    name, section, description, path = sys.argv[1:]
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = [f'.TH {name.upper()} {section} "" "Tapestry" "Tapestry Manual"',
           ".SH NAME", f"{name} \\- {description}", ".SH DESCRIPTION"]
    in_code = False
    seen_title = False
    for line in lines:
        if line.startswith("```"):
            out += [".PP", ".nf"] if not in_code else [".fi", ".PP"]
            in_code = not in_code
            continue
        if in_code:
            out.append(escape_line(line.replace("\\", "\\e")))
            continue
        if line.startswith("# ") and not seen_title:
            seen_title = True
            continue
        if line.startswith("## "):
            out.append(".SH " + inline(line[3:]).upper())
        elif line.startswith("### "):
            out.append(".SS " + inline(line[4:]))
        elif not line.strip():
            out.append(".PP")
        elif re.match(r"^\s*[-*] ", line):
            out.append(".IP \\(bu 2")
            out.append(escape_line(inline(re.sub(r"^\s*[-*] ", "", line))))
        else:
            out.append(escape_line(inline(line.strip())))
    # No empty paragraphs in a row.
    cleaned = []
    for l in out:
        if l == ".PP" and cleaned and cleaned[-1] in (".PP", ".SH DESCRIPTION") or (l == ".PP" and cleaned and cleaned[-1].startswith((".SH", ".SS"))):
            continue
        cleaned.append(l)
    print("\n".join(cleaned))


main()
