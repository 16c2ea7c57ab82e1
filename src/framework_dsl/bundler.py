"""Writes the bundle (`framework_dsl.bundle`): the checked bundled rules, their programs, the parser's tables.

The wheel's build hook (`hatch_build.py`) runs `python -m framework_dsl.bundler OUT RULES`
with the source tree's `src` first on the path; `build` is what it calls. The rules go
through the same loader and checker as `load_rules()`, so the bundle holds whatever they
produce today (nothing here knows the program's shape), and rules with errors stop the
build rather than ship without a bundle.
"""

from __future__ import annotations

import io
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from framework_dsl import bundle
from framework_dsl.cache import ENGINE_VERSION
from framework_dsl.diagnostics import has_errors, render_text, sort_diagnostics


class BundleError(Exception):
    """The bundle cannot be built (the rules have errors, or do not read back as written)."""


def build(rules_root: Path) -> bytes:
    """The bundle's bytes for the rules under `rules_root` (the source tree's `rules/`)."""
    import lark

    from framework_dsl.checker import check_program
    from framework_dsl.grammar import build_parser, grammar_text
    from framework_dsl.loader import load_files

    root = rules_root.resolve()
    digest = bundle.rules_digest(root)
    if digest is None:
        raise BundleError(f"the rule files under {root} cannot be read")
    # As `check_rules()` loads the bundled rules: one absolute root.
    loaded = load_files([root])
    frameworks, diagnostics = check_program(loaded)
    diagnostics = sort_diagnostics(diagnostics)
    if has_errors(diagnostics):
        raise BundleError("the bundled rules have errors:\n" + "\n".join(render_text(d) for d in diagnostics))
    rules = pickle.dumps(
        {
            "digest": loaded.digest,
            "warnings": tuple(diagnostics),
            "frameworks": list(frameworks),
            "example_files": [
                (example.evidence_path, example.evidence_root)
                for framework in frameworks.values()
                for example in framework.examples
                if example.evidence_path is not None
            ],
        },
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    tables = io.BytesIO()
    build_parser(strict=False).save(tables)
    text = grammar_text()
    header = {
        "engine": ENGINE_VERSION,
        "python": bundle.python_tag(),
        "rules_digest": digest,
        "rules_root": str(root),
        "grammar_digest": bundle.grammar_digest(text),
        "lark": lark.__version__,
    }
    sections = {"rules": rules}
    for name, framework in frameworks.items():
        sections[bundle.FRAMEWORK_SECTION + name] = pickle.dumps(framework, protocol=pickle.HIGHEST_PROTOCOL)
    for key, program in programs(frameworks, loaded.digest).items():
        sections[bundle.PROGRAM_SECTION + key] = pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)
    sections["grammar"] = tables.getvalue()
    blob = bundle.encode(header, sections)
    _verify(blob, sorted(frameworks))
    return blob


def programs(frameworks: Mapping[str, Any], digest: str) -> dict[str, Any]:
    """Every framework's compiled programs, by `programs.ProgramStore` key: its decisions and
    their tracing variant, and for a fusable framework both fused functions (`engine.fusion`)."""
    from framework_dsl.engine.codegen import framework_program, load_framework
    from framework_dsl.engine.fusion import fused_program
    from framework_dsl.programs import program_key

    found: dict[str, Any] = {}
    for name, framework in frameworks.items():
        for tracing in (False, True):
            tree, decisions = framework_program(framework, tracing=tracing)
            found[program_key("decisions", name, tracing)] = decisions
            fused = fused_program(framework, load_framework(framework, decisions, tree), digest)
            if fused is not None:
                found[program_key("fused", name, tracing)] = fused[1]
    return found


def _verify(blob: bytes, names: list[str]) -> None:
    """The bytes decode to the header and sections written, and the rules unpickle to the same frameworks."""
    found = bundle.decode(blob)
    if found is None:
        raise BundleError("the bundle does not read back")
    _, sections = found
    listed = pickle.loads(sections["rules"])["frameworks"]
    if sorted(listed) != names or any(
        pickle.loads(sections[bundle.FRAMEWORK_SECTION + name]).name != name for name in listed
    ):
        raise BundleError("the bundle's rules do not read back as written")
    from framework_dsl.engine.codegen import load_framework
    from framework_dsl.engine.fusion import load_fused

    for section, data in sections.items():  # every program loads, its code checked (`safety.check_code`)
        if section.startswith(bundle.PROGRAM_SECTION):
            kind, name = section.removeprefix(bundle.PROGRAM_SECTION).split(":")[:2]
            program = pickle.loads(data)
            if kind == "decisions":
                load_framework(pickle.loads(sections[bundle.FRAMEWORK_SECTION + name]), program)
            else:
                load_fused(program)


def main(argv: list[str]) -> int:
    """`python -m framework_dsl.bundler OUT RULES_ROOT`: write the bundle to OUT."""
    if len(argv) != 2:
        print("usage: python -m framework_dsl.bundler OUT RULES_ROOT", file=sys.stderr)
        return 2
    out, rules_root = Path(argv[0]), Path(argv[1])
    try:
        blob = build(rules_root)
    except BundleError as error:
        print(f"framework-dsl bundle: {error}", file=sys.stderr)
        return 1
    out.write_bytes(blob)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
