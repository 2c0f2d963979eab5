"""Copy the few front-end files Kaohe serves from node_modules into kaohe/static/vendor/.

Only the minified builds are copied: the packages ship tens of megabytes of sources and maps that
would otherwise be collected, compressed and served for nothing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
}


def main() -> int:
    source_root = ROOT / "node_modules"
    target_root = ROOT / "kaohe" / "static" / "vendor"
    for source, target in FILES.items():
        src = source_root / source
        if not src.exists():
            print(f"缺少前端资源 {src}：请先运行 npm ci。", file=sys.stderr)
            return 1
        dst = target_root / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        # The minified files name their source maps; the manifest storage insists they exist.
        source_map = src.with_name(src.name + ".map")
        if source_map.exists():
            shutil.copyfile(source_map, dst.with_name(dst.name + ".map"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
