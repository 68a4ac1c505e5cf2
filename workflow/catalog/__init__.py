"""The procedure catalog (danh mục thủ tục): its file format and validation (schema.py),
the demo catalog of real procedures (demo/) and the survey questionnaires
(questionnaires/). Loading it into the database is a use case
(workflow.services.importing.catalog)."""
from pathlib import Path

DEMO_DIR = Path(__file__).parent / "demo"
