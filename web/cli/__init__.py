"""The command line (`flask --app web ...`): database, catalog, users, demo data, and the
import of dossiers from a previous system."""
