"""Dossiers (hồ sơ): intake and every lifecycle action as one transaction each, the
deadline explained, the audit trail."""
