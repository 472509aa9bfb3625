#!/usr/bin/python3
"""Finds a control of the running Profile Editor by its accessible role and name (AccessKit, read over AT-SPI)
and prints the centre of its rectangle in screen pixels ("X Y"), so scripts/screenshots.sh clicks controls
where they are now instead of at positions written down once.

Usage: a11y_find.py ROLE NAME [TIMEOUT_SECONDS] [--contains]
  ROLE is an AT-SPI role name ("push button", "toggle button", "entry", "label", "link", ...) or "*";
  NAME is the accessible name (exact, or a part of it with --contains). Waits up to TIMEOUT_SECONDS
  (default 30) for the control to appear; exits 1 if it does not. With ROLE "-" it lists every node.
Needs python3-pyatspi and an AT-SPI bus with accessibility enabled (screenshots.sh sets both up).
"""

import sys
import time

import pyatspi

APP_NAME = "profile-editor"


def nodes(node, depth=0):
    yield depth, node
    for i in range(node.childCount):
        child = node.getChildAtIndex(i)
        if child is not None:
            yield from nodes(child, depth + 1)


def app_roots():
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == APP_NAME:
            yield app


def extents(node):
    try:
        ext = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except Exception:  # a container without a rectangle
        return None
    return ext.x, ext.y, ext.width, ext.height


def find(role, name, contains):
    for app in app_roots():
        for _, node in nodes(app):
            try:
                if role != "*" and node.getRoleName() != role:
                    continue
                label = node.name or ""
            except Exception:  # the node went away while the tree was read (the app redrew)
                continue
            if (name in label) if contains else (label == name):
                rect = extents(node)
                if rect and rect[2] > 0 and rect[3] > 0:
                    return rect
    return None


def main():
    args = [a for a in sys.argv[1:] if a != "--contains"]
    contains = "--contains" in sys.argv
    if args and args[0] == "-":
        for app in app_roots():
            for depth, node in nodes(app):
                print("  " * depth, node.getRoleName(), repr(node.name), extents(node))
        return 0
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    role, name = args[0], args[1]
    timeout = float(args[2]) if len(args) > 2 else 30.0
    deadline = time.monotonic() + timeout
    while True:
        try:
            rect = find(role, name, contains)
        except Exception:  # the tree changed under the walk: read it again
            rect = None
        if rect:
            x, y, w, h = rect
            print(f"{x + w // 2} {y + h // 2}")
            return 0
        if time.monotonic() > deadline:
            print(f"a11y_find.py: no {role} named {name!r} after {timeout:.0f} s", file=sys.stderr)
            return 1
        time.sleep(0.3)


if __name__ == "__main__":
    sys.exit(main())
