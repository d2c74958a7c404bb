"""Field types shared by the response models of several domains (admin, schedules, analytics).

`IsoTime`: a time the service already wrote as ISO 8601 text (`datetime.isoformat()`, so UTC is
`+00:00` and Asia/Taipei `+08:00`). Kept as text so the JSON is exactly what it was — a pydantic
`datetime` would write UTC as `Z` — while the schema still says `format: date-time`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import WithJsonSchema

IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
