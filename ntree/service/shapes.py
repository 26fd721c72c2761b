"""Shapes from type hints: one reading of a definition's types for every use of it.

The command dataclasses (:mod:`ntree.engine.commands`) and the log's payload TypedDicts
(:mod:`ntree.engine.log_schema`) are written once as typed Python. This module reads their
hints three ways:

- :func:`parse` checks a JSON value's *shape and types* only (a request body): a wrong
  type is ``bad_type``, a value the types allow goes on to the engine, which judges it.
- :func:`problems` checks a value strictly against a definition (the log-schema test):
  every key known, every required key present, every type exact.
- :func:`json_schema` writes the JSON Schema (the OpenAPI document).

The hints understood are those the definitions use: ``str``, ``int``, ``float``, ``bool``,
``None``, ``Literal``, ``X | None``, ``list[X]``, ``dict[str, X]``, ``Any`` and TypedDicts.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from ntree.service.errors import ServiceError

_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def is_typed_dict(tp: object) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def hints(cls: type) -> dict[str, Any]:
    """Return the field types of a dataclass or TypedDict (``NotRequired`` removed)."""
    found = get_type_hints(cls)
    if dataclasses.is_dataclass(cls):  # its fields only (not ``op``, a ClassVar)
        return {f.name: found[f.name] for f in dataclasses.fields(cls)}
    return found


def required_keys(cls: type) -> frozenset[str]:
    """Return the keys a TypedDict must have, or the fields a dataclass has no default for."""
    if is_typed_dict(cls):
        return cls.__required_keys__
    return frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def _members(tp: object) -> tuple:
    origin = get_origin(tp)
    return get_args(tp) if origin in (Union, types.UnionType) else (tp,)


def _without_none(tp: object) -> tuple[object, bool]:
    """Return (the type without ``None``, whether ``None`` was allowed)."""
    members = _members(tp)
    rest = tuple(m for m in members if m is not type(None))
    if len(rest) == len(members):
        return tp, False
    return (rest[0] if len(rest) == 1 else Union[rest]), True  # noqa: UP007


def _describe(tp: object) -> str:
    tp, nullable = _without_none(tp)
    origin = get_origin(tp)
    if origin is Literal:
        text = "a string"
    elif origin is list:
        text = "a list"
    elif origin is dict or is_typed_dict(tp):
        text = "an object"
    else:
        text = {
            str: "a string",
            int: "an integer",
            float: "a finite number",
            bool: "true or false",
        }.get(tp, str(tp))
    return f"{text} or null" if nullable else text


def wrong_type(where: str, expected: str, value: object) -> ServiceError:
    """Return the ``bad_type`` refusal of ``value`` at ``where`` (the one wording of it)."""
    got = "null" if value is None else type(value).__name__
    return ServiceError("bad_type", f"field {where!r} must be {expected}, got {got}", where)


def _wrong(where: str, tp: object, value: object) -> ServiceError:
    return wrong_type(where, _describe(tp), value)


# --- requests: shape and types only --------------------------------------------------------


def parse(tp: object, value: object, where: str) -> object:
    """Return ``value`` if its JSON type fits ``tp`` (an integral float as an int, an int for
    a float as a float), else raise ServiceError ``bad_type`` naming ``where``. Values are
    not judged (a side of "LONG" is a string: the engine refuses it), and an object's keys
    that ``tp`` does not name pass through for the engine to judge too."""
    if tp is Any:
        return value
    inner, nullable = _without_none(tp)
    if value is None:
        if nullable:
            return None
        raise _wrong(where, tp, value)
    origin = get_origin(inner)
    if origin is Literal:
        inner = type(get_args(inner)[0])
    if origin is list:
        if not isinstance(value, list):
            raise _wrong(where, tp, value)
        (item,) = get_args(inner)
        return [parse(item, v, f"{where}[{n}]") for n, v in enumerate(value)]
    if origin is dict or is_typed_dict(inner):
        if not isinstance(value, dict):
            raise _wrong(where, tp, value)
        known = hints(inner) if is_typed_dict(inner) else {}
        default = get_args(inner)[1] if origin is dict else Any
        return {
            k: v if v is None else parse(known.get(k, default), v, f"{where}.{k}")
            for k, v in value.items()
        }
    if inner is bool:
        if not isinstance(value, bool):
            raise _wrong(where, tp, value)
        return value
    if isinstance(value, bool):
        raise _wrong(where, tp, value)
    if inner is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _wrong(where, tp, value)
    if inner is float:
        if isinstance(value, int):
            try:
                return float(value)
            except OverflowError:  # an integer of hundreds of digits
                raise ServiceError(
                    "out_of_range", f"field {where!r} is too large for a number", where
                ) from None
        if not isinstance(value, float) or not math.isfinite(value):
            raise _wrong(where, tp, value)
        return value
    if inner is str:
        if not isinstance(value, str):
            raise _wrong(where, tp, value)
        return value
    raise TypeError(f"no reading of {tp!r}")  # a definition uses a type not listed above


# --- strict conformance (the log schema) ----------------------------------------------------


def problems(tp: object, value: object, where: str = "$") -> list[str]:
    """Return where ``value`` departs from ``tp`` exactly (no coercion, no unknown keys)."""
    if tp is Any:
        return []
    members = _members(tp)
    if len(members) > 1:
        found = [problems(m, value, where) for m in members]
        return [] if not all(found) else [f"{where}: {value!r} is none of {members}"]
    origin = get_origin(tp)
    if origin is Literal:
        ok = value in get_args(tp)
        return [] if ok else [f"{where}: {value!r} not in {get_args(tp)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        (item,) = get_args(tp)
        return [p for n, v in enumerate(value) for p in problems(item, v, f"{where}[{n}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        item = get_args(tp)[1]
        return [p for k, v in value.items() for p in problems(item, v, f"{where}.{k}")]
    if is_typed_dict(tp):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        known = hints(tp)
        out = [f"{where}: missing {k!r}" for k in sorted(tp.__required_keys__ - set(value))]
        out += [f"{where}: unknown key {k!r}" for k in sorted(set(value) - set(known))]
        for k, v in value.items():
            if k in known:
                out += problems(known[k], v, f"{where}.{k}")
        return out
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = type(value) is tp
    return [] if ok else [f"{where}: {value!r} is not {_NAMES.get(tp, tp)}"]


# --- JSON Schema ------------------------------------------------------------------------------


def json_schema(tp: object, defs: dict[str, dict], *, ref: str = "#/components/schemas/") -> dict:
    """Return the JSON Schema of ``tp``; each TypedDict becomes a named entry of ``defs``
    (its docstring the description) and is referred to by ``ref`` + its name."""
    if tp is Any:
        return {}
    inner, nullable = _without_none(tp)
    if nullable:
        schema = json_schema(inner, defs, ref=ref)
        if set(schema) == {"type"}:
            return {"type": [schema["type"], "null"]}
        return {"oneOf": [schema, {"type": "null"}]}
    origin = get_origin(tp)
    if origin is Literal:
        values = list(get_args(tp))
        return {"type": _NAMES[type(values[0])], "enum": values}
    if origin is list:
        return {"type": "array", "items": json_schema(get_args(tp)[0], defs, ref=ref)}
    if origin is dict:
        item = get_args(tp)[1]
        extra = {} if item is Any else {"additionalProperties": json_schema(item, defs, ref=ref)}
        return {"type": "object", **extra}
    if is_typed_dict(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder: a TypedDict that names itself ends here
            defs[name] = object_schema(tp, defs, ref=ref)
        return {"$ref": ref + name}
    if tp in _NAMES:
        return {"type": _NAMES[tp]}
    raise TypeError(f"no JSON Schema for {tp!r}")


def object_schema(cls: type, defs: dict[str, dict], *, ref: str = "#/components/schemas/") -> dict:
    """Return the object schema of a TypedDict or dataclass: its fields, required ones and
    its docstring's first paragraph as the description."""
    props = {name: json_schema(tp, defs, ref=ref) for name, tp in hints(cls).items()}
    out: dict = {"type": "object", "properties": props}
    out["required"] = [k for k in props if k in required_keys(cls)]
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    if doc:
        out["description"] = " ".join(doc.split())
    return out
