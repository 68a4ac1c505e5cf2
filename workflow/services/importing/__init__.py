"""Importing dossiers from a previous system (chuyển đổi dữ liệu), all or nothing."""
