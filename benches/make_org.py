#!/usr/bin/env python3
"""Generates an organization of bare git repositories for the audit benchmark.

usage: make_org.py DIR [REPOSITORIES] [COMMITS]   (defaults: 200, 40)

Each repository gets COMMITS commits over a dozen files, through one `git
fast-import`; one repository in ten holds a (fake) SonarQube token, and a
few share the same one, as real organizations do.
"""
import os
import random
import subprocess
import sys

SHARED = "sqco_7kwYwFTY6UeVCDzqOAzRKNNvMNBsf0D57iQ6s0QVHvHkdpgmXmPoLwE4Kl5"  # sqscan:allow (a fake token, for the benchmark)
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def stream(rng, index, commits):
    files = {f"src/module{n}.py": "" for n in range(12)}
    out = []
    for c in range(commits):
        path = rng.choice(sorted(files))
        files[path] += "".join(f"value_{c}_{i} = {rng.random()!r}\n" for i in range(rng.randint(5, 40)))
        if index % 10 == 0 and c == commits // 2:
            token = SHARED if index % 20 == 0 else "sqco_" + "".join(rng.choice(BASE62) for _ in range(59))
            files["deploy/.env"] = f"SONAR_TOKEN={token}\n"
        out.append("commit refs/heads/main\n")
        out.append(f"committer Dev {index} <dev{index}@example.com> {1700000000 + c * 3600} +0000\n")
        message = f"change {c}\n".encode()
        out.append(f"data {len(message)}\n{message.decode()}")
        for name, content in sorted(files.items()):
            data = content.encode()
            out.append(f"M 100644 inline {name}\ndata {len(data)}\n{content}\n")
    return "".join(out).encode()


def main():
    root = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    commits = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    os.makedirs(root, exist_ok=True)
    for index in range(count):
        rng = random.Random(index)
        path = os.path.join(root, f"repo{index:03}.git")
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", path], check=True)
        subprocess.run(["git", "fast-import", "--quiet"], input=stream(rng, index, commits), cwd=path, check=True)
        subprocess.run(["git", "gc", "-q"], cwd=path, check=True)


if __name__ == "__main__":
    main()
