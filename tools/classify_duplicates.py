"""Sort the pairs that ``duplicates`` lists into shared code and shared declarations.

``duplicates --repo dslib --most 200`` lists pairs of places that share six or more lines
of the same shape. Many such pairs are not the same logic: numpydoc sections, import
lists, function signatures, dataclass fields. This script reads the tool's rows from
standard input, parses each named file with ``ast``, and labels each pair by what most
of its non-blank, non-comment lines are: ``docstring``, ``imports/__all__``,
``signatures/class lines``, ``dataclass fields``, or ``code`` (when at least a third of
the lines are none of those). A ``code`` pair is a place to look, not a verdict.

Run: ``duplicates --repo dslib --most 200 --seconds 150 | python tools/classify_duplicates.py``
"""

from __future__ import annotations

import ast
import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "dslib"
ROW = re.compile(r"^(D\d+) (\S+):(\d+)-(\d+) ~ (\S+):(\d+)-(\d+)")
Kinds = tuple[list[str], set[int], set[int], set[int], set[int]]


def line_kinds(path: Path) -> Kinds:
    """The file's lines, and the line numbers of its docstrings, imports, signatures, fields."""
    source = path.read_text(encoding="utf-8")
    doc: set[int] = set()
    imports: set[int] = set()
    signatures: set[int] = set()
    fields: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                doc.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        ):
            imports.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            signatures.update(range(node.lineno - len(node.decorator_list), node.body[0].lineno))
        if isinstance(node, ast.ClassDef):
            signatures.update(range(node.lineno - len(node.decorator_list), node.lineno + 1))
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign):
                    end = statement.end_lineno or statement.lineno
                    fields.update(range(statement.lineno, end + 1))
    return source.splitlines(), doc, imports, signatures, fields


def label(kinds: Kinds, first: int, last: int) -> collections.Counter[str]:
    """How many of the lines ``first``..``last`` are of each kind."""
    lines, doc, imports, signatures, fields = kinds
    out: collections.Counter[str] = collections.Counter()
    for i in range(first, last + 1):
        text = lines[i - 1].strip() if i <= len(lines) else ""
        if not text or text.startswith("#"):
            continue
        if i in doc:
            out["docstring"] += 1
        elif i in imports:
            out["imports/__all__"] += 1
        elif i in fields:
            out["dataclass fields"] += 1
        elif i in signatures:
            out["signatures/class lines"] += 1
        else:
            out["code"] += 1
    return out


def main() -> None:
    cache: dict[str, Kinds] = {}
    counts: collections.Counter[str] = collections.Counter()
    code_rows: list[str] = []
    for row in sys.stdin:
        m = ROW.match(row)
        if not m:
            continue
        name, fa, a0, a1, fb, b0, b1 = m.groups()
        total: collections.Counter[str] = collections.Counter()
        for f, x0, x1 in ((fa, a0, a1), (fb, b0, b1)):
            if f not in cache:
                cache[f] = line_kinds(ROOT / f)
            total += label(cache[f], int(x0), int(x1))
        if total["code"] >= sum(total.values()) / 3:
            counts["code"] += 1
            code_rows.append(name)
        else:
            counts[max((k for k in total if k != "code"), key=lambda k: total[k])] += 1
    for kind, n in counts.most_common():
        print(f"{n:5}  {kind}")
    print("code rows:", " ".join(code_rows))


if __name__ == "__main__":
    main()
