"""A small route registry: each API route declares its body, query and response models
once; the same declaration validates the request and writes the OpenAPI document."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from flask import current_app, g, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from workflow.domain.errors import DomainError, InvalidInput, NotFound

from web.security import inputs
from web.api.schemas import Error

STATUS_TEXT = {200: "OK", 201: "Created", 400: "Bad request", 401: "Unauthenticated",
               403: "Forbidden", 404: "Not found", 409: "Conflict", 412: "Precondition failed",
               413: "Too large", 415: "Unsupported file", 422: "Invalid input",
               429: "Too many requests"}


@dataclass
class Route:
    rule: str
    method: str
    summary: str
    operation_id: str
    body: type[BaseModel] | dict | None = None   # a dict maps a path value to a model
    body_key: str | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    query: dict = field(default_factory=dict)   # name -> (schema dict, description)
    headers: dict = field(default_factory=dict)
    errors: tuple[int, ...] = (400, 401, 403, 404, 409, 422)
    # OpenAPI links from the success response: name -> (operationId, {parameter: expression}),
    # so clients (and the stateful fuzzer) know which later calls take a value from it
    links: dict = field(default_factory=dict)
    # other media types the success response may take (downloads: "text/csv", ...)
    media: tuple[str, ...] = ()
    # a multipart/form-data body (uploads): field -> (schema dict, description, required)
    multipart: dict = field(default_factory=dict)
    upload_files: int = 1  # the request may carry this many files' worth of bytes


ROUTES: list[Route] = []
UPLOAD_OVERHEAD = 64 * 1024  # the multipart envelope around an uploaded file


class BadJSON(DomainError):
    code = "bad_json"
    status = 400


def json_body() -> dict:
    """The request's JSON object, or a 400 naming what is wrong with it."""
    if not request.data:
        return {}
    if not request.is_json:
        raise BadJSON("send the body as application/json", field="Content-Type")
    if inputs.json_depth(request.get_data(cache=True)) > inputs.JSON_MAX_DEPTH:
        raise BadJSON(f"the body nests deeper than {inputs.JSON_MAX_DEPTH} levels")
    data = request.get_json(silent=True)
    if data is None:
        raise BadJSON("the body is not valid JSON")
    if not isinstance(data, dict):
        raise BadJSON("the body must be a JSON object")
    return inputs.json_value(data)


def validate(model: type[BaseModel], data: dict) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(err["msg"], field=".".join(str(p) for p in err["loc"]) or None) from None


def api_route(bp, rule: str, method: str, summary: str, **kw):
    """Register a Flask view and its OpenAPI operation in one declaration."""
    def wrap(view):
        route = Route(rule=rule, method=method.lower(), summary=summary,
                      operation_id=view.__name__, **kw)
        ROUTES.append(route)

        @functools.wraps(view)
        def inner(**path):
            if route.auth:
                from web.api.auth import require_actor
                g.actor = require_actor()
            if route.body is not None:
                model = route.body if isinstance(route.body, type) else route.body.get(path[route.body_key])
                if model is None:
                    raise NotFound(f"unknown {route.body_key} '{path[route.body_key]}'",
                                   field=route.body_key)
                g.body = validate(model, json_body())
            return view(**path)

        if route.multipart:  # the edge guard parses the form with this limit (web/security/guard.py)
            inner.upload_limit = lambda: (current_app.extensions["motcua"].file_max_bytes * route.upload_files
                                          + UPLOAD_OVERHEAD)
        bp.add_url_rule(rule, view_func=inner, methods=[method])
        return inner
    return wrap


def openapi(prefix: str, title: str, version: str) -> dict:
    models = {Error}
    for r in ROUTES:
        for m in ([r.response] if r.response else []) + (
                list(r.body.values()) if isinstance(r.body, dict) else [r.body] if r.body else []):
            models.add(m)
    _, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                 ref_template="#/components/schemas/{model}")
    paths: dict = {}
    for r in ROUTES:
        path = prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule)
        op: dict = {"summary": r.summary, "operationId": r.operation_id, "responses": {}}
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in re.findall(r"<(?:\w+:)?(\w+)>", r.rule)]
        if r.body_key:
            params[[p["name"] for p in params].index(r.body_key)]["schema"] = {
                "type": "string", "enum": sorted(r.body)}
        params += [{"name": n, "in": "query", "required": False, "schema": s, "description": d}
                   for n, (s, d) in r.query.items()]
        params += [{"name": n, "in": "header", "required": False, "schema": s, "description": d}
                   for n, (s, d) in r.headers.items()]
        if params:
            op["parameters"] = params
        if r.body is not None:
            if isinstance(r.body, dict):
                schema = {"oneOf": [{"$ref": f"#/components/schemas/{m.__name__}"}
                                    for m in dict.fromkeys(r.body.values())]}
            else:
                schema = {"$ref": f"#/components/schemas/{r.body.__name__}"}
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        if r.multipart:
            form = {"type": "object", "properties": {n: dict(sch, description=d)
                                                     for n, (sch, d, _req) in r.multipart.items()},
                    "required": [n for n, (_s, _d, req) in r.multipart.items() if req]}
            op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
        ok = {"description": STATUS_TEXT.get(r.status, "OK")}
        if r.response:
            ok["content"] = {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{r.response.__name__}"}}}
        for media in r.media:
            ok.setdefault("content", {})[media] = {"schema": {"type": "string"}}
        if r.links:
            ok["links"] = {name: {"operationId": target, "parameters": params}
                           for name, (target, params) in r.links.items()}
        op["responses"][str(r.status)] = ok
        # every operation may refuse a hostile request (web/security/inputs.py): 400 bad shape, 422 bad value
        for code in sorted(set(r.errors) | {400, 422}):
            if code == 401 and not r.auth:
                continue
            op["responses"][str(code)] = {"description": STATUS_TEXT[code], "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if r.auth:
            op["security"] = [{"bearer": []}]
        paths.setdefault(path, {})[r.method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": defs["$defs"] if "$defs" in defs else defs,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
