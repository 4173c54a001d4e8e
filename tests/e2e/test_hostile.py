"""Hostile-input suite (issue 9): for every served action, at least 100 generated hostile
requests, asserting no 5xx, the dialect's documented envelope on every answer, and a
responsive gateway afterwards. Description and counts: docs/hostile-input.md.

The actions and their parameters come from the specs (`plugins/flows/api/*.toml`,
`plugins/numbers/api/*.toml`); an action is served when its spec has no `implemented = false`.
Requests are generated deterministically (one seeded `random.Random` per action) from each
parameter's type and limits: overlong values, wrong types, NUL and control characters, odd
Unicode, huge and malformed repeat lists, malformed JSON-in-string, LIKE metacharacters, empty
values, duplicated and odd parameter names, `Format=XML` with characters XML 1.0 cannot carry.

Alibaba RPC requests are authenticated so they reach the action's parameter handling: signed
with `aliyun-python-sdk-core`'s own RPC v1 signer (`rpc_signature_composer.get_signed_url`),
or with a Bearer token (`ccgate token issue`) for Bearer-only actions and for some requests of
the others. They are sent with `requests` directly, because the SDK clients refuse some of
these values client-side. Huawei `queryIVRFlowList` carries a `tokenByAkSk` AccessToken, and
`tokenByAkSk` itself is fuzzed. A few unauthenticated hostile requests must get a 4xx in the
dialect's envelope too.

Every answer is checked (status < 500; Alibaba: JSON, or XML when `Format=XML` was asked for,
with `RequestId`, `Code`, `Message`; Huawei: JSON with `retCode` and `message`), all failures of
a batch are collected and reported together. After each batch a normal call must succeed, the
instance's XML listing must still parse, and the process must still run.

`CCGATE_E2E_HOSTILE_REPORT=<file.json>` writes the per-action counts of the run to a file.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from alibabacloud_ccc20200701 import models
from aliyunsdkcore.auth.composer.rpc_signature_composer import get_signed_url

from conftest import REPO
from test_flows import main_definition as flow_definition  # a valid Mainflow definition

SPEC_DIRS = (REPO / "plugins" / "flows" / "api", REPO / "plugins" / "numbers" / "api")
TOKEN_PATH = "/apigovernance/api/oauth/tokenByAkSk"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

MIN_PER_ACTION = 100  # the floor
TARGET_PER_ACTION = 120  # random combinations fill every catalogue up to this
KB = 1024
LONG = 100 * KB  # "100 KB" values
MAX_VALUE_BYTES = 2 * 1024 * 1024  # cap for "10x max_length" values (Content: 1,000,000)
QUERY_LIMIT = 4 * KB  # encoded action parameters beyond this go into a form body
TIMEOUT = 30  # seconds per request: a longer stall is a failure
BODY_EXCERPT = 200


# --------------------------------------------------------------------------------------------
# specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    location: str = "query"
    item_type: str | None = None
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    max_items: int | None = None
    enum: tuple = ()
    example: object = None


@dataclass(frozen=True)
class Spec:
    action: str
    version: str
    dialect: str
    plugin: str
    auth: tuple
    instance: str | None
    params: tuple
    http_method: str | None = None
    http_path: str | None = None

    @property
    def id(self) -> str:
        return f"{self.action}@{self.version}"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def load_specs() -> list[Spec]:
    """Every served action (no `implemented = false`) of the flows and numbers plugins."""
    out = []
    for d in SPEC_DIRS:
        for path in sorted(d.glob("*.toml")):
            if path.name == "uses.toml":  # the queries a plugin calls, not an action
                continue
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            if raw.get("implemented", True) is False:
                continue
            params = tuple(
                Param(
                    name=p["name"],
                    type=p["type"],
                    required=p.get("required", False),
                    location=p.get("location", "query"),
                    item_type=p.get("item_type"),
                    min=p.get("min"),
                    max=p.get("max"),
                    max_length=p.get("max_length"),
                    max_items=p.get("max_items"),
                    enum=tuple(e["value"] for e in p.get("enum", [])),
                    example=p.get("example"),
                )
                for p in raw.get("param", [])
            )
            http = raw.get("http", {})
            out.append(
                Spec(
                    action=raw["action"],
                    version=raw["version"],
                    dialect=raw["dialect"],
                    plugin=raw["plugin"],
                    auth=tuple(raw.get("auth", ["ak", "bearer"])),
                    instance=raw.get("instance"),
                    params=params,
                    http_method=http.get("method"),
                    http_path=http.get("path"),
                )
            )
    return out


SPECS = load_specs()
RPC_SPECS = [s for s in SPECS if s.dialect == "aliyun-rpc"]
HUAWEI_SPECS = [s for s in SPECS if s.dialect == "huawei-cc-management"]
assert RPC_SPECS and HUAWEI_SPECS, "no served action found in the specs"
assert {s.dialect for s in SPECS} <= {"aliyun-rpc", "huawei-cc-management"}, (
    "a new dialect is served: teach test_hostile.py to fuzz it"
)


# --------------------------------------------------------------------------------------------
# hostile values
# --------------------------------------------------------------------------------------------

# Values are (label, value); a value is `str` or, for invalid UTF-8, `bytes`.

ODD_UNICODE = [
    ("U+FFFE", "\ufffe"),
    ("U+FFFF", "a\uffff"),
    ("lone combining mark", "\u0301"),
    ("RTL override", "\u202eevil\u202c.exe"),
    ("4-byte emoji", "\U0001f600\U0001f648\U0001d518"),
    ("ZWJ emoji sequence", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"),
    ("5,000-mark grapheme cluster", "e" + "\u0301" * 5000),
    ("BOM and zero-width space", "\ufeff\u200b"),
    ("line/paragraph separators", "a\u2028b\u2029c"),
    ("U+10FFFF", "\U0010ffff"),
    ("private use", "\ue000\uf8ff"),
    ("full-width digits", "\uff11\uff12\uff13"),
    ("Arabic-Indic digits", "\u0661\u0662\u0663"),
]

CONTROL = [
    ("NUL", "\x00"),
    ("NUL inside", "ab\x00cd"),
    ("SOH", "\x01"),
    ("ANSI escape", "\x1b[31mred\x1b[0m"),
    ("CRLF log forging", "x\r\n{\"level\":\"ERROR\",\"msg\":\"forged\"}"),
    ("DEL and backspaces", "\x7f\x08\x08\x08"),
    ("vertical tab / form feed", "\x0b\x0c"),
]

INVALID_UTF8 = [
    ("invalid UTF-8 0xFF 0xFE", b"\xff\xfe"),
    ("UTF-8 encoded surrogate", b"\xed\xa0\x80"),
    ("overlong UTF-8 slash", b"\xc0\xaf"),
]

INJECTION = [
    ("SQL quote", "' OR '1'='1"),
    ("LIKE metacharacters", "%_%"),
    ("backslash", "\\"),
    ("markup and CDATA end", "<a>&amp;]]></a>"),
    ("path traversal", "../../etc/passwd"),
    ("percent-escape text", "%00%zz%"),
]

XML_BREAKERS = [
    ("NUL", "\x00"),
    ("SOH", "\x01"),
    ("ESC", "\x1b[31m"),
    ("U+FFFE", "\ufffe"),
    ("U+FFFF", "\uffff"),
    ("CDATA end and markup", "]]><x>&"),
]


def size_of(v) -> int:
    return len(v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v)


def string_values(p: Param) -> list[tuple[str, object]]:
    out = [("empty", ""), ("spaces", "   ")]
    out += CONTROL + ODD_UNICODE + INVALID_UTF8 + INJECTION
    out.append(("100 KB", "A" * LONG))
    ml = p.max_length
    if ml:
        out.append(("max_length+1", "a" * (ml + 1)))
        if ml <= 10_000:
            out.append(("max_length+1 4-byte chars", "\U0001f600" * (ml + 1)))
            out.append(("max_length+1 with NUL", "\x00" * (ml + 1)))
        out.append(("10x max_length", "b" * min(10 * ml, MAX_VALUE_BYTES)))
    if p.name == "SearchPattern" or "pattern" in p.name.lower():
        out += [
            ("25,000 %", "%" * 25_000),
            ("25,000 _", "_" * 25_000),
            ("49,999 characters", "ab%_" * 12_499 + "abc"),
            ("% and _ alternating 10,000", "%_" * 5_000),
            ("GLOB metacharacters", "[a-z]*?[!0]" * 1000),
            ("escaped LIKE", "\\%\\_\\\\" * 1000),
        ]
    return out


def integer_values(p: Param) -> list[tuple[str, object]]:
    out = [
        ("letters", "abc"),
        ("digits then letters", "1a"),
        ("float", "1.5"),
        ("exponent", "1e3"),
        ("hex", "0x10"),
        ("plus sign", "+1"),
        ("minus one", "-1"),
        ("zero", "0"),
        ("negative zero", "-0"),
        ("leading space", " 1"),
        ("trailing space", "1 "),
        ("empty", ""),
        ("Arabic-Indic digit", "\u0661"),
        ("full-width digit", "\uff11"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("2^31", str(2**31)),
        ("2^63", str(2**63)),
        ("2^64", str(2**64)),
        ("-2^63-1", str(-(2**63) - 1)),
        ("400 nines", "9" * 400),
        ("10,000 leading zeros", "0" * 10_000 + "1"),
        ("100 KB of digits", "9" * LONG),
        ("NUL", "\x00"),
        ("digit + NUL", "1\x00"),
        ("underscore separator", "1_0"),
        ("comma list", "1,2"),
        ("boolean", "true"),
    ]
    if p.max is not None:
        out.append(("max+1", str(p.max + 1)))
    if p.min is not None:
        out.append(("min-1", str(p.min - 1)))
    return out


def boolean_values(p: Param) -> list[tuple[str, object]]:
    return [
        ("two", "2"),
        ("one", "1"),
        ("zero", "0"),
        ("upper case", "TRUE"),
        ("title case", "True"),
        ("yes", "yes"),
        ("t", "t"),
        ("empty", ""),
        ("false + NUL", "false\x00"),
        ("prefix", "tru"),
        ("null", "null"),
        ("trailing space", "true "),
        ("CJK", "\u771f"),
        ("100 KB", "true" * (LONG // 4)),
        ("ANSI escape", "\x1b[31mtrue"),
    ]


def enum_values(p: Param) -> list[tuple[str, object]]:
    first = str(p.enum[0])
    homoglyph = first.replace("o", "\u043e").replace("a", "\u0430").replace("e", "\u0435")
    return [
        ("lower case", first.lower()),
        ("upper case", first.upper()),
        ("trailing space", first + " "),
        ("leading space", " " + first),
        ("NUL suffix", first + "\x00"),
        ("comma list of all", ",".join(str(v) for v in p.enum)),
        ("Cyrillic homoglyph", homoglyph if homoglyph != first else "\u0410" + first[1:]),
        ("unknown", "Sideways"),
        ("index", "0"),
        ("empty", ""),
        ("100 KB", (first * (LONG // len(first) + 1))[:LONG]),
        ("ANSI escape", "\x1b[31m" + first),
        ("U+FFFE suffix", first + "\ufffe"),
        ("4-byte emoji", "\U0001f600"),
        ("CRLF", first + "\r\n"),
    ]


def json_string_values(p: Param) -> list[tuple[str, object]]:
    good = flow_definition("hostile")
    deep = 100_000
    many = json.dumps(
        {
            "activities": [
                {"type": "PLAY_SAY", "id": f"a{i}", "name": f"a{i}",
                 "events": [{"event": "complete", "next": f"a{i + 1}"}]}
                for i in range(3000)
            ]
        }
    )
    out = [
        ("truncated", good[: len(good) // 2]),
        ("single brace", "{"),
        ("empty", ""),
        ("whitespace", "   "),
        ("JSON null", "null"),
        ("JSON number", "1"),
        ("JSON string", '"x"'),
        ("JSON array", "[]"),
        ("empty object", "{}"),
        ("100k-deep array", "[" * deep + "]" * deep),
        ("100k-deep unclosed array", "[" * deep),
        ("100k-deep object", '{"a":' * deep + "1" + "}" * deep),
        ("100k-deep array inside an activity",
         '{"activities":[{"type":"PLAY_SAY","id":"s","name":"s","properties":'
         + "[" * deep + "]" * deep + ',"events":[]}]}'),
        ("number 1e999999", '{"activities":[],"n":1e999999}'),
        ("100,000-digit integer", '{"activities":[],"n":' + "9" * LONG + "}"),
        ("100,000-digit negative", "-" + "9" * LONG),
        ("NaN and Infinity", '{"activities":[],"n":NaN,"m":Infinity}'),
        ("lone surrogate escape", '{"activities":[],"d":"\\ud800"}'),
        ("escaped NUL", '{"activities":[],"d":"\\u0000"}'),
        ("raw NUL in a string", '{"activities":[],"d":"a\x00b"}'),
        ("raw control characters", '{"activities":[],"d":"\x01\x1b[31m"}'),
        ("duplicate keys", '{"activities":[],"activities":{"x":1}}'),
        ("BOM prefix", "\ufeff" + good),
        ("trailing garbage", good + "garbage"),
        ("trailing NUL", good + "\x00"),
        ("comment", "/* c */" + good),
        ("single quotes", good.replace('"', "'")),
        ("activities is a string", '{"activities":"x"}'),
        ("activities are numbers", '{"activities":[1,2,3]}'),
        ("activity fields null", '{"activities":[{"type":null,"id":null,"events":null}]}'),
        ("self loop",
         '{"activities":[{"type":"INCOMING_CALL","id":"s","name":"s",'
         '"events":[{"event":"complete","next":"s"}]}]}'),
        ("dangling next",
         '{"activities":[{"type":"INCOMING_CALL","id":"s","name":"s",'
         '"events":[{"event":"complete","next":"nowhere"}]}]}'),
        ("3,000 chained activities", many),
        ("odd Unicode in a string", flow_definition("\ufffe\uffff\u202e\U0001f600\u0301")),
        ("control characters in a string (escaped)", flow_definition("\x00\x01\x1b[31m")),
        ("invalid UTF-8 in a string", b'{"activities":[],"d":"\xff\xfe"}'),
    ]
    if p.max_length:
        ml = p.max_length
        pad = ml + 1 - len(flow_definition(""))
        out.append(("valid JSON of max_length+1", flow_definition("A" * pad)))
        out.append(("10x max_length", flow_definition("B" * min(10 * ml, MAX_VALUE_BYTES))))
    else:
        out.append(("valid JSON of 1 MB", flow_definition("A" * (1024 * KB))))
    return out


def values_for(p: Param) -> list[tuple[str, object]]:
    t = p.item_type if p.type == "repeat-list" else p.type
    if p.enum and t == "string":
        return enum_values(p) + CONTROL[:2] + ODD_UNICODE[:3]
    return {
        "integer": integer_values,
        "long": integer_values,
        "boolean": boolean_values,
        "json-string": json_string_values,
    }.get(t, string_values)(p)


# --------------------------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------------------------


@dataclass
class RpcCase:
    """One hostile RPC request, before signing. `replace` maps a parameter name to the pairs
    that stand for it (an empty list drops it); `extra` pairs are added after the others."""

    label: str
    replace: dict = field(default_factory=dict)
    extra: list = field(default_factory=list)
    fmt: str | None = "JSON"
    cred: str | None = None  # "ak" / "bearer"; None: the generator picks one


@dataclass
class Wire:
    """An HTTP request as sent, and what its answer is checked against."""

    label: str
    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    expect_xml: bool = False
    shown: str | None = None  # what short() shows instead of the raw query and body

    def short(self) -> str:
        parts = [f"{self.method} {cut(self.path, 60)}"]
        if self.shown is not None:
            parts.append(self.shown)
        else:
            if self.query:
                parts.append(f"?{cut(self.query)}")
            if self.body:
                parts.append(f"body={cut(self.body)}")
            if self.headers:
                parts.append("headers=" + ", ".join(f"{k}: {cut(v, 40)}" for k, v in
                                                    list(self.headers.items())[:8]))
        return f"[{self.label}] " + " ".join(parts)


def cut(s, n: int = 100) -> str:
    """A short repr of a long str/bytes value."""
    if s is None:
        return "None"
    if isinstance(s, bytes):
        return repr(s[:n]) + (f"...(+{len(s) - n} bytes)" if len(s) > n else "")
    return repr(s[:n]) + (f"...(+{len(s) - n} chars)" if len(s) > n else "")


def show_pairs(pairs, n: int = 6) -> str:
    """`k=v&...` with long values and long lists shortened."""
    shown = [f"{cut(k, 30)}={cut(v, 40)}" for k, v in pairs[:n]]
    if len(pairs) > n:
        shown.append(f"...({len(pairs)} pairs in all)")
    return "&".join(shown)


class Seq:
    """Unique phone numbers and flow names within one gateway."""

    def __init__(self):
        self._n = itertools.count(1)

    def number(self) -> str:
        return f"0592{next(self._n):08d}"

    def name(self) -> str:
        return f"hostile-{next(self._n)}"


SEQ = Seq()


@dataclass
class Env:
    """A fresh tenant per action batch (its own account, instance and AccessKey, a flow with a
    draft version, a phone number), so one batch's hostile writes do not leak into another's
    checks."""

    gateway: object
    tenant: object
    flow_id: str
    version_id: str
    number: str
    number_id: str
    skill_group_id: str

    @property
    def instance(self) -> str:
        return self.tenant.instance_id


def make_env(gateway) -> Env:
    tenant = gateway.create_tenant(gateway.unique("hostile"))
    sdk = tenant.sdk2017()
    flow = sdk.call("CreateContactFlow", InstanceId=tenant.instance_id, Name=SEQ.name(),
                    Description="hostile-input suite", Content=flow_definition("hi"))["ContactFlow"]
    number = SEQ.number()
    pn = sdk.call("AddPhoneNumber", InstanceId=tenant.instance_id, PhoneNumber=number,
                  Usage="Bidirection")["PhoneNumber"]
    # numbers refuse a SkillGroupId.N the agents plugin does not know
    group = sdk.call("CreateSkillGroup", InstanceId=tenant.instance_id,
                     Name=SEQ.name())["SkillGroupId"]
    return Env(gateway, tenant, flow["ContactFlowId"],
               flow["Versions"]["ContactFlowVersion"][0]["ContactFlowVersionId"],
               number, pn["PhoneNumberId"], group)


def valid_value(spec: Spec, p: Param, env: Env):
    """A valid value of `p` for `env` (a list for repeat lists), so that a mutation of one
    parameter reaches that parameter's checks."""
    n = p.name
    if n == "InstanceId":
        return env.instance
    if n == "ContactFlowId":
        return env.flow_id
    if n == "ContactFlowVersionId":
        return env.version_id
    if n == "PhoneNumberId":
        return env.number_id
    if n == "PhoneNumber":
        return [SEQ.number()] if p.type == "repeat-list" else SEQ.number()
    if n == "CandidateNumber":
        return [env.number]
    if n == "SkillGroupId":
        return [env.skill_group_id]
    if n == "Name":
        return SEQ.name()
    if n == "Content":
        return flow_definition("hostile")
    if n == "Canvas":
        return "{}"
    if n in ("Callee", "Caller", "CalleeNumber", "Number"):
        return "05718888" + ("6666" if n != "Caller" else "7777")
    if n == "SearchPattern":
        return "0592"
    if p.enum:
        return "Bidirection" if "Bidirection" in p.enum else str(p.enum[0])
    t = p.type
    if t in ("integer", "long"):
        return str(p.min if p.min is not None else 1)
    if t == "boolean":
        return "false"
    if t == "json-string":
        return "{}"
    if t == "repeat-list":
        return ["x"]
    return str(p.example) if p.example is not None else "x"


def expand(name: str, value) -> list:
    if isinstance(value, list):
        return [(f"{name}.{i}", v) for i, v in enumerate(value, 1)]
    return [(name, value)]


def list_items(p: Param, count: int) -> list:
    """`Name.1..Name.count` with distinct plausible values (phone numbers for number lists)."""
    n = p.name
    if n in ("PhoneNumber", "CandidateNumber"):
        return [(f"{n}.{i}", f"0593{i:08d}") for i in range(1, count + 1)]
    return [(f"{n}.{i}", f"sg-{i}") for i in range(1, count + 1)]


def repeat_cases(p: Param, item_valid) -> list[RpcCase]:
    """Huge and malformed repeat lists of `p` (`Name.N`)."""
    n = p.name

    def items(count):
        return list_items(p, count)

    cases = [
        RpcCase(f"{n}.1..{n}.5000", {n: items(5000)}),
        RpcCase(f"{n}.1..{n}.20000", {n: items(20_000)}),
        RpcCase(f"{n}.0", {n: [(f"{n}.0", item_valid)]}),
        RpcCase(f"{n}.99999999999", {n: [(f"{n}.99999999999", item_valid)]}),
        RpcCase(f"{n}.18446744073709551616", {n: [(f"{n}.18446744073709551616", item_valid)]}),
        RpcCase(f"{n}.-1", {n: [(f"{n}.-1", item_valid)]}),
        RpcCase(f"{n}.a (non-numeric index)", {n: [(f"{n}.a", item_valid)]}),
        RpcCase(f"{n}. (empty index)", {n: [(f"{n}.", item_valid)]}),
        RpcCase(f"{n} without index", {n: [(n, item_valid)]}),
        RpcCase(f"{n}.01", {n: [(f"{n}.01", item_valid)]}),
        RpcCase(f"{n}.1.5", {n: [(f"{n}.1.5", item_valid)]}),
        RpcCase(f"{n}.1e3", {n: [(f"{n}.1e3", item_valid)]}),
        RpcCase(f"{n}.\uff11 (full-width index)", {n: [(f"{n}.\uff11", item_valid)]}),
        RpcCase(f"{n}.1\\x00", {n: [(f"{n}.1\x00", item_valid)]}),
        RpcCase(f"{n}.1 twice", {n: [(f"{n}.1", item_valid), (f"{n}.1", "dup")]}),
        RpcCase(f"{n}.1 and {n}.3 (gap)", {n: [(f"{n}.1", item_valid), (f"{n}.3", item_valid)]}),
        RpcCase(f"{n}.2 before {n}.1", {n: [(f"{n}.2", item_valid), (f"{n}.1", item_valid)]}),
        RpcCase(f"{n}.1..100 empty items", {n: [(f"{n}.{i}", "") for i in range(1, 101)]}),
        RpcCase(f"{n} items all NUL", {n: [(f"{n}.{i}", "\x00") for i in range(1, 11)]}),
        RpcCase(f"{n}.1 of 100 KB", {n: [(f"{n}.1", "7" * LONG)]}),
        RpcCase(f"10 {n} items of 100 KB",
                {n: [(f"{n}.{i}", str(i) * LONG) for i in range(1, 11)]}),
        RpcCase(f"{n}.1..1000 identical", {n: [(f"{n}.{i}", item_valid) for i in range(1, 1001)]}),
        RpcCase(f"{n}.1..20000 with only {n}.20000 set",
                {n: [(f"{n}.20000", item_valid)]}),
    ]
    if p.max_items:
        cases.append(RpcCase(f"{n}: max_items+1 ({p.max_items + 1})",
                             {n: items(p.max_items + 1)}))
    if p.max_length:
        cases.append(RpcCase(f"{n}.1 of max_length+1", {n: [(f"{n}.1", "s" * (p.max_length + 1))]}))
    for label, v in values_for(p):
        cases.append(RpcCase(f"{n}.1={label}", {n: [(f"{n}.1", v)]}))
    return cases


def rpc_cases(spec: Spec, env: Env) -> list[RpcCase]:
    """The deterministic catalogue of `spec`, then seeded random combinations up to
    TARGET_PER_ACTION."""
    rng = random.Random(f"ccgate-hostile/{spec.id}")
    creds = [c for c in ("ak", "bearer") if c in spec.auth]
    cases: list[RpcCase] = [RpcCase("baseline: every parameter valid", cred=creds[0])]
    required = [p for p in spec.params if p.required]
    first = (required or list(spec.params))[0]
    first_valid = valid_value(spec, first, env)
    first_valid = first_valid[0] if isinstance(first_valid, list) else first_valid

    # per parameter: its type's hostile values, absence, and (repeat lists) the list shapes
    for p in spec.params:
        cases.append(RpcCase(f"{p.name} absent", {p.name: []}))
        if p.type == "repeat-list":
            item = valid_value(spec, p, env)[0]
            cases += repeat_cases(p, item)
            continue
        for label, v in values_for(p):
            cases.append(RpcCase(f"{p.name}={label}", {p.name: [(p.name, v)]}))
        # duplicated keys: hostile first / valid last, and the other way round
        good = valid_value(spec, p, env)
        cases.append(RpcCase(f"{p.name} twice, NUL first",
                             {p.name: [(p.name, "\x00"), (p.name, good)]}))
        cases.append(RpcCase(f"{p.name} twice, NUL last",
                             {p.name: [(p.name, good), (p.name, "\x00")]}))
        cases.append(RpcCase(f"{p.name} 1,000 times", {p.name: [(p.name, good)] * 1000}))
        # Format=XML with characters XML 1.0 cannot carry (in JSON-in-string values: inside
        # a valid definition, which the gateway may store and echo)
        if p.type in ("string", "json-string") and not p.enum:
            for label, v in XML_BREAKERS:
                if p.type == "json-string":
                    v = flow_definition(v)
                cases.append(RpcCase(f"Format=XML, {p.name}={label}", {p.name: [(p.name, v)]},
                                     fmt="XML"))

    # two repeat lists whose product the action stores (AddBulkPhoneNumbers: numbers x skill
    # groups; issue 9: 1,000 x 20,000 aborted the process)
    lists = [p for p in spec.params if p.type == "repeat-list"]
    for a, b in itertools.combinations(lists, 2):
        na, nb = a.max_items or 1000, b.max_items or 1000
        for ca, cb in ((na, 20_000), (na, nb), (min(na, 100), min(nb, 100))):
            cases.append(RpcCase(f"{a.name}.1..{ca} x {b.name}.1..{cb}",
                                 {a.name: list_items(a, ca), b.name: list_items(b, cb)}))

    # parameter names
    cases += [
        RpcCase("NUL parameter name", extra=[("\x00", "x")]),
        RpcCase("NUL inside a parameter name",
                extra=[(first.name[:3] + "\x00" + first.name[3:], "x")]),
        RpcCase("parameter name + NUL", {first.name: [(first.name + "\x00", first_valid)]}),
        RpcCase("lower-case parameter name", {first.name: [(first.name.lower(), first_valid)]}),
        RpcCase("full-width parameter name",
                {first.name: [("".join(chr(ord(c) + 0xFEE0) for c in first.name), first_valid)]}),
        RpcCase("empty parameter name", extra=[("", "x")]),
        RpcCase("100 KB parameter name", extra=[("N" * LONG, "x")]),
        RpcCase("control characters in a name", extra=[("\x1b[31mX\r\nY", "x")]),
        RpcCase("odd Unicode in a name", extra=[("\ufffe\u202e\U0001f600", "x")]),
        RpcCase("dotted name", extra=[(first.name + ".1", "x")]),
        RpcCase("1,000 unknown parameters", extra=[(f"X{i}", "y") for i in range(1000)]),
        RpcCase("10,000 unknown parameters", extra=[(f"X{i}", "y") for i in range(10_000)]),
        RpcCase("every parameter absent", {p.name: [] for p in spec.params}),
        RpcCase("every parameter empty",
                {p.name: [(expand(p.name, [""])[0][0] if p.type == "repeat-list" else p.name, "")]
                 for p in spec.params}),
        RpcCase("every parameter NUL",
                {p.name: [(expand(p.name, ["\x00"])[0][0] if p.type == "repeat-list" else p.name,
                           "\x00")] for p in spec.params}),
        RpcCase("Format=XML, every parameter SOH",
                {p.name: [(expand(p.name, ["\x01"])[0][0] if p.type == "repeat-list" else p.name,
                           "\x01")] for p in spec.params}, fmt="XML"),
    ]
    # Format variants (a valid request otherwise)
    for fmt in ("xml", "XmL", "json", "", "YAML", "XML\x00", " XML", "X" * 10_000, "JSON\r\n",
                "\x1b[31mXML"):
        cases.append(RpcCase(f"Format={fmt[:12]!r}", fmt=fmt))

    # seeded random combinations of light values, one to three parameters at a time
    pool = []
    for p in spec.params:
        if p.type == "repeat-list":
            pool += [(p, f"{p.name}.1={lab}", [(f"{p.name}.1", v)]) for lab, v in values_for(p)
                     if size_of(v) <= 10 * KB]
        else:
            pool += [(p, f"{p.name}={lab}", [(p.name, v)]) for lab, v in values_for(p)
                     if size_of(v) <= 10 * KB]
    k = 0
    while len(cases) < TARGET_PER_ACTION:
        k += 1
        picks = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
        replace = {}
        for p, _, pairs in picks:
            replace[p.name] = pairs
        fmt = rng.choice(["JSON", "JSON", "JSON", "XML", None])
        labels = ", ".join(lab for _, lab, _ in picks)
        cases.append(RpcCase(f"random #{k} ({fmt}): {labels}", replace, fmt=fmt))

    for c in cases:
        if c.cred is None:
            c.cred = creds[0] if len(creds) == 1 else rng.choices(creds, weights=[3, 1])[0]
    return cases


def encode_pairs(pairs) -> str:
    return urlencode(pairs)


def lossy(v) -> str:
    """The value the gateway sees (invalid UTF-8 replaced), which is what it verifies the
    signature over."""
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def to_wire(spec: Spec, env: Env, case: RpcCase, rng: random.Random) -> Wire:
    pairs_by_location = {"query": [], "body": []}
    for p in spec.params:
        if p.name in case.replace:
            pairs = case.replace[p.name]
        else:
            pairs = expand(p.name, valid_value(spec, p, env))
        pairs_by_location["body" if p.location == "body" else "query"] += pairs
    pairs_by_location["query"] += case.extra
    query, body = pairs_by_location["query"], pairs_by_location["body"]
    if len(encode_pairs(query)) > QUERY_LIMIT:  # large: everything in a form body
        query, body = [], query + body
    method = "POST" if body or rng.random() < 0.5 else "GET"

    common = {"Action": spec.action, "Version": spec.version, "RegionId": "cn-hangzhou"}
    if case.cred == "bearer":
        common.update(BearerToken=env.tenant.bearer_token, SignatureType="BEARERTOKEN")
        if case.fmt is not None:
            common["Format"] = case.fmt
        head = "/?" + encode_pairs(common)
    else:
        # The gateway merges query then body, a later value winning: sign that view.
        signed = {}
        for k, v in query + body:
            signed[k] = lossy(v)
        head, _ = get_signed_url(common, env.tenant.access_key_id,
                                 env.tenant.access_key_secret, case.fmt, method, signed)
    q = head[2:]
    if query:
        q += "&" + encode_pairs(query)
    headers = {}
    data = None
    if body:
        data = encode_pairs(body).encode("ascii")
        headers.update(FORM)
    expect_xml = case.fmt is not None and case.fmt.lower() == "xml"
    shown = f"{case.cred} Format={cut(case.fmt, 12)} query: {show_pairs(query)}"
    if body:
        shown += f" form body: {show_pairs(body)}"
    return Wire(case.label, method, "/", q, data, headers, expect_xml, shown)


# --------------------------------------------------------------------------------------------
# sending and checking
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int | None
    failure: str | None  # None: the answer is as documented
    code: str | None = None  # the Code / retCode of the answer
    elapsed: float = 0.0


def excerpt(resp: requests.Response) -> str:
    return resp.content[:BODY_EXCERPT].decode("utf-8", "replace")


def code_of(resp: requests.Response) -> str:
    """The Code / retCode of an answer, if it has one (for the report)."""
    try:
        body = resp.json()
        return str(body.get("Code", body.get("retCode", ""))) if isinstance(body, dict) else ""
    except ValueError:
        try:
            return ET.fromstring(resp.content).findtext("Code") or ""
        except ET.ParseError:
            return ""


def check_rpc(resp: requests.Response, expect_xml: bool) -> tuple[str | None, str | None]:
    """(failure, Code) for an Alibaba RPC answer."""
    ctype = resp.headers.get("Content-Type", "")
    if resp.status_code >= 500:
        return f"{resp.status_code} {code_of(resp)}".strip(), None
    if expect_xml:
        if "xml" not in ctype.lower():
            return f"Format=XML answered with Content-Type {ctype!r}", None
        try:
            root = ET.fromstring(resp.content)
        except ET.ParseError as e:
            return f"XML not parsable ({e})", None
        missing = [k for k in ("RequestId", "Code", "Message") if root.find(k) is None]
        if missing:
            return f"XML <{root.tag}> lacks {missing}", None
        if not (root.findtext("RequestId") or "").strip():
            return "empty RequestId", None
        return None, root.findtext("Code")
    if "json" not in ctype.lower():
        return f"not JSON (Content-Type {ctype!r})", None
    try:
        body = resp.json()
    except ValueError as e:
        return f"JSON not parsable ({e})", None
    if not isinstance(body, dict):
        return "JSON body is not an object", None
    missing = [k for k in ("RequestId", "Code", "Message") if k not in body]
    if missing:
        return f"JSON lacks {missing}", None
    if not isinstance(body["RequestId"], str) or not body["RequestId"]:
        return "empty RequestId", None
    return None, str(body["Code"])


def check_huawei(resp: requests.Response,
                 success_keys=("retCode", "message")) -> tuple[str | None, str | None]:
    """(failure, retCode) for a Huawei answer: JSON with retCode and message (or, for a 200 of
    tokenByAkSk, `success_keys`)."""
    ctype = resp.headers.get("Content-Type", "")
    if resp.status_code >= 500:
        return f"{resp.status_code} {code_of(resp)}".strip(), None
    if "json" not in ctype.lower():
        return f"not JSON (Content-Type {ctype!r})", None
    try:
        body = resp.json()
    except ValueError as e:
        return f"JSON not parsable ({e})", None
    if not isinstance(body, dict):
        return "JSON body is not an object", None
    keys = success_keys if resp.status_code == 200 else ("retCode", "message")
    missing = [k for k in keys if k not in body]
    if missing:
        return f"JSON lacks {missing}", None
    return None, str(body.get("retCode", "")) or None


class Batch:
    """Sends the requests of one action and collects every failure."""

    def __init__(self, gateway, name: str):
        self.gateway = gateway
        self.name = name
        self.sent = 0
        self.bad = 0  # requests answered other than documented (or not at all)
        self.statuses: dict[int, int] = {}
        self.failures: list[str] = []
        self.reasons: list[str] = []
        self.codes: dict[str, int] = {}
        self.started = time.monotonic()
        self.died_at: str | None = None

    def send(self, wire: Wire, check) -> Outcome | None:
        if self.died_at is not None:
            return None
        url = self.gateway.base_url + wire.path + (f"?{wire.query}" if wire.query else "")
        t0 = time.monotonic()
        self.sent += 1
        try:
            # A new connection per request: a refusal that closes the connection must not be
            # blamed on the next request.
            resp = requests.request(wire.method, url, data=wire.body, headers=wire.headers,
                                    timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as e:
            reason = f"no answer ({type(e).__name__})"
            self.fail(wire, None, reason, str(e)[:BODY_EXCERPT])
            if self.gateway.proc.poll() is not None:
                self.died_at = wire.short()
                self.failures.append(
                    f"{self.name}: gateway process exited ({self.gateway.proc.returncode}) "
                    f"after {wire.short()[:300]}; the rest of the batch was not sent"
                )
                self.reasons.append("gateway process died")
            return Outcome(None, reason, elapsed=time.monotonic() - t0)
        elapsed = time.monotonic() - t0
        self.statuses[resp.status_code] = self.statuses.get(resp.status_code, 0) + 1
        failure, code = check(resp)
        if code:
            self.codes[code] = self.codes.get(code, 0) + 1
        if failure:
            self.fail(wire, resp.status_code, failure, excerpt(resp))
        return Outcome(resp.status_code, failure, code, elapsed)

    def fail(self, wire: Wire, status, reason: str, body: str) -> None:
        # the cause without its details (parser positions, exception texts), for grouping
        self.reasons.append(f"HTTP {reason}" if reason[:3].isdigit() else reason.split(" (")[0])
        self.bad += 1
        self.failures.append(
            f"{self.name}: {wire.short()[:300]} -> {status}: {reason}; body: {body!r}"
        )

    @property
    def count_5xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    def count(self, lo: int, hi: int) -> int:
        return sum(n for s, n in self.statuses.items() if lo <= s < hi)

    def summary(self) -> dict:
        return {
            "action": self.name,
            "requests": self.sent,
            "2xx": self.count(200, 300),
            "4xx": self.count(400, 500),
            "5xx": self.count_5xx,
            "no_answer": self.sent - sum(self.statuses.values()),
            "failed_requests": self.bad,
            "failures": len(self.failures),
            "seconds": round(time.monotonic() - self.started, 1),
            "reasons": sorted(set(self.reasons)),
            "codes": dict(sorted(self.codes.items(), key=lambda x: -x[1])),
        }

    def report(self) -> str:
        by_reason: dict[str, int] = {}
        for r in self.reasons:
            by_reason[r] = by_reason.get(r, 0) + 1
        head = (
            f"{self.bad} of {self.sent} hostile requests to {self.name} were not answered as "
            f"documented, {len(self.failures) - self.bad} other failures (statuses: "
            f"{dict(sorted(self.statuses.items()))}); by cause: "
            + "; ".join(f"{n} x {r}" for r, n in sorted(by_reason.items(), key=lambda x: -x[1]))
        )
        return "\n".join([head, *self.failures])


@pytest.fixture(scope="module")
def hostile_counts(e2e_summary):
    """Per-action counts of this module, printed at the end of the run (and written to
    CCGATE_E2E_HOSTILE_REPORT when set)."""
    rows: list[dict] = []
    yield rows
    if not rows:
        return
    e2e_summary.append("hostile-input suite (tests/e2e/test_hostile.py):")
    e2e_summary.append(
        f"  {'backend':<9} {'action':<52} {'requests':>8} {'2xx':>5} {'4xx':>5} {'5xx':>5} "
        f"{'failed':>6} {'secs':>6}"
    )
    for r in rows:
        e2e_summary.append(
            f"  {r['backend']:<9} {r['action']:<52} {r['requests']:>8} {r['2xx']:>5} "
            f"{r['4xx']:>5} {r['5xx']:>5} {r['failures']:>6} {r['seconds']:>6}"
        )
    for backend in sorted({r["backend"] for r in rows}):
        mine = [r for r in rows if r["backend"] == backend]
        e2e_summary.append(
            f"  {backend}: {sum(r['requests'] for r in mine)} requests, "
            f"{sum(r['5xx'] for r in mine)} x 5xx, {sum(r['failures'] for r in mine)} failed, "
            f"{sum(r['seconds'] for r in mine):.1f} s"
        )
    out = os.environ.get("CCGATE_E2E_HOSTILE_REPORT")
    if out:
        Path(out).write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")


def finish(batch: Batch, backend: str, hostile_counts, record_property, *, floor=MIN_PER_ACTION):
    s = batch.summary()
    s["backend"] = backend
    hostile_counts.append(s)
    for k in ("requests", "5xx", "failures"):
        record_property(f"hostile_{k}", s[k])
    assert batch.sent >= floor or batch.died_at, f"only {batch.sent} requests generated"
    if batch.failures:
        pytest.fail(batch.report(), pytrace=False)


# --------------------------------------------------------------------------------------------
# after a batch: the gateway still answers
# --------------------------------------------------------------------------------------------


def after_batch(batch: Batch, env: Env, plugin: str) -> None:
    """A normal call succeeds, the instance's XML listing still parses, the process runs."""
    gw = batch.gateway
    if gw.proc.poll() is not None:
        if batch.died_at is None:
            batch.failures.append(f"{batch.name}: gateway process exited ({gw.proc.returncode})")
            batch.reasons.append("gateway process died")
        return
    tenant = env.tenant
    try:
        client = tenant.sdk2020("acs3")
        if plugin == "flows":
            resp = client.list_contact_flows(models.ListContactFlowsRequest(
                instance_id=tenant.instance_id, page_number=1, page_size=10))
        else:
            resp = client.list_phone_numbers(models.ListPhoneNumbersRequest(
                instance_id=tenant.instance_id, page_number=1, page_size=10))
        assert resp.status_code == 200 and resp.body is not None and resp.body.code == "OK"
    except Exception as e:  # noqa: BLE001 - reported with the batch
        batch.failures.append(f"{batch.name}: after the batch a valid 2020 list call failed: "
                              f"{type(e).__name__}: {str(e)[:300]}")
        batch.reasons.append("valid call after the batch failed")
    # The 2017 listing of what the batch wrote, as XML (a stored control character must not
    # make every later XML listing malformed).
    action = "ListContactFlows" if plugin == "flows" else "ListPhoneNumbers"
    params = {"InstanceId": tenant.instance_id}
    if plugin == "numbers":
        params["OutboundOnly"] = "false"
    head, _ = get_signed_url({"Action": action, "Version": "2017-07-05", **params},
                             tenant.access_key_id, tenant.access_key_secret, "XML", "GET", {})
    try:
        r = requests.get(gw.base_url + head, timeout=TIMEOUT)
        failure, code = check_rpc(r, expect_xml=True)
        if failure is None and r.status_code != 200:
            failure = f"status {r.status_code} ({code})"
        if failure:
            batch.failures.append(f"{batch.name}: after the batch the 2017 {action} XML listing "
                                  f"of the instance: {failure}; body: {excerpt(r)!r}")
            batch.reasons.append("XML listing after the batch: " + failure.split(" (")[0])
    except requests.RequestException as e:
        batch.failures.append(f"{batch.name}: after the batch the XML listing got no answer: {e}")
        batch.reasons.append("XML listing after the batch: no answer")
    if gw.proc.poll() is not None:
        batch.failures.append(f"{batch.name}: gateway process exited ({gw.proc.returncode})")
        batch.reasons.append("gateway process died")


# --------------------------------------------------------------------------------------------
# Alibaba RPC actions
# --------------------------------------------------------------------------------------------

AUTH_CODES = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidBearerToken",
              "InvalidTimeStamp", "SignatureNonceUsed", "IncompleteSignature",
              "Forbidden.BearerTokenRequired")


@pytest.mark.parametrize("spec", RPC_SPECS, ids=[s.id for s in RPC_SPECS])
def test_hostile_rpc_action(gateway, backend, spec, hostile_counts, record_property):
    env = make_env(gateway)
    rng = random.Random(f"ccgate-hostile-wire/{spec.id}")
    cases = rpc_cases(spec, env)
    batch = Batch(gateway, spec.id)
    auth_refused = []
    for case in cases:
        wire = to_wire(spec, env, case, rng)
        out = batch.send(wire, lambda r, x=wire.expect_xml: check_rpc(r, x))
        if out is None:
            break
        if case.label.startswith("baseline") and out.status != 200:
            batch.failures.append(f"{spec.id}: the valid baseline request was refused "
                                  f"({out.status} {out.code}); the suite would not reach the "
                                  "action's parameters")
            batch.reasons.append("baseline refused")
        if out.code and out.code.startswith(AUTH_CODES):
            auth_refused.append(case.label)
    # Requests signed with the SDK's signer reach the action: only invalid UTF-8 (which the
    # gateway replaces before verifying) may fail authentication.
    unexpected = [lab for lab in auth_refused if "UTF-8" not in lab and "surrogate" not in lab]
    if unexpected:
        batch.failures.append(f"{spec.id}: {len(unexpected)} signed requests were refused by "
                              f"authentication, not by the action: {unexpected[:10]}")
        batch.reasons.append("refused by authentication")
    after_batch(batch, env, spec.plugin)
    finish(batch, backend, hostile_counts, record_property)


# --------------------------------------------------------------------------------------------
# Huawei: queryIVRFlowList and tokenByAkSk
# --------------------------------------------------------------------------------------------


def header_ok(v) -> bool:
    """What `requests` lets through as a header value (it refuses CR/LF and leading
    whitespace client-side, so those cannot be sent this way)."""
    try:
        requests.utils.check_header_validity(("X-Check", header_value(v)))
    except requests.exceptions.InvalidHeader:
        return False
    return True


def header_value(v):
    return v if isinstance(v, bytes) else v.encode("utf-8")


def json_bodies() -> list[tuple[str, bytes]]:
    """Hostile JSON request bodies."""
    p = Param("body", "json-string")
    out = []
    for label, v in json_string_values(p):
        out.append((label, v if isinstance(v, bytes) else v.encode("utf-8")))
    out += [
        ("JSON object with odd keys",
         json.dumps({"\x00": 1, "\ufffe": [], "a" * 1000: None}).encode()),
        ("10,000 keys", json.dumps({f"k{i}": i for i in range(10_000)}).encode()),
        ("UTF-16 encoded", '{"a": 1}'.encode("utf-16")),
        ("raw binary", bytes(range(256))),
        ("2 MB of spaces then {}", b" " * MAX_VALUE_BYTES + b"{}"),
    ]
    return out


def test_hostile_huawei_query_ivr_flow_list(gateway, backend, hostile_counts, record_property):
    [spec] = [s for s in HUAWEI_SPECS if s.action == "queryIVRFlowList"]
    env = make_env(gateway)
    t = env.tenant
    r = requests.post(gateway.base_url + TOKEN_PATH,
                      json={"app_key": t.access_key_id, "app_secret": t.access_key_secret})
    assert r.status_code == 200, r.text
    token = r.json()["AccessToken"]
    path = spec.http_path
    method = spec.http_method or "POST"
    auth = {"Authorization": f"Bearer {token}"}
    jct = {"Content-Type": "application/json"}
    rng = random.Random(f"ccgate-hostile/{spec.id}")
    wires = [Wire("baseline", method, path, headers={**auth, **jct}, body=b"{}")]
    for label, body in json_bodies():
        wires.append(Wire(f"body: {label}", method, path, body=body, headers={**auth, **jct}))
    # X-APP-Key (the only documented parameter) with the values of a string parameter
    app_key = spec.param("X-APP-Key") or Param("X-APP-Key", "string")
    header_vals = [(lab, v) for lab, v in values_for(app_key) if header_ok(v)]
    header_vals += [("own key + NUL", t.access_key_id + "\x00"),
                    ("own key, lower case", t.access_key_id.lower()),
                    ("own key + U+FFFE", t.access_key_id + "\ufffe"),
                    ("own key 1,000 times", t.access_key_id * 1000),
                    ("Latin-1 byte", b"\xe9t\xe9")]
    for label, v in header_vals:
        wires.append(Wire(f"X-APP-Key={label}", method, path,
                          headers={**auth, "X-APP-Key": header_value(v)}))
    wires.append(Wire("X-APP-Key twice", method, path,
                      headers={**auth, "X-APP-Key": f"{t.access_key_id}, other"}))
    # Authorization variants around the valid token
    for label, v in [
        ("lower-case scheme", f"bearer {token}"),
        ("two spaces", f"Bearer  {token}"),
        ("token + NUL", f"Bearer {token}\x00"),
        ("token + ANSI escape", f"Bearer {token}\x1b[31m"),
        ("token twice", f"Bearer {token} {token}"),
        ("token + U+FFFE", f"Bearer {token}\ufffe"),
        ("100 KB token", "Bearer " + "A" * LONG),
        ("10 KB token", "Bearer " + token + "." * 10 * KB),
        ("token, one character flipped",
         "Bearer " + token[:-1] + ("A" if token[-1] != "A" else "B")),
        ("alg none JWT", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."),
        ("NUL token", "Bearer \x00"),
        ("Basic with the token", f"Basic {token}"),
        ("scheme only", "Bearer"),
        ("empty", ""),
        ("odd Unicode token", "Bearer \u202e\U0001f600"),
    ]:
        wires.append(Wire(f"Authorization: {label}", method, path,
                          headers={"Authorization": header_value(v)}))
    # methods, paths, query strings, content types
    for m in ("GET", "PUT", "DELETE", "PATCH"):
        wires.append(Wire(f"method {m}", m, path, headers=auth))
    for label, pth in [
        ("trailing slash", path + "/"),
        ("double slash", path.replace("/v1/", "//v1/")),
        ("lower-case operation", path.lower()),
        ("encoded NUL suffix", path + "%00"),
        ("matrix parameter", path + ";jsessionid=x"),
        ("unknown operation", path.rsplit("/", 1)[0] + "/nope"),
        ("dot segments", path.rsplit("/", 1)[0] + "/../queryIVRFlowList"),
        ("encoded slash", path.replace("/ivrFlow/", "/ivrFlow%2F")),
        ("100 KB path segment", path + "/" + "a" * LONG),
    ]:
        wires.append(Wire(f"path: {label}", method, pth, headers=auth))
    for label, q in [
        ("vdnId NUL", "vdnId=%00"),
        ("100 KB query", "q=" + "x" * LONG),
        ("odd Unicode query", urlencode({"vdnId": "\ufffe\u202e"})),
        ("1,000 query parameters", "&".join(f"p{i}=1" for i in range(1000))),
        ("malformed escapes", "a=%zz&%=&=%"),
    ]:
        wires.append(Wire(f"query: {label}", method, path, query=q, headers=auth))
    for label, ct, body in [
        ("text/plain JSON", "text/plain", b"{}"),
        ("form body", "application/x-www-form-urlencoded", b"a=%00&b=\xff"),
        ("multipart garbage", "multipart/form-data; boundary=x", b"--x\r\n\x00\r\n--x--"),
        ("UTF-16 charset", "application/json; charset=utf-16", '{"a":1}'.encode("utf-16")),
        ("no content type", None, b"{}"),
        ("content type with NUL", "application/json\x00", b"{}"),
        ("100 KB content type", "application/json; x=" + "y" * LONG, b"{}"),
        ("xml", "application/xml", b"<a>\x01</a>"),
    ]:
        h = dict(auth)
        if ct is not None:
            h["Content-Type"] = header_value(ct)
        wires.append(Wire(f"Content-Type: {label}", method, path, body=body, headers=h))
    wires.append(Wire("200 extra headers", method, path,
                      headers={**auth, **{f"X-H{i}": "\x01" * 10 for i in range(200)}}))
    # seeded combinations: a hostile body with a hostile X-APP-Key
    light_bodies = [(lab, b) for lab, b in json_bodies() if len(b) <= 10 * KB]
    light_headers = [(lab, v) for lab, v in header_vals if size_of(v) <= 10 * KB]
    k = 0
    while len(wires) < TARGET_PER_ACTION:
        k += 1
        bl, b = rng.choice(light_bodies)
        hl, hv = rng.choice(light_headers)
        wires.append(Wire(f"random #{k}: body {bl}, X-APP-Key {hl}", method, path, body=b,
                          headers={**auth, **jct, "X-APP-Key": header_value(hv)}))

    batch = Batch(gateway, spec.id)
    for w in wires:
        out = batch.send(w, check_huawei)
        if out is None:
            break
        if w.label == "baseline" and out.status != 200:
            batch.failures.append(f"{spec.id}: the valid baseline request was refused "
                                  f"({out.status})")
            batch.reasons.append("baseline refused")
    # responsive afterwards: a valid call lists the tenant's flows
    if gateway.proc.poll() is None:
        try:
            r = requests.post(gateway.base_url + path, headers={**auth, **jct}, timeout=TIMEOUT)
            ok = r.status_code == 200 and r.json().get("retCode") == "0"
        except (requests.RequestException, ValueError) as e:
            ok, r = False, e
        if not ok:
            batch.failures.append(f"{spec.id}: after the batch a valid call failed: {r!r}")
            batch.reasons.append("valid call after the batch failed")
    else:
        batch.failures.append(f"{spec.id}: gateway process exited ({gateway.proc.returncode})")
        batch.reasons.append("gateway process died")
    finish(batch, backend, hostile_counts, record_property)


def test_hostile_huawei_token_by_ak_sk(gateway, backend, hostile_counts, record_property):
    env = make_env(gateway)
    t = env.tenant
    ak, secret = t.access_key_id, t.access_key_secret
    rng = random.Random("ccgate-hostile/tokenByAkSk")
    jct = {"Content-Type": "application/json"}

    def body(app_key=ak, app_secret=secret, **extra) -> bytes:
        d = {"app_key": app_key, "app_secret": app_secret, **extra}
        return json.dumps({k: v for k, v in d.items() if v is not ...}, ensure_ascii=False).encode()

    wires = [Wire("baseline", "POST", TOKEN_PATH, body=body(), headers=jct)]
    wrong_types = [("integer", 1), ("float", 1.5), ("true", True), ("null", None), ("list", [ak]),
                   ("object", {"a": ak}), ("huge integer", 10**400), ("empty list", []),
                   ("absent", ...)]
    for field_name in ("app_key", "app_secret"):
        for label, v in wrong_types:
            kw = {field_name: v}
            wires.append(Wire(f"{field_name} {label}", "POST", TOKEN_PATH, body=body(**kw),
                              headers=jct))
        string_param = Param(field_name, "string", max_length=128)
        for label, v in values_for(string_param):
            if isinstance(v, bytes):
                raw = (b'{"%s": "' % field_name.encode()) + v + b'", "x": 1}'
                wires.append(Wire(f"{field_name}={label}", "POST", TOKEN_PATH, body=raw,
                                  headers=jct))
                continue
            wires.append(Wire(f"{field_name}={label}", "POST", TOKEN_PATH,
                              body=body(**{field_name: v}), headers=jct))
        own = ak if field_name == "app_key" else secret
        for label, v in [("own + NUL", own + "\x00"), ("own + space", own + " "),
                         ("own, upper case", own.upper()), ("own + U+FFFE", own + "\ufffe"),
                         ("own with a NUL inside", own[:4] + "\x00" + own[4:])]:
            wires.append(Wire(f"{field_name}={label}", "POST", TOKEN_PATH,
                              body=body(**{field_name: v}), headers=jct))
    for label, raw in json_bodies():
        wires.append(Wire(f"body: {label}", "POST", TOKEN_PATH, body=raw, headers=jct))
    wires += [
        Wire("duplicate app_key, valid last", "POST", TOKEN_PATH, headers=jct,
             body=f'{{"app_key":"\\u0000","app_key":"{ak}","app_secret":"{secret}"}}'.encode()),
        Wire("duplicate app_key, NUL last", "POST", TOKEN_PATH, headers=jct,
             body=f'{{"app_key":"{ak}","app_key":"\\u0000","app_secret":"{secret}"}}'.encode()),
        Wire("1 MB extra field", "POST", TOKEN_PATH, headers=jct,
             body=body(padding="p" * (1024 * KB))),
        Wire("escaped NUL key", "POST", TOKEN_PATH, headers=jct,
             body=b'{"app_key":"\\u0000","app_secret":"\\u0000"}'),
    ]
    for label, v in [("zero", "0"), ("minus one", "-1"), ("exponent", "1e3"),
                     ("2^64", str(2**64)), ("NUL", "\x00"), ("3600 + NUL", "3600\x00"),
                     ("Arabic-Indic digits", "\u0661\u0662"), ("100 KB", "9" * LONG),
                     ("ANSI escape", "\x1b[31m60"), ("empty", ""), ("float", "60.5"),
                     ("U+FFFE", "\ufffe")]:
        wires.append(Wire(f"X-Token-Expire={label}", "POST", TOKEN_PATH, body=body(),
                          headers={**jct, "X-Token-Expire": header_value(v)}))
    for m in ("GET", "PUT", "DELETE"):
        wires.append(Wire(f"method {m}", m, TOKEN_PATH, body=body(), headers=jct))
    for label, ct in [("text/plain", "text/plain"), ("form", "application/x-www-form-urlencoded"),
                      ("none", None), ("NUL", "application/json\x00")]:
        wires.append(Wire(f"Content-Type {label}", "POST", TOKEN_PATH, body=body(),
                          headers={} if ct is None else {"Content-Type": header_value(ct)}))
    wires += [
        Wire("form-encoded credentials", "POST", TOKEN_PATH,
             body=urlencode({"app_key": ak, "app_secret": secret}).encode(),
             headers=FORM),
        Wire("query with NUL", "POST", TOKEN_PATH, query="app_key=%00", body=body(), headers=jct),
        Wire("path with trailing slash", "POST", TOKEN_PATH + "/", body=body(), headers=jct),
        Wire("path + %00", "POST", TOKEN_PATH + "%00", body=body(), headers=jct),
    ]
    light = [w for w in wires if len(w.body or b"") <= 10 * KB and w.method == "POST"
             and w.label != "baseline"]
    k = 0
    while len(wires) < TARGET_PER_ACTION:
        k += 1
        w = rng.choice(light)
        wires.append(Wire(f"random #{k}: {w.label} + X-Token-Expire", "POST", w.path, w.query,
                          w.body,
                          {**w.headers, "X-Token-Expire": str(rng.choice([1, 0, 601, -5]))}))

    def check(resp):
        return check_huawei(resp, success_keys=("AccessToken", "Expires"))

    batch = Batch(gateway, "tokenByAkSk@huawei")
    for w in wires:
        out = batch.send(w, check)
        if out is None:
            break
        if w.label == "baseline" and out.status != 200:
            batch.failures.append(f"tokenByAkSk: the valid baseline request was refused "
                                  f"({out.status})")
            batch.reasons.append("baseline refused")
    if gateway.proc.poll() is None:
        try:
            r = requests.post(gateway.base_url + TOKEN_PATH, data=body(), headers=jct,
                              timeout=TIMEOUT)
            ok = r.status_code == 200 and bool(r.json().get("AccessToken"))
        except (requests.RequestException, ValueError) as e:
            ok, r = False, e
        if not ok:
            batch.failures.append(f"tokenByAkSk: after the batch a valid call failed: {r!r}")
            batch.reasons.append("valid call after the batch failed")
    else:
        batch.failures.append(f"tokenByAkSk: gateway process exited ({gateway.proc.returncode})")
        batch.reasons.append("gateway process died")
    finish(batch, backend, hostile_counts, record_property)


# --------------------------------------------------------------------------------------------
# unauthenticated
# --------------------------------------------------------------------------------------------


def test_hostile_unauthenticated(gateway, backend, demo, hostile_counts, record_property):
    """Hostile requests without valid credentials: a 4xx in the dialect's envelope (Alibaba
    for `/` and every path outside the Huawei prefixes, Huawei under them)."""
    ak = demo.access_key_id
    base = {"Action": "ListContactFlows", "Version": "2020-07-01", "InstanceId": demo.instance_id,
            "PageNumber": "1", "PageSize": "10", "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0", "SignatureNonce": "n", "Timestamp": "2026-01-01T00:00:00Z",
            "AccessKeyId": ak, "Signature": "c2lnbmF0dXJl"}

    def q(**over) -> str:
        d = dict(base)
        for k, v in over.items():
            if v is ...:
                d.pop(k, None)
            else:
                d[k] = v
        return urlencode(d)

    rpc: list[Wire] = [
        Wire("AccessKeyId=%00", "GET", "/", q(AccessKeyId="\x00")),
        Wire("AccessKeyId NUL inside", "GET", "/", q(AccessKeyId=ak[:4] + "\x00" + ak[4:])),
        Wire("AccessKeyId of 100 KB", "POST", "/", "",
             q(AccessKeyId="A" * LONG).encode(), FORM),
        Wire("AccessKeyId with CRLF and ANSI", "GET", "/", q(AccessKeyId="x\r\n\x1b[31mforged")),
        Wire("AccessKeyId odd Unicode", "GET", "/", q(AccessKeyId="\ufffe\u202e\U0001f600")),
        Wire("AccessKeyId invalid UTF-8", "GET", "/", urlencode({**base, "AccessKeyId": b"\xff"})),
        Wire("Action of 100 KB", "POST", "/", "", q(Action="A" * LONG).encode(),
             FORM),
        Wire("Action with CRLF and terminal escapes", "GET", "/",
             q(Action="List\r\n{\"level\":\"ERROR\"}\x1b[2J\x1b[31m")),
        Wire("Action NUL", "GET", "/", q(Action="\x00")),
        Wire("Action empty", "GET", "/", q(Action="")),
        Wire("Action absent", "GET", "/", q(Action=...)),
        Wire("Action U+FFFE with Format=XML", "GET", "/", q(Action="\ufffe\x01", Format="XML")),
        Wire("Version NUL", "GET", "/", q(Version="2020-07-01\x00")),
        Wire("Version of 100 KB", "POST", "/", "", q(Version="9" * LONG).encode(),
             FORM),
        Wire("Version with control characters, XML", "GET", "/",
             q(Version="\x01\x1b[31m", Format="XML")),
        Wire("Signature of 100 KB", "POST", "/", "", q(Signature="S" * LONG).encode(),
             FORM),
        Wire("SignatureMethod NUL", "GET", "/", q(SignatureMethod="HMAC-SHA1\x00")),
        Wire("SignatureVersion odd", "GET", "/", q(SignatureVersion="\ufffe")),
        Wire("Timestamp NUL", "GET", "/", q(Timestamp="\x00")),
        Wire("Timestamp 9999-99-99", "GET", "/", q(Timestamp="9999-99-99T99:99:99Z")),
        Wire("Timestamp of 100 KB", "POST", "/", "", q(Timestamp="2" * LONG).encode(),
             FORM),
        Wire("SignatureNonce of 100 KB", "POST", "/", "", q(SignatureNonce="n" * LONG).encode(),
             FORM),
        Wire("BearerToken NUL", "GET", "/",
             q(AccessKeyId=..., Signature=..., SignatureType="BEARERTOKEN", BearerToken="\x00")),
        Wire("BearerToken of 100 KB", "POST", "/", "",
             q(AccessKeyId=..., Signature=..., SignatureType="BEARERTOKEN",
               BearerToken="B" * LONG).encode(), FORM),
        Wire("BearerToken alg=none", "GET", "/",
             q(AccessKeyId=..., Signature=..., SignatureType="BEARERTOKEN",
               BearerToken="eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")),
        Wire("SignatureType=BEARERTOKEN without token", "GET", "/",
             q(AccessKeyId=..., Signature=..., SignatureType="BEARERTOKEN")),
        Wire("SecurityToken NUL", "GET", "/", q(SecurityToken="\x00")),
        Wire("no parameters", "GET", "/"),
        Wire("x-acs-action header with ESC and 1,000 characters", "POST", "/", "",
             headers={"x-acs-action": "\x1b[31m" + "A" * 1000, "x-acs-version": "2020-07-01"}),
        Wire("ACS3 Authorization garbage", "POST", "/", q(AccessKeyId=..., Signature=...),
             headers={"Authorization": "ACS3-HMAC-SHA256 Credential=\x00,SignedHeaders=,Signature=",
                      "x-acs-action": "ListContactFlows"}),
        Wire("ACS3 Authorization of 20 KB", "POST", "/", q(AccessKeyId=..., Signature=...),
             headers={"Authorization": "ACS3-HMAC-SHA256 Credential=" + "C" * 20 * KB}),
        Wire("Authorization of 100 KB", "POST", "/", "", headers={"Authorization": "A" * LONG}),
        Wire("header with a NUL byte", "GET", "/", q(), headers={"X-Junk": b"a\x00b"}),
        Wire("header with a control byte", "GET", "/", q(), headers={"X-Junk": b"a\x01\x7fb"}),
        Wire("200 headers", "GET", "/", q(), headers={f"X-H{i}": "v" for i in range(200)}),
        Wire("very long URL (100 KB query)", "GET", "/", q(InstanceId="i" * LONG)),
        Wire("very long URL (20 KB query)", "GET", "/", q(InstanceId="i" * 20 * KB)),
        Wire("1,000 duplicate Action parameters", "GET", "/",
             q() + "&" + "&".join(["Action=RemovePhoneNumber"] * 1000)),
        Wire("malformed percent escapes", "GET", "/", "Action=%zz&%=&=%&AccessKeyId=%0"),
        Wire("form body with invalid UTF-8", "POST", "/", "", b"Action=\xff\xfe&AccessKeyId=\x00",
             FORM),
        Wire("form body of 9 MB", "POST", "/", q(), b"a=" + b"x" * (9 * 1024 * KB),
             FORM),
        Wire("Format=XML, AccessKeyId NUL", "GET", "/", q(Format="XML", AccessKeyId="\x00")),
        Wire("Format=XML, AccessKeyId SOH", "GET", "/", q(Format="XML", AccessKeyId="\x01")),
        Wire("PUT /", "PUT", "/", q()),
        Wire("DELETE /", "DELETE", "/", q()),
        Wire("PATCH /", "PATCH", "/", q()),
        Wire("unknown path", "GET", "/nope"),
        Wire("unknown path with NUL", "GET", "/%00"),
        Wire("traversal path", "GET", "/..%2f..%2fetc%2fpasswd"),
        Wire("unknown path of 10 KB", "GET", "/" + "p" * 10 * KB),
        Wire("POST /healthz", "POST", "/healthz"),
    ]
    for w in rpc:  # an answer in XML is expected exactly when Format=XML was sent
        w.expect_xml = "Format=XML" in w.query or b"Format=XML" in (w.body or b"")
    huawei: list[Wire] = [
        Wire("unknown cc-management operation", "POST",
             "/apiaccess/rest/cc-management/v1/ivrFlow/nope"),
        Wire("unknown Huawei prefix path", "POST", "/apiaccess/rest/nope"),
        Wire("queryIVRFlowList without a token", "POST",
             "/apiaccess/rest/cc-management/v1/ivrFlow/queryIVRFlowList"),
        Wire("queryIVRFlowList with a NUL token", "POST",
             "/apiaccess/rest/cc-management/v1/ivrFlow/queryIVRFlowList",
             headers={"Authorization": b"Bearer \x00"}),
        Wire("queryIVRFlowList with an Alibaba Bearer token", "POST",
             "/apiaccess/rest/cc-management/v1/ivrFlow/queryIVRFlowList",
             headers={"Authorization": f"Bearer {demo.bearer_token}"}),
        Wire("tokenByAkSk with app_key NUL", "POST", TOKEN_PATH,
             body=b'{"app_key":"\\u0000","app_secret":"x"}',
             headers={"Content-Type": "application/json"}),
        Wire("tokenByAkSk GET", "GET", TOKEN_PATH),
        Wire("apigovernance unknown path", "POST", "/apigovernance/api/oauth/nope"),
    ]
    batch = Batch(gateway, "unauthenticated")

    def status_4xx(check):
        def inner(resp):
            failure, code = check(resp)
            if failure is None and not 400 <= resp.status_code < 500:
                failure = f"status {resp.status_code}, expected 4xx"
            return failure, code
        return inner

    for w in rpc:
        if batch.send(w, status_4xx(lambda r, x=w.expect_xml: check_rpc(r, x))) is None:
            break
    for w in huawei:
        if batch.send(w, status_4xx(check_huawei)) is None:
            break
    if gateway.proc.poll() is not None:
        batch.failures.append(
            f"unauthenticated: gateway process exited ({gateway.proc.returncode})")
        batch.reasons.append("gateway process died")
    elif not gateway._ready():
        batch.failures.append("unauthenticated: /readyz does not answer 200 after the batch")
        batch.reasons.append("not ready after the batch")
    finish(batch, backend, hostile_counts, record_property, floor=len(rpc) + len(huawei))
