"""Early, on time or late (sớm hạn, đúng hạn, quá hạn): the conditions on a dossier's
result shared by the live count of the II.06a report (statistics.py), its daily rollup
(rollup.py) and the dashboard, so that all three judge a dossier alike.

Early: ready on a day before the appointment's day; on time: ready on the appointment's
day, not after the appointment moment; late: ready after the (first) appointment, or
postponed at all: the apology (form 04) admits the lateness (Decree 61/2018 Art. 19; see
statistics.py for what is unconfirmed under Decree 118/2025).
"""
from __future__ import annotations

from sqlalchemy import and_, or_

from workflow.adapters.local_dates import local_date, tz_literal


def outcome(ready, appointment, tz, postponed):
    """(early, on time, late) conditions for a result ready at `ready`: a dossier
    `postponed` (its appointment moved once) is late whatever follows."""
    day = tz_literal(tz)
    kept = postponed.is_(None)
    early = and_(kept, local_date(ready, day) < local_date(appointment, day))
    late = or_(ready > appointment, postponed.is_not(None))
    on_time = and_(kept, or_(appointment.is_(None), and_(local_date(ready, day) >= local_date(appointment, day),
                                                         ready <= appointment)))
    return early, on_time, late
