#!/usr/bin/env python3
"""Where each connection's heap bytes go: a heaptrack peak-cost stack file, per allocation site.

Input: `heaptrack_print -f FILE --flamegraph-cost-type leaked -F STACKS` of a server that was
killed (SIGKILL) while it held N idle connections, so "leaked" is exactly the heap that was live
in that steady state, per full backtrace, root first (the peak would be the connect storm, when
every upgrade request's buffers are live at once). Each
stack is charged to its innermost roomctl frame (the project code that asked for the memory) and
the innermost library frame below it (what allocated: a Beast buffer, an Asio socket, a string);
sites are summed, divided by N and printed as a markdown table, largest first.
Usage: heap_sites.py STACKS N [top (15)] [baseline STACKS of the same server with no connections]
"""
import collections
import re
import sys

stacks, n = sys.argv[1], int(sys.argv[2])
top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
baseline = sys.argv[4] if len(sys.argv) > 4 else None


def short(frame):
    frame = re.sub(r" \([^()]*\)$", "", frame)  # the "(file.cpp)" suffix
    frame = re.sub(r"\(.*\)", "()", frame)  # argument lists
    return frame if len(frame) < 90 else frame[:87] + "..."


def sites(path):
    out = collections.Counter()
    for line in open(path):
        line = line.rstrip("\n")
        if " " not in line:
            continue
        stack, cost = line.rsplit(" ", 1)
        frames = [f for f in stack.split(";") if f]
        own = next((i for i in range(len(frames) - 1, -1, -1) if re.search(r"(^|\s)roomctl::", short(frames[i]))), None)
        where = short(frames[own]) if own is not None else "(outside roomctl code)"
        below = [f for f in frames[(own or 0) + 1:] if not re.match(r"(std::|__gnu_cxx|operator new)", f)]
        what = short(below[-1]) if below else (short(frames[-1]) if frames else "?")
        out[(where, what)] += int(cost)
    return out


s = sites(stacks)
if baseline:
    s.subtract(sites(baseline))
total = sum(v for v in s.values() if v > 0)
print(f"| bytes per connection | share | roomctl frame | allocated by |")
print("|---|---|---|---|")
for (where, what), v in s.most_common(top):
    if v <= 0:
        break
    print(f"| {v / n:,.0f} | {v / total:.0%} | `{where}` | `{what}` |")
print(f"| **{total / n:,.0f}** | 100% | live heap{' beyond the idle server' if baseline else ''} per connection (startup allocations included) | |")
