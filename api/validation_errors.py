"""422 for a request that fails validation, whatever the request held.

FastAPI's own handler echoes each bad value back in the error. A value JSON cannot carry (NaN
or Infinity, which Python's JSON parser accepts, or a lone surrogate escape such as
"\\ud800") then made rendering the 422 itself fail with a 500. Here such values are echoed as
text instead.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        # A lone surrogate has no UTF-8 form: it becomes "?".
        return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": json_safe(jsonable_encoder(exc.errors()))}, status_code=422)
