"""Every package's models, imported so `SQLModel.metadata` is complete (Alembic uses it)."""

from sqlmodel import SQLModel

import app.access.models  # noqa: F401
import app.agendas.feeds  # noqa: F401
import app.agendas.store  # noqa: F401
import app.commitments.evidence  # noqa: F401
import app.commitments.models  # noqa: F401
import app.core.audit  # noqa: F401
import app.editions.models  # noqa: F401
import app.mail.models  # noqa: F401
import app.scheduling.models  # noqa: F401
import app.scheduling.versions  # noqa: F401
import app.submissions.models  # noqa: F401

metadata = SQLModel.metadata
