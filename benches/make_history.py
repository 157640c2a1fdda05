#!/usr/bin/env python3
"""Generate a large synthetic git repository for history benchmarks.

usage: make_history.py OUT_REPO [--commits 50000] [--files 4000] [--seed 1]
                       [--tokens 12]

Builds, through `git fast-import`, a history shaped like a busy project: a
few thousand source files of 5-60 KB, each commit editing a handful of them,
side branches merged back, tags, and --tokens planted SonarQube-shaped tokens
(random values, never real credentials; some later removed again), listed in
OUT_REPO.tokens.json. Deterministic for given arguments. The repository is
then repacked with deltas, as a cloned repository would be.
"""
import json, os, random, string, subprocess, sys

WORDS = ("self config value result items index count buffer reader writer token "
         "sonata scanner project key branch build report status client server request "
         "response handler error options settings logger cache entry module import").split()


def line(r):
    w = lambda: r.choice(WORDS)
    k = r.randrange(8)
    if k == 0:
        return "    def %s_%s(self, %s, %s=None):\n" % (w(), w(), w(), w())
    if k == 1:
        return "        %s = %s.%s(%s, %d)\n" % (w(), w(), w(), w(), r.randrange(1000))
    if k == 2:
        return "  const %s%s = await %s.%s('%s');\n" % (w(), w().title(), w(), w(), w())
    if k == 3:
        return "# %s %s %s %s %s\n" % (w(), w(), w(), w(), w())
    if k == 4:
        return "%s.%s.%s=%s\n" % (w(), w(), w(), w())
    if k == 5:
        return "        if %s is not None and %s > %d:\n" % (w(), w(), r.randrange(100))
    if k == 6:
        return "# commit %s\n" % "".join(r.choice("0123456789abcdef") for _ in range(40))
    return "        return %s(%s, %s)\n" % (w(), w(), w())


def main():
    out = sys.argv[1]
    arg = lambda k, d: int(sys.argv[sys.argv.index(k) + 1]) if k in sys.argv else d
    commits, nfiles, seed, ntok = arg("--commits", 50000), arg("--files", 4000), arg("--seed", 1), arg("--tokens", 12)
    r = random.Random(seed)
    pool = [line(r) for _ in range(20000)]
    exts = [".py", ".js", ".java", ".yml", ".properties", ".ts", ".go", ".md"]
    paths = ["src/m%02d/p%03d/f%05d%s" % (r.randrange(30), r.randrange(60), i, r.choice(exts)) for i in range(nfiles)]
    files = {p: [r.choice(pool) for _ in range(r.randrange(100, 1200))] for p in paths}
    b62 = string.digits + string.ascii_letters
    planted = []
    token_at = {int(commits * (i + 1) / (ntok + 1)): i for i in range(ntok)}

    subprocess.run(["git", "init", "-q", "-b", "main", out], check=True)
    fi = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=out, stdin=subprocess.PIPE)
    w = fi.stdin.write
    mark = 0
    when = 1_500_000_000

    def commit(branch, changes, message, parents=()):
        nonlocal mark, when
        mark += 1
        when += 600
        data = message.encode()
        w(b"commit refs/heads/%s\nmark :%d\n" % (branch.encode(), mark))
        w(b"author Dev %d <dev%d@example.com> %d +0000\n" % (mark % 17, mark % 17, when))
        w(b"committer Dev %d <dev%d@example.com> %d +0000\n" % (mark % 17, mark % 17, when))
        w(b"data %d\n%s\n" % (len(data), data))
        for i, p in enumerate(parents):
            w(b"%s :%d\n" % (b"from" if i == 0 else b"merge", p))
        for path, body in changes:
            if body is None:
                w(b"D %s\n" % path.encode())
            else:
                blob = "".join(body).encode()
                w(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(blob)))
                w(blob)
                w(b"\n")
        return mark

    head = commit("main", [(p, files[p]) for p in paths], "initial import")
    side = None
    pending_removal = None
    for n in range(1, commits):
        changes = []
        for _ in range(r.randrange(1, 6)):
            p = r.choice(paths)
            body = files[p]
            for _ in range(r.randrange(1, 8)):
                body[r.randrange(len(body))] = r.choice(pool)
            if r.random() < 0.3:
                body.append(r.choice(pool))
            changes.append((p, body))
        if n in token_at:
            i = token_at[n]
            kind = i % 3
            if kind == 0:
                t = "sqco_" + "".join(r.choice(b62) for _ in range(59))
                text = "SONAR_TOKEN=%s\n" % t
            elif kind == 1:
                t = r.choice(["squ_", "sqp_", "sqa_"]) + "".join(r.choice("0123456789abcdef") for _ in range(40))
                text = "token = \"%s\"\n" % t
            else:
                t = "".join(r.choice("0123456789abcdef") for _ in range(40))
                text = "sonar.login=%s\n" % t
            p = "config/leak%02d.env" % i
            changes.append((p, [text]))
            planted.append({"path": p, "commit_number": n, "removed": i % 2 == 1})
            if i % 2 == 1:
                pending_removal = p
        if side is None and r.random() < 0.01:
            side = commit("side", changes, "start side work %d" % n, parents=(head,))
            continue
        if side is not None:
            if r.random() < 0.2:
                head = commit("main", changes, "merge side %d" % n, parents=(head, side))
                side = None
            else:
                side = commit("side", changes, "side work %d" % n, parents=(side,))
            continue
        if pending_removal and r.random() < 0.05:
            changes.append((pending_removal, None))
            pending_removal = None
        head = commit("main", changes, "change %d" % n, parents=(head,))
        if n % 5000 == 0:
            name = b"v%d" % (n // 5000)
            w(b"tag %s\nfrom :%d\ntagger Dev <dev@example.com> %d +0000\ndata %d\n%s\n" % (name, head, when, len(name), name))
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)
    subprocess.run(["git", "repack", "-adq", "--window=10", "--depth=50"], cwd=out, check=True)
    with open(out.rstrip("/") + ".tokens.json", "w") as f:
        json.dump(planted, f, indent=1)
    print("commits=%d files=%d tokens=%d" % (commits, nfiles, ntok))


if __name__ == "__main__":
    main()
