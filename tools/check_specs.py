#!/usr/bin/env python3
"""Check the action specs, plugins/*/api/*.toml, against the format of plugins/README.md.

    python3 tools/check_specs.py [--shared /work/shared]

Every file is parsed with tomllib and checked: known keys only, value types, allowed values,
file name = <action>.<version>.toml in plugins/<plugin>/api/, dialect matching the version,
consistency rules (path parameters appear in the path, repeat lists have an item type, 2020-07-01
paged actions bound PageNumber/PageSize to 1-100 and list the Parameter.* errors of seed 002, ...).
Then the set of files is compared with shared/reference/actions.md: one file per table row plus
one per action its last line names (documented nowhere). Exit status 1 on any problem.

The one exception is an example action (`example = true`, what `cargo xtask new-plugin`
scaffolds): it needs no [source], must live in a plugin crate, and must NOT be an action
actions.md lists (a real action is specified from its seed, never as an example).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

VERSIONS = {
    "2017-07-05": "aliyun-rpc",
    "2020-07-01": "aliyun-rpc",
    "huawei-cc-management-v1": "huawei-cc-management",
    "huawei-isales-v1": "huawei-isales",
}
AUTH = ["ak", "bearer", "huawei-token", "huawei-auth-v2"]
ENVELOPE = ["RequestId", "Success", "Code", "Message", "HttpStatusCode"]
PARAM_TYPES = {"string", "integer", "long", "boolean", "repeat-list", "json-string", "object"}
ITEM_TYPES = PARAM_TYPES - {"repeat-list"}
LOCATIONS = {"query", "body", "path", "header", "json"}
RESPONSE_TYPES = {"string", "integer", "long", "boolean", "object", "array", "float"}
METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH"}

TOP = {
    "action": str,
    "version": str,
    "dialect": str,
    "plugin": str,
    "auth": list,
    "summary": str,
    "instance": str,
    "implemented": bool,
    "roles": list,
    "access": dict,
    "list_cache": str,
    "example": bool,
    "envelope": list,
    "source": dict,
    "http": dict,
    "param": list,
    "response": list,
    "error": list,
}
TOP_REQUIRED = {"action", "version", "dialect", "plugin", "auth", "summary", "envelope", "source"}
SOURCE = {"seed": str, "section": str, "lines": list, "overview_only": bool, "sdk": str}
HTTP = {"method": str, "path": str}
ACCESS = {"skill_groups": list, "users": list, "self_only": bool}
PARAM = {
    "name": str,
    "type": str,
    "item_type": str,
    "required": bool,
    "location": str,
    "min": int,
    "max": int,
    "max_length": int,
    "enum": list,
    "default": (str, int, bool),
    "max_items": int,
    "empty_clears": bool,
    "description": str,
    "example": (str, int, bool),
}
PARAM_REQUIRED = {"name", "type", "required", "location"}
RESPONSE = {"path": str, "type": str, "description": str, "nullable": bool, "optional": bool, "shape": str}
ROLES = ["admin", "skill-group-leader", "agent"]
ERROR = {"status": int, "code": str, "message": str}
SEED_002_CODES = ["Parameter.Enumeration", "Parameter.Maximum", "Parameter.Minimum", "Parameter.Empty", "Parameter.Null", "NotExists.InstanceId"]


def is_type(value, expected) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def check_table(where: str, table: dict, schema: dict, required: set, problems: list) -> None:
    for key, value in table.items():
        if key not in schema:
            problems.append(f"{where}: unknown key {key!r}")
        elif not is_type(value, schema[key]):
            problems.append(f"{where}: {key} has the wrong type ({type(value).__name__})")
        elif value in ("", []) and key not in ("envelope",):
            problems.append(f"{where}: {key} is empty (omit the key instead)")
    for key in sorted(required - table.keys()):
        problems.append(f"{where}: missing {key}")


def value_fits(value, ptype: str) -> bool:
    if ptype in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if ptype == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def check_param(where: str, p: dict, spec: dict, problems: list) -> None:
    check_table(where, p, PARAM, PARAM_REQUIRED, problems)
    ptype = p.get("type")
    if ptype not in PARAM_TYPES:
        problems.append(f"{where}: type {ptype!r} not one of {sorted(PARAM_TYPES)}")
        return
    if ptype == "repeat-list":
        if p.get("item_type") not in ITEM_TYPES:
            problems.append(f"{where}: repeat-list needs item_type in {sorted(ITEM_TYPES)}")
        if str(p.get("name", "")).endswith(".N"):
            problems.append(f"{where}: repeat-list names drop the .N suffix")
    elif "item_type" in p:
        problems.append(f"{where}: item_type only for repeat-list")
    value_type = p.get("item_type", ptype) if ptype == "repeat-list" else ptype
    loc = p.get("location")
    if loc not in LOCATIONS:
        problems.append(f"{where}: location {loc!r} not one of {sorted(LOCATIONS)}")
    if loc == "path":
        if "{" + str(p.get("name")) + "}" not in spec.get("http", {}).get("path", ""):
            problems.append(f"{where}: path parameter not in [http] path")
        if not p.get("required"):
            problems.append(f"{where}: a path parameter must be required")
    if loc in ("path", "header", "json") and spec.get("dialect") == "aliyun-rpc":
        problems.append(f"{where}: location {loc} on an Alibaba RPC action")
    if loc == "body" and spec.get("dialect") != "aliyun-rpc":
        problems.append(f"{where}: location body is the RPC form body; Huawei bodies are json")
    for key in ("min", "max"):
        if key in p and value_type not in ("integer", "long"):
            problems.append(f"{where}: {key} only for numbers")
    if "min" in p and "max" in p and p["min"] > p["max"]:
        problems.append(f"{where}: min > max")
    if "max_length" in p:
        if value_type not in ("string", "json-string"):
            problems.append(f"{where}: max_length only for strings")
        elif p["max_length"] < 1:
            problems.append(f"{where}: max_length < 1")
    if "enum" in p:
        values = []
        for i, e in enumerate(p["enum"]):
            if not isinstance(e, dict) or set(e) - {"value", "meaning"} or "value" not in e:
                problems.append(f"{where}: enum[{i}] must be {{ value = ..., meaning = \"...\" }}")
                continue
            if not value_fits(e["value"], value_type):
                problems.append(f"{where}: enum value {e['value']!r} is not a {value_type}")
            if "meaning" in e and not isinstance(e["meaning"], str):
                problems.append(f"{where}: enum meaning must be a string")
            values.append(e["value"])
        if len(values) != len(set(values)):
            problems.append(f"{where}: duplicate enum values")
    if "default" in p:
        if not value_fits(p["default"], value_type):
            problems.append(f"{where}: default {p['default']!r} is not a {value_type}")
        if "enum" in p and p["default"] not in [e.get("value") for e in p["enum"]]:
            problems.append(f"{where}: default {p['default']!r} is not in the enum")
        if isinstance(p["default"], int) and not isinstance(p["default"], bool):
            if "min" in p and p["default"] < p["min"] or "max" in p and p["default"] > p["max"]:
                problems.append(f"{where}: default outside min/max")


def check_file(path: Path, problems: list) -> dict | None:
    rel = path.relative_to(REPO)
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problems.append(f"{rel}: does not parse: {e}")
        return None
    where = str(rel)
    example = spec.get("example") is True
    check_table(where, spec, TOP, TOP_REQUIRED - ({"source"} if example else set()), problems)
    if spec.get("example") is False:
        problems.append(f"{where}: write example = true or nothing")
    if example and not (path.parent.parent / "Cargo.toml").is_file():
        problems.append(f"{where}: an example action belongs to a plugin crate")
    action, version = spec.get("action"), spec.get("version")
    if version not in VERSIONS:
        problems.append(f"{where}: version {version!r} not one of {sorted(VERSIONS)}")
        return spec
    dialect = VERSIONS[version]
    if spec.get("dialect") != dialect:
        problems.append(f"{where}: dialect must be {dialect} for {version}")
    if path.name != f"{action}.{version}.toml":
        problems.append(f"{where}: file name must be {action}.{version}.toml")
    if path.parent.name != "api" or path.parent.parent.name != spec.get("plugin"):
        problems.append(f"{where}: must live in plugins/{spec.get('plugin')}/api/")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", str(action)):
        problems.append(f"{where}: odd action name {action!r}")

    auth = spec.get("auth", [])
    if not auth or any(a not in AUTH for a in auth) or len(set(auth)) != len(auth):
        problems.append(f"{where}: auth must be a non-empty list of {AUTH}")
    expected_auth = {
        "aliyun-rpc": [["ak", "bearer"], ["bearer"]],
        "huawei-cc-management": [["huawei-token"]],
        "huawei-isales": [["huawei-auth-v2"]],
    }[dialect]
    if auth not in expected_auth:
        problems.append(f"{where}: auth {auth} not one of {expected_auth} for {dialect}")

    env = spec.get("envelope", [])
    if dialect != "aliyun-rpc":
        if env != []:
            problems.append(f"{where}: envelope must be [] for Huawei dialects")
    else:
        if [f for f in ENVELOPE if f in env] != env or len(set(env)) != len(env):
            problems.append(f"{where}: envelope must be an ordered subset of {ENVELOPE}")
        if version == "2020-07-01" and "Success" in env:
            problems.append(f"{where}: 2020-07-01 has no Success")
        if "RequestId" not in env:
            problems.append(f"{where}: envelope without RequestId")

    if "source" in spec or not example:
        src = spec.get("source", {})
        check_table(f"{where} [source]", src, SOURCE, {"seed", "section", "lines"}, problems)
        lines = src.get("lines", [])
        if not (len(lines) == 2 and all(isinstance(n, int) and n > 0 for n in lines) and lines[0] <= lines[1]):
            problems.append(f"{where} [source]: lines must be [first, last]")
        if src.get("overview_only") is False:
            problems.append(f"{where} [source]: write overview_only only when true")

    http = spec.get("http")
    if dialect == "aliyun-rpc":
        if http is not None:
            problems.append(f"{where}: [http] only for path-routed (Huawei) actions")
    else:
        if http is None:
            problems.append(f"{where}: [http] required for {dialect}")
        else:
            check_table(f"{where} [http]", http, HTTP, {"method", "path"}, problems)
            if http.get("method") not in METHODS:
                problems.append(f"{where} [http]: method {http.get('method')!r}")
            if not str(http.get("path", "")).startswith("/"):
                problems.append(f"{where} [http]: path must start with /")

    params = spec.get("param", [])
    names = []
    for i, p in enumerate(params):
        if not isinstance(p, dict):
            problems.append(f"{where}: param[{i}] is not a table")
            continue
        check_param(f"{where} param {p.get('name', i)}", p, spec, problems)
        names.append(p.get("name"))
    if len(names) != len(set(names)):
        problems.append(f"{where}: duplicate parameter names")
    if http:
        for placeholder in re.findall(r"\{([^}]+)\}", http.get("path", "")):
            if placeholder not in names:
                problems.append(f"{where}: path placeholder {{{placeholder}}} has no parameter")

    roles = spec.get("roles", ["admin"])
    if any(r not in ROLES for r in roles) or len(set(roles)) != len(roles):
        problems.append(f"{where}: roles must be distinct values of {ROLES}")
    access = spec.get("access")
    if isinstance(access, dict):
        check_table(f"{where} [access]", access, ACCESS, set(), problems)
        for key in ("skill_groups", "users"):
            for name in access.get(key, []):
                if name not in names:
                    problems.append(f"{where} [access]: {key} names {name!r}, which is not a parameter")
        if not access.get("skill_groups") and not access.get("users") and not access.get("self_only"):
            problems.append(f"{where} [access]: empty; leave it out")
        if spec.get("instance") in (None, "account"):
            problems.append(f"{where} [access]: needs an instance parameter")
    if spec.get("list_cache", "serve") not in ("serve", "invalidate"):
        problems.append(f"{where}: list_cache must be serve or invalidate")

    instance = spec.get("instance")
    if instance is not None and instance != "account" and instance not in names:
        problems.append(f"{where}: instance {instance!r} is not a parameter")

    paths = []
    for i, r in enumerate(spec.get("response", [])):
        w = f"{where} response {r.get('path', i) if isinstance(r, dict) else i}"
        if not isinstance(r, dict):
            problems.append(f"{w}: not a table")
            continue
        check_table(w, r, RESPONSE, {"path", "type"}, problems)
        if r.get("type") not in RESPONSE_TYPES:
            problems.append(f"{w}: type {r.get('type')!r} not one of {sorted(RESPONSE_TYPES)}")
        if dialect == "aliyun-rpc" and r.get("path") in ENVELOPE:
            problems.append(f"{w}: envelope fields belong in envelope, not [[response]]")
        paths.append(r.get("path"))
    if len(paths) != len(set(paths)):
        problems.append(f"{where}: duplicate response paths")

    for i, e in enumerate(spec.get("error", [])):
        w = f"{where} error {i}"
        if not isinstance(e, dict):
            problems.append(f"{w}: not a table")
            continue
        check_table(w, e, ERROR, {"status", "message"}, problems)
        if not 400 <= e.get("status", 0) <= 599:
            problems.append(f"{w}: status {e.get('status')} is not an error status")

    # 2020-07-01 paging rule
    by_name = {p.get("name"): p for p in params if isinstance(p, dict)}
    if version == "2020-07-01" and {"PageNumber", "PageSize"} <= by_name.keys():
        for n in ("PageNumber", "PageSize"):
            p = by_name[n]
            if (p.get("min"), p.get("max"), p.get("type"), p.get("required")) != (1, 100, "integer", True):
                problems.append(f"{where}: 2020-07-01 {n} must be a required integer 1-100")
        codes = {e.get("code") for e in spec.get("error", [])}
        for c in SEED_002_CODES:
            if c not in codes:
                problems.append(f"{where}: 2020-07-01 paged action lacks error {c}")
    return spec


# actions.md rows whose action moved to another plugin after the import: (action, version) ->
# (plugin in actions.md, plugin that owns the spec now), each with its reason.
REASSIGNED = {
    # It links a CallOnlinePrivacyNumber call to a contact: both are call records of the calls
    # plugin (plugins/calls/api/ModifyPrivacyNumberCallDetail.2017-07-05.toml).
    ("ModifyPrivacyNumberCallDetail", "2017-07-05"): ("numbers", "calls"),
}


def index_rows(actions_md: Path) -> tuple[set, list[str]]:
    rows = set()
    undocumented: list[str] = []
    for line in actions_md.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 7 and cells[0] != "domain" and not set(cells[0]) <= {"-"}:
            plugin = cells[0]
            moved = REASSIGNED.get((cells[1], cells[2]))
            if moved and moved[0] == plugin:
                plugin = moved[1]
            rows.add((plugin, cells[1], cells[2]))
        elif line.startswith("Actions the seed's overview table names but documents nowhere"):
            undocumented = [n.strip() for n in line.split(":", 1)[1].split("(")[0].split(",") if n.strip()]
    return rows, undocumented


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=Path("/work/shared"))
    args = ap.parse_args()

    problems: list[str] = []
    files = sorted(REPO.glob("plugins/*/api/*"))
    specs = []
    for f in files:
        if (f.is_dir() and f.name in ("shapes", "queries")) or f.name == "uses.toml":
            # Shared response shapes and cross-plugin queries: checked by `cargo xtask codegen`.
            continue
        if f.suffix != ".toml":
            problems.append(f"{f.relative_to(REPO)}: not a .toml spec")
            continue
        spec = check_file(f, problems)
        if spec:
            specs.append((f, spec))

    seeds = args.shared / "seeds"
    if seeds.is_dir():
        known = {p.name for p in seeds.iterdir()}
        for f, spec in specs:
            if "source" not in spec and spec.get("example") is True:
                continue
            seed = spec.get("source", {}).get("seed")
            if seed not in known:
                problems.append(f"{f.relative_to(REPO)}: seed {seed!r} not in {seeds}")

    all_keys = [(s.get("plugin"), s.get("action"), s.get("version")) for _, s in specs]
    if len(all_keys) != len(set(all_keys)):
        problems.append("two files specify the same action and version")
    # Example actions (`example = true`) are checked against actions.md apart: they must not be
    # real actions. Every other spec is compared with actions.md as before.
    examples = [(f, s) for f, s in specs if s.get("example") is True]
    real = [(f, s) for f, s in specs if s.get("example") is not True]
    keys = [(s.get("plugin"), s.get("action"), s.get("version")) for _, s in real]
    per_plugin: dict[str, int] = {}
    for plugin, _, _ in all_keys:
        per_plugin[plugin] = per_plugin.get(plugin, 0) + 1

    actions_md = args.shared / "reference" / "actions.md"
    expected = None
    if actions_md.is_file():
        rows, undocumented = index_rows(actions_md)
        expected = len(rows) + len(undocumented)
        have = set(keys)
        for row in sorted(rows):
            if row not in have:
                problems.append(f"actions.md row {row} has no spec")
        for name in undocumented:
            found = [k for k in keys if k[1] == name and k[2] == "2017-07-05"]
            if not found:
                problems.append(f"undocumented action {name} has no spec")
            for f, s in real:
                if s.get("action") == name and not s.get("source", {}).get("overview_only"):
                    problems.append(f"{f.relative_to(REPO)}: undocumented action needs overview_only = true")
        # Actions no seed documents but the official SDK sends ([source] sdk = "..."), e.g. the
        # 2020-07-01 agent desk, are specified from the SDK's models.
        from_sdk = {
            (s.get("plugin"), s.get("action"), s.get("version"))
            for _, s in real
            if s.get("source", {}).get("sdk")
        }
        extra = have - rows - from_sdk - {k for k in keys if k[1] in undocumented}
        for k in sorted(extra):
            problems.append(f"spec {k} is not in actions.md")
        if len(real) - len(from_sdk) != expected:
            problems.append(f"{len(real) - len(from_sdk)} seed specs, expected {expected} ({len(rows)} actions.md rows + {len(undocumented)} undocumented), besides {len(from_sdk)} from the official SDK")
        documented = {action for _, action, _ in rows} | set(undocumented)
        for f, s in examples:
            if s.get("action") in documented:
                problems.append(
                    f"{f.relative_to(REPO)}: {s.get('action')} is an actions.md action, not an example: specify it from its seed and drop example = true"
                )

    for p in problems:
        print(p)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(per_plugin.items()))
    shown = f"{len(specs)} specs ({summary})"
    if examples:
        shown += f", {len(examples)} of them example actions"
    print(shown + (f"; expected {expected}" if expected is not None else ""))
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
