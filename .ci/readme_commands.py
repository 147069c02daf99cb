"""Print the README's set-up commands, one per line (the bash blocks of "Set-up").

CI runs them exactly as written, so that CI fails whenever a newcomer following the
README would. Standard library only (runs before any virtual environment exists).
"""

import re
import sys
from pathlib import Path


def setup_commands(readme):
    """The bash code blocks of the README section whose title starts with "Set-up"."""
    text = Path(readme).read_text(encoding="utf-8")
    m = re.search(r"^## Set-up.*?$(.*?)(?=^## )", text, flags=re.M | re.S)
    if m is None:
        raise SystemExit("README.md has no '## Set-up' section")
    blocks = re.findall(r"^```bash\n(.*?)^```", m.group(1), flags=re.M | re.S)
    return [" ".join(b.split()) for b in blocks]


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    for cmd in setup_commands(root / "README.md"):
        print(cmd)
    sys.exit(0)
