import sys
from pathlib import Path

# tests/ is not a package; make its helpers importable for every test module.
sys.path.insert(0, str(Path(__file__).parent))
