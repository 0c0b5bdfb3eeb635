"""Articula: the scheduling and agenda service for GORE / MUNI Ejecutivo."""

from sqlmodel import SQLModel

# Named constraints and indexes, so migrations (and SQLite batch mode) can refer to them.
# Set here because every `app.*` import runs this first, before any table is declared.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
