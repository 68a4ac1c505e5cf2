"""The digital dossier (hồ sơ điện tử): files attached to a dossier's documents and result."""
