"""The HTTP decision service: `framework-dsl serve`, for programs that cannot embed the Python API.

- `state`: the rules being served (a checked, prepared `RuleSet` with its schemas and
  OpenAPI document), swapped whole on reload;
- `openapi`: the OpenAPI 3.1 document, whose request bodies are the frameworks' own
  JSON Schemas;
- `decision_log`: the opt-in JSON Lines receipt of every decision;
- `app`: the Starlette application (routes, limits, status codes) and the admin one;
- `server`: uvicorn, signals (SIGHUP reloads, SIGTERM/SIGINT drain and stop).

Starlette and uvicorn come with the `serve` extra (`pip install 'framework-dsl[serve]'`);
nothing else in the package imports this one.
"""

from framework_dsl.service.config import ServiceConfig

__all__ = ["ServiceConfig"]
