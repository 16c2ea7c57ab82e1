"""The wheel's build hook: put the precompiled bundle of the bundled rules in the wheel.

It runs `framework_dsl.bundler` from this source tree (`src` first on the path, in a
child process, so the build's own interpreter imports nothing of the package) and
adds its output as `framework_dsl/bundle.bin` (see src/framework_dsl/bundle.py). Rules
with errors fail the build. An editable install gets no bundle: it reads the rules
from the source tree, which can change under it, so it takes the normal path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BundleBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "framework-dsl-bundle"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        self._folder = tempfile.mkdtemp(prefix="framework-dsl-bundle-")
        out = Path(self._folder) / "bundle.bin"
        # The build must not read or fill the builder's own cache, nor answer from an old bundle.
        env = {**os.environ, "FRAMEWORK_DSL_NO_CACHE": "1", "FRAMEWORK_DSL_NO_BUNDLE": "1"}
        # The source tree goes first on the path from inside the child: pip's isolated build
        # environment rewrites `sys.path` at start-up, dropping what PYTHONPATH added.
        script = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from framework_dsl.bundler import main; sys.exit(main(sys.argv[2:]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, str(root / "src"), str(out), str(root / "rules")],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            shutil.rmtree(self._folder, ignore_errors=True)  # finalize is not called after a failure
            raise RuntimeError(f"building the rules bundle failed:\n{done.stderr}")
        build_data["force_include"][str(out)] = "framework_dsl/bundle.bin"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        folder = getattr(self, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
